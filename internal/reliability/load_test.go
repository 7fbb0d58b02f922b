package reliability

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// Scale of RELIABILITY tests 42 and 43. The list says 200 clients × 1000
// calls per transport; on CI's 2 cores under -race that is minutes per
// transport, so the per-client count is a flag (the default keeps each
// transport near 10 s; docs/reliability.md gives the full-scale command).
var (
	loadClients = flag.Int("load.clients", 200, "good clients of RELIABILITY tests 42/43")
	loadCalls   = flag.Int("load.calls", 25, "LIST_ALL calls per good client (RELIABILITY says 1000)")
)

// loadResult is what a run of good clients saw.
type loadResult struct {
	calls     int
	errs      int
	wrong     int
	latencies []time.Duration // sorted
	elapsed   time.Duration
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d calls in %v (%.0f/s), %d errors, %d wrong results, p50 %v, p99 %v",
		r.calls, r.elapsed.Round(time.Millisecond), float64(r.calls)/r.elapsed.Seconds(), r.errs, r.wrong,
		percentile(r.latencies, 50), percentile(r.latencies, 99))
}

// runGood makes every client call LIST_ALL(ACTIVE|INACTIVE) calls times,
// all clients at once, and checks every result against want.
func runGood(ctx context.Context, conns []*client.Conn, calls int, want []protocol.NonnullDomain) loadResult {
	var mu sync.Mutex
	res := loadResult{}
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, calls)
			errs, wrong := 0, 0
			for range calls {
				t0 := time.Now()
				doms, err := c.ListAllDomains(ctx, listAll)
				lat = append(lat, time.Since(t0))
				switch {
				case err != nil:
					errs++
				case !slices.Equal(sortDomains(doms), want):
					wrong++
				}
			}
			mu.Lock()
			res.calls += calls
			res.errs += errs
			res.wrong += wrong
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

// TestLoad is RELIABILITY test 42: 200 clients at once, each listing
// repeatedly, over unix, tcp and tls against the fake: 0 errors, every
// result the fixture's domains; p50, p99 and throughput are logged.
func TestLoad(t *testing.T) {
	srv := startFake(t)
	want := fixtureDomains(t)
	for _, tr := range []string{"unix", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			conns := dialAll(t, transportURIs(srv)[tr], *loadClients, client.WithKeepalive(0, 0))
			r := runGood(t.Context(), conns, *loadCalls, want)
			t.Logf("figure: test 42 %s: %d clients: %v", tr, len(conns), r)
			if r.errs != 0 || r.wrong != 0 {
				t.Errorf("%d errors and %d wrong results in %d calls", r.errs, r.wrong, r.calls)
			}
		})
	}
}

