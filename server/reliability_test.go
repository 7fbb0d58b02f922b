package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
)

// TestRandomGarbage10k is RELIABILITY test 7 at full scale: 10^4
// connections each send 4-68 random bytes (a quarter of them behind a
// plausible length word, so they stall until the frame deadline) and
// close. Within 5 s of the last one the server's goroutines are back to
// the baseline ± 2 and the process's RSS to the baseline ± 8 MiB (under
// -race, whose shadow memory is not the server's, the Go heap and stacks
// instead), and a good client is served.
func TestRandomGarbage10k(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1000
	}
	ts := startServer(t, "unix", Options{FrameTimeout: 200 * time.Millisecond, MaxAnonymousClients: -1}, echoSetup)
	ts.dial(t).roundTrip(0)
	g0 := runtime.NumGoroutine()
	rss0, heap0 := measure.Memory(t)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			b := make([]byte, 68)
			for next.Add(1) <= int64(n) {
				nc, err := dialBacklogged(ts.addr)
				if err != nil {
					t.Error(err)
					return
				}
				m := 4 + rng.IntN(64)
				for i := range m {
					b[i] = byte(rng.Uint32())
				}
				if rng.IntN(4) == 0 {
					binary.BigEndian.PutUint32(b, uint32(28+rng.IntN(64)))
				}
				nc.Write(b[:m])
				nc.Close()
			}
		}()
	}
	wg.Wait()
	last := time.Now()
	var g, conns int
	var rss, heap int64
	for {
		st := ts.Stats()
		conns = int(st.Connections)
		if st.Accepted != uint64(n)+1 {
			conns = -1 // some are still in the listen backlog
		}
		g = runtime.NumGoroutine()
		rss, heap = measure.Memory(t)
		memOK := heap-heap0 <= 8<<20
		if !measure.Race {
			memOK = memOK && rss-rss0 <= 8<<20
		}
		if conns == 1 && g <= g0+2 && memOK { // the good client's connection stays
			break
		}
		if time.Since(last) > 5*time.Second {
			t.Fatalf("5 s after %d garbage connections: %d connections, goroutines %d (baseline %d), RSS %+d KiB, heap %+d KiB",
				n, conns, g, g0, (rss-rss0)>>10, (heap-heap0)>>10)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("figure: test 7: %d garbage connections; back to baseline %v after the last: goroutines %d → %d, RSS %+d KiB, heap %+d KiB; stats %+v",
		n, time.Since(last).Round(time.Millisecond), g0, g, (rss-rss0)>>10, (heap-heap0)>>10, ts.Stats())
	ts.dial(t).roundTrip(1)
}

// TestClientClosesMidFrame is RELIABILITY test 30 with the server reading
// a client: with calls in flight (handlers waiting), the client sends 1,
// 4, 27, 28 or 28+k bytes of a further frame and closes. Every handler's
// context ends with ErrConnClosed as its cause within 100 ms of the close,
// the connection is gone, and no goroutine is left.
func TestClientClosesMidFrame(t *testing.T) {
	full := frame(callHeader(echoProc, 99), make([]byte, 16))
	var worst time.Duration
	for _, network := range networks {
		for _, cut := range []int{0, 1, 4, 27, 28, 29, 32, len(full) - 1} {
			t.Run(fmt.Sprintf("%s/%d bytes", network, cut), func(t *testing.T) {
				var mu sync.Mutex
				var ended []time.Time
				var causes []error
				ts := startServer(t, network, Options{}, func(s *Server) {
					s.Handle(remote, v1, 7010, func(ctx context.Context, call *Call) (protocol.Message, error) {
						<-ctx.Done()
						mu.Lock()
						ended = append(ended, time.Now())
						causes = append(causes, context.Cause(ctx))
						mu.Unlock()
						return nil, nil
					})
				})
				g0 := runtime.NumGoroutine()
				c := ts.dial(t)
				for i := range 3 {
					c.send(callHeader(7010, uint32(i)), nil)
				}
				waitFor(t, "3 calls in flight", func() bool { return ts.Stats().InFlight == 3 })
				c.write(full[:cut])
				time.Sleep(5 * time.Millisecond) // the bytes reach the server first
				closed := time.Now()
				c.nc.Close()
				waitFor(t, "the handlers to end", func() bool { mu.Lock(); defer mu.Unlock(); return len(ended) == 3 })
				mu.Lock()
				var took time.Duration
				for i, e := range ended {
					took = max(took, e.Sub(closed))
					if !errors.Is(causes[i], ErrConnClosed) {
						t.Errorf("handler context cause %v; want ErrConnClosed", causes[i])
					}
				}
				mu.Unlock()
				worst = max(worst, took)
				if took > 100*time.Millisecond {
					t.Errorf("handlers cancelled %v after the close; want ≤ 100 ms", took)
				}
				waitFor(t, "the connection to go", func() bool { return ts.Stats().Connections == 0 })
				waitFor(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= g0 })
			})
		}
	}
	t.Logf("figure: test 30 server: client close to every in-flight call cancelled, worst of 16 cases: %v", worst)
}