// attack runs hostile connections against the fake until stop is closed,
// keeping about n of them open at once. Each picks one of RELIABILITY
// tests 1-3, 7, 20, 29, 37 and 38 in turn. It returns how many it made.
func attack(srv *libvirtdtest.Server, n int, stop <-chan struct{}) (wait func() int) {
	var made atomic.Int64
	var wg sync.WaitGroup
	addrs := [][2]string{{"unix", srv.Socket}, {"tcp", srv.TCPAddr}, {"tls-raw", srv.TLSAddr}}
	hdr := func(prog protocol.Program, proc protocol.Procedure, typ protocol.MessageType, serial uint32) protocol.Header {
		return protocol.Header{Program: prog, Version: 1, Procedure: proc, Type: typ, Serial: serial}
	}
	frame := func(h protocol.Header, payload []byte) []byte {
		b, _ := protocol.AppendFrame(nil, &h, protocol.RawPayload(payload))
		return b
	}
	kinds := []func(nc net.Conn, rng *rand.Rand){
		func(nc net.Conn, _ *rand.Rand) { nc.Write([]byte{0, 0, 0, 0}) },               // 1: length 0
		func(nc net.Conn, _ *rand.Rand) { nc.Write([]byte{0x7f, 0xff, 0xff, 0xff}) },   // 2: huge length
		func(nc net.Conn, _ *rand.Rand) { nc.Write([]byte("GET / HTTP/1.1\r\n\r\n")) }, // 2: HTTP
		func(nc net.Conn, _ *rand.Rand) {
			nc.Write(binary.BigEndian.AppendUint32(nil, protocol.FrameMax))
			sleep(stop, 2*time.Second)
		}, // 3: stalled 32 MiB frame
		func(nc net.Conn, rng *rand.Rand) { // 7: garbage
			b := make([]byte, 1+rng.IntN(200))
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			nc.Write(b)
		},
		func(nc net.Conn, _ *rand.Rand) { // 20: wrong types, programs, statuses
			var b []byte
			for i := range 50 {
				b = append(b, frame(hdr(protocol.ProgramRemote, 3, protocol.MessageType(1+i%7), uint32(i)), nil)...)
				b = append(b, frame(hdr(0x12345678, 1, protocol.TypeCall, uint32(i)), nil)...)
			}
			nc.Write(b)
			sleep(stop, 200*time.Millisecond)
		},
		func(nc net.Conn, _ *rand.Rand) { // 29 and 37: 20 calls pipelined, replies never read
			var b []byte
			args, _ := (&protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: listAll}).AppendBinary(nil)
			for i := range 20 {
				b = append(b, frame(hdr(protocol.ProgramRemote, protocol.ProcConnectListAllDomains, protocol.TypeCall, uint32(i)), args)...)
			}
			nc.Write(b)
			sleep(stop, 2*time.Second)
		},
		func(nc net.Conn, _ *rand.Rand) { // 38: slowloris, one byte every 100 ms
			f := frame(hdr(protocol.ProgramRemote, protocol.ProcAuthList, protocol.TypeCall, 1), nil)
			for _, c := range f {
				if _, err := nc.Write([]byte{c}); err != nil || sleep(stop, 100*time.Millisecond) {
					return
				}
			}
		},
	}
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 43))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				a := addrs[(w+i)%len(addrs)]
				network := a[0]
				if network == "tls-raw" { // raw bytes at a TLS listener: a bad handshake
					network = "tcp"
				}
				nc, err := net.DialTimeout(network, a[1], 2*time.Second)
				if err != nil {
					sleep(stop, 10*time.Millisecond)
					continue
				}
				made.Add(1)
				nc.SetDeadline(time.Now().Add(5 * time.Second))
				kinds[(w+i)%len(kinds)](nc, rng)
				nc.Close()
			}
		}()
	}
	return func() int { wg.Wait(); return int(made.Load()) }
}

// sleep waits d or until stop is closed, and reports the latter.
func sleep(stop <-chan struct{}, d time.Duration) bool {
	select {
	case <-stop:
		return true
	case <-time.After(d):
		return false
	}
}

// TestLoadUnderAttack is RELIABILITY test 43: test 42's good clients list
// while 100 hostile connections misbehave at once. Good clients see no
// error and the fixture's domains; the server's memory grows at most
// 64 MiB over the no-attack run; its goroutines stay ≤ 3 × connections +
// 50. The p99 ratio to the no-attack run is reported (BenchmarkUnderAttack
// measures it; RELIABILITY's 1.5 is a benchmark goal) and asserted only
// against a collapse (≤ 10).
func TestLoadUnderAttack(t *testing.T) {
	const hostile = 100
	srv := startFake(t, libvirtdtest.ServerOptions(func(o *server.Options) {
		o.FrameTimeout = time.Second
		o.WriteTimeout = time.Second
		o.MaxAnonymousClients = 2 * hostile // let the attack reach the server
	}))
	want := fixtureDomains(t)
	for _, tr := range []string{"unix", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			conns := dialAll(t, transportURIs(srv)[tr], *loadClients, client.WithKeepalive(0, 0))
			base := runGood(t.Context(), conns, *loadCalls, want)
			rss0, heap0 := measure.Memory(t)
			stop := make(chan struct{})
			wait := attack(srv, hostile, stop)
			var peakG atomic.Int64
			var peakMem atomic.Int64
			sampled := make(chan struct{})
			go func() { // sample goroutines and memory during the attack
				defer close(sampled)
				for !sleep(stop, 250*time.Millisecond) {
					peakG.Store(max(peakG.Load(), int64(serverGoroutines())))
					rss, heap := measure.Memory(t)
					peakMem.Store(max(peakMem.Load(), memGrowth(rss0, heap0, rss, heap)))
				}
			}()
			time.Sleep(300 * time.Millisecond) // the attack is under way
			under := runGood(t.Context(), conns, *loadCalls, want)
			close(stop)
			made := wait()
			<-sampled
			ratio := float64(percentile(under.latencies, 99)) / float64(max(percentile(base.latencies, 99), 1))
			conn := int64(len(conns) + hostile)
			t.Logf("figure: test 43 %s: baseline %v", tr, base)
			t.Logf("figure: test 43 %s: under attack (%d hostile connections made) %v", tr, made, under)
			t.Logf("figure: test 43 %s: p99 ratio %.2f, p50 ratio %.2f; peak server goroutines %d for %d connections (bound %d); peak memory growth %d KiB (%s); server stats %+v",
				tr, ratio, float64(percentile(under.latencies, 50))/float64(max(percentile(base.latencies, 50), 1)),
				peakG.Load(), conn, 3*conn+50, peakMem.Load()>>10, map[bool]string{true: "Go heap, -race", false: "RSS"}[measure.Race], srv.RPC.Stats())
			if under.errs != 0 || under.wrong != 0 || base.errs != 0 || base.wrong != 0 {
				t.Errorf("good clients: %d/%d errors and %d/%d wrong results (baseline/attack)", base.errs, under.errs, base.wrong, under.wrong)
			}
			if g := peakG.Load(); g > 3*conn+50 {
				t.Errorf("%d server goroutines for %d connections; want ≤ %d", g, conn, 3*conn+50)
			}
			if m := peakMem.Load(); m > 64<<20 {
				t.Errorf("memory grew by %d KiB under attack; want ≤ 64 MiB", m>>10)
			}
			if ratio > 10 {
				t.Errorf("p99 under attack is %.1f × the baseline", ratio)
			}
			if made < hostile {
				t.Errorf("only %d hostile connections were made", made)
			}
		})
	}
}

// BenchmarkUnderAttack measures RELIABILITY test 43's latency ratio: 50
// good clients over unix list b.N times each, without and then with 100
// hostile connections; it reports p50 and p99 of both and their ratios
// (the goal is p99 ratio ≤ 1.5).
func BenchmarkUnderAttack(b *testing.B) {
	srv := startFake(b, libvirtdtest.ServerOptions(func(o *server.Options) {
		o.FrameTimeout = time.Second
		o.WriteTimeout = time.Second
		o.MaxAnonymousClients = 200
	}))
	want := fixtureDomains(b)
	conns := dialAll(b, srv.URI, 50, client.WithKeepalive(0, 0))
	calls := max(b.N, 20)
	b.ResetTimer()
	base := runGood(b.Context(), conns, calls, want)
	stop := make(chan struct{})
	wait := attack(srv, 100, stop)
	time.Sleep(300 * time.Millisecond)
	under := runGood(b.Context(), conns, calls, want)
	close(stop)
	wait()
	b.StopTimer()
	if base.errs+under.errs+base.wrong+under.wrong != 0 {
		b.Fatalf("good clients failed: %v / %v", base, under)
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	b.ReportMetric(ms(percentile(base.latencies, 50)), "base-p50-ms")
	b.ReportMetric(ms(percentile(base.latencies, 99)), "base-p99-ms")
	b.ReportMetric(ms(percentile(under.latencies, 50)), "attack-p50-ms")
	b.ReportMetric(ms(percentile(under.latencies, 99)), "attack-p99-ms")
	b.ReportMetric(float64(percentile(under.latencies, 99))/float64(max(percentile(base.latencies, 99), 1)), "p99-ratio")
	b.ReportMetric(float64(percentile(under.latencies, 50))/float64(max(percentile(base.latencies, 50), 1)), "p50-ratio")
}