// TestKeepaliveCloseRace10k is RELIABILITY test 31 at full scale
// (CVE-2014-1447): 10^4 clients send SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)
// and close without reading the reply, with a 1 ms keepalive interval so
// the keepalive timer races with the close. No handler panics, the
// goroutines are back to the baseline ± 2 within 5 s, and a good client
// is served.
func TestKeepaliveCloseRace10k(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 1000
	}
	ts := startServer(t, "unix", Options{KeepaliveInterval: time.Millisecond, MaxAnonymousClients: -1}, featureSetup)
	ts.dial(t).roundTrip(0)
	g0 := runtime.NumGoroutine()
	call := frame(callHeader(protocol.ProcConnectSupportsFeature, 1), []byte{0, 0, 0, 10})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				nc, err := dialBacklogged(ts.addr)
				if err != nil {
					t.Error(err)
					return
				}
				nc.Write(call)
				nc.Close()
			}
		}()
	}
	wg.Wait()
	last := time.Now()
	for {
		st := ts.Stats()
		if st.Accepted == uint64(n)+1 && st.Connections == 1 && runtime.NumGoroutine() <= g0+2 {
			break
		}
		if time.Since(last) > 5*time.Second {
			t.Fatalf("5 s after %d clients: stats %+v, goroutines %d (baseline %d)", n, st, runtime.NumGoroutine(), g0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p := ts.Stats().HandlerPanics; p != 0 {
		t.Errorf("%d handler panics", p)
	}
	t.Logf("figure: test 31: %d closes right after SUPPORTS_FEATURE(10): back to baseline %v after the last; calls %d, pings %d",
		n, time.Since(last).Round(time.Millisecond), ts.Stats().Calls, ts.Stats().PingsSent)
	ts.dial(t).roundTrip(1)
}

// TestMaxClients64 is RELIABILITY test 45 at its own numbers: with
// MaxClients 64, connection 65 waits in the backlog and is served within
// 1 s of a slot freeing while the other 63 are unaffected; with the
// default MaxAnonymousClients (20), a 21st connection that has not opened
// waits until one of the 20 opens.
func TestMaxClients64(t *testing.T) {
	ts := startServer(t, "unix", Options{MaxClients: 64, MaxAnonymousClients: -1}, echoSetup)
	cs := make([]*rawClient, 64)
	for i := range cs {
		cs[i] = ts.dial(t)
		cs[i].roundTrip(uint32(i))
	}
	waiting := ts.dial(t)
	waiting.send(callHeader(echoProc, 65), nil)
	waiting.expectSilence(200 * time.Millisecond)
	if n := ts.Stats().Connections; n != 64 {
		t.Fatalf("%d connections; want 64", n)
	}
	cs[0].nc.Close()
	freed := time.Now()
	if h, _ := waiting.read(time.Second); h.Serial != 65 {
		t.Fatalf("connection 65 got %v", h)
	}
	t.Logf("figure: test 45: connection 65 served %v after a slot freed", time.Since(freed))
	for i, c := range cs[1:] {
		c.roundTrip(uint32(100 + i))
	}

	anon := startServer(t, "unix", Options{}, typedSetup)
	as := make([]*rawClient, DefaultMaxAnonymousClients)
	for i := range as {
		as[i] = anon.dial(t)
		as[i].roundTrip(uint32(i))
	}
	late := anon.dial(t)
	late.send(callHeader(echoProc, 21), nil)
	late.expectSilence(200 * time.Millisecond)
	if s := anon.Stats(); s.Anonymous != int64(DefaultMaxAnonymousClients) {
		t.Fatalf("Anonymous = %d; want %d", s.Anonymous, DefaultMaxAnonymousClients)
	}
	as[0].send(callHeader(protocol.ProcConnectOpen, 99), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	as[0].read(time.Second)
	if h, _ := late.read(time.Second); h.Serial != 21 {
		t.Fatalf("the 21st connection got %v", h)
	}
}

// TestSlowloris1000 is RELIABILITY test 38 at its count, with the clock
// scaled: 1000 connections each trickle a frame one byte every 300 ms
// against a 1 s frame deadline (the list's 1 byte per 10 s against 30 s).
// Every one is closed by the frame deadline, the process's memory grows by
// at most 64 MiB meanwhile (RSS; the Go heap under -race), and a new
// client is accepted and served while they trickle.
func TestSlowloris1000(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	ts := startServer(t, "unix", Options{FrameTimeout: time.Second, MaxAnonymousClients: 2 * n}, echoSetup)
	rss0, heap0 := measure.Memory(t)
	full := frame(callHeader(echoProc, 7), make([]byte, 64))
	var wg sync.WaitGroup
	var peak atomic.Int64
	for range n {
		nc, err := dialBacklogged(ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer nc.Close()
			for _, b := range full {
				if _, err := nc.Write([]byte{b}); err != nil {
					return // closed by the server
				}
				time.Sleep(300 * time.Millisecond)
			}
			t.Error("a slowloris client wrote a whole frame")
		}()
	}
	waitFor(t, "every slowloris connection to be accepted", func() bool { return ts.Stats().Accepted >= uint64(n) })
	rss1, heap1 := measure.Memory(t)
	grown := heap1 - heap0
	if !measure.Race {
		grown = max(grown, rss1-rss0)
	}
	peak.Store(grown)
	good := ts.dial(t)
	start := time.Now()
	good.roundTrip(1)
	served := time.Since(start)
	wg.Wait()
	waitFor(t, "the frame deadlines", func() bool { return ts.Stats().FrameTimeouts >= uint64(n) })
	t.Logf("figure: test 38: %d slowloris connections: all closed by the frame deadline; memory %+d KiB while they trickled (%s); a new client served in %v",
		n, peak.Load()>>10, map[bool]string{true: "Go heap, -race", false: "max of RSS and heap"}[measure.Race], served)
	if peak.Load() > 64<<20 {
		t.Errorf("memory grew by %d KiB; want ≤ 64 MiB", peak.Load()>>10)
	}
}
