package reliability

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/faultconn"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestSlowLink is RELIABILITY test 40: a proxy adds 200 ± 50 ms of latency
// to every write and limits each direction to 64 KB/s; 1000 LIST_ALL
// calls made at once on one Conn all return the recorded domains, and
// neither side's keepalive (the defaults: virsh's 5 s × 6 in the client,
// libvirtd's 5 s × 5 in the server, negotiated) declares the other dead.
func TestSlowLink(t *testing.T) {
	srv := startFake(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	slow := []faultconn.Fault{faultconn.Latency(200*time.Millisecond, 50*time.Millisecond), faultconn.Bandwidth(64 << 10)}
	p := faultconn.NewProxy(ln, "unix", srv.Socket, slow, slow)
	defer p.Close()
	want := fixtureDomains(t)
	ctx := t.Context()
	c, err := client.Dial(ctx, "test+tcp://"+p.Addr().String()+"/tmp/virtwire-fixtures/node8.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const calls = 1000
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs, wrong int
	var lat []time.Duration
	for range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			doms, err := c.ListAllDomains(ctx, listAll)
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, time.Since(t0))
			switch {
			case err != nil:
				errs++
				if errs == 1 {
					t.Errorf("ListAllDomains over the slow link: %v", err)
				}
			case !slices.Equal(sortDomains(doms), want):
				wrong++
			}
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	t.Logf("figure: test 40: %d LIST_ALL over 200±50 ms and 64 KB/s in %v: %d errors, %d wrong, p50 %v, p99 %v; server pings sent %d, keepalive timeouts %d",
		calls, time.Since(start).Round(time.Millisecond), errs, wrong, percentile(lat, 50), percentile(lat, 99),
		srv.RPC.Stats().PingsSent, srv.RPC.Stats().KeepaliveTimeout)
	if errs != 0 || wrong != 0 {
		t.Errorf("%d errors and %d wrong results", errs, wrong)
	}
	if err := c.Err(); err != nil {
		t.Errorf("the connection ended: %v", err)
	}
	if n := srv.RPC.Stats().KeepaliveTimeout; n != 0 {
		t.Errorf("the server's keepalive closed %d connections", n)
	}
}

// recordingProxy forwards one connection to a target, recording what the
// target sends (s2c) or, with resetAt > 0, resetting the connection once
// resetAt bytes have passed in direction dir ("s2c" or "c2s").
func recordingProxy(t *testing.T, target string, dir string, resetAt int64, s2c, c2s *bytes.Buffer) (addr string, done <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fin := make(chan struct{})
	go func() {
		defer close(fin)
		defer ln.Close()
		cli, err := ln.Accept()
		if err != nil {
			return
		}
		srv, err := net.Dial("tcp", target)
		if err != nil {
			cli.Close()
			return
		}
		var toCli, toSrv net.Conn = cli, srv
		if resetAt > 0 && dir == "s2c" {
			toCli = faultconn.Wrap(cli, faultconn.ResetAfter(resetAt))
		}
		if resetAt > 0 && dir == "c2s" {
			toSrv = faultconn.Wrap(srv, faultconn.ResetAfter(resetAt))
		}
		var wg sync.WaitGroup
		pipe := func(dst net.Conn, src net.Conn, rec *bytes.Buffer) {
			defer wg.Done()
			w := io.Writer(dst)
			if rec != nil {
				w = io.MultiWriter(rec, dst)
			}
			io.Copy(w, src)
			cli.Close()
			srv.Close()
		}
		wg.Add(2)
		go pipe(toCli, srv, s2c)
		go pipe(toSrv, cli, c2s)
		wg.Wait()
	}()
	return ln.Addr().String(), fin
}

// tlsRecords returns the offsets at which each TLS record of a stream
// starts, and its length with the 5-byte header.
func tlsRecords(b []byte) (starts, lens []int) {
	for off := 0; off+5 <= len(b); {
		n := 5 + int(binary.BigEndian.Uint16(b[off+3:off+5]))
		starts, lens = append(starts, off), append(lens, n)
		off += n
	}
	return starts, lens
}

// TestTLSResetMidRecord is RELIABILITY test 41: a TCP reset in the middle
// of a TLS record, in each direction. A clean conversation (Dial, LIST_ALL,
// Close) through a proxy gives the record boundaries; then for every
// record the proxy resets the connection inside its header and in the
// middle of its body. The client gets an error (or, past its last
// reply, the right result), nothing panics, the fake drops the
// connection, and no goroutine is left.
func TestTLSResetMidRecord(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXMLAs(node8Name, node8Path), libvirtdtest.TLS(),
		libvirtdtest.ServerOptions(func(o *server.Options) { o.FrameTimeout = 2 * time.Second }))
	want := fixtureDomains(t)
	converse := func(addr string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		_, port, _ := net.SplitHostPort(addr)
		c, err := client.Dial(ctx, "test+tls://localhost:"+port+"/tmp/virtwire-fixtures/node8.xml?pkipath="+srv.PKIDir,
			client.WithKeepalive(0, 0), client.WithCloseTimeout(2*time.Second))
		if err != nil {
			return err
		}
		doms, err := c.ListAllDomains(ctx, listAll)
		cerr := c.Close()
		if err != nil {
			return err
		}
		if !slices.Equal(sortDomains(doms), want) {
			t.Errorf("LIST_ALL after a reset = %v", doms)
		}
		return cerr
	}
	var s2c, c2s bytes.Buffer
	addr, done := recordingProxy(t, srv.TLSAddr, "", 0, &s2c, &c2s)
	if err := converse(addr); err != nil {
		t.Fatalf("clean conversation: %v", err)
	}
	<-done
	leaks := goleak.IgnoreCurrent()
	cases, errs := 0, 0
	for _, dir := range []string{"s2c", "c2s"} {
		stream := s2c.Bytes()
		if dir == "c2s" {
			stream = c2s.Bytes()
		}
		starts, lens := tlsRecords(stream)
		for i := range starts {
			for _, at := range []int{starts[i] + 2, starts[i] + lens[i]/2} {
				if at <= 0 {
					continue
				}
				addr, done := recordingProxy(t, srv.TLSAddr, dir, int64(at), nil, nil)
				err := converse(addr)
				<-done
				cases++
				if err != nil {
					errs++
				} else if i < len(starts)-3 {
					t.Errorf("%s reset at byte %d (record %d of %d) went unnoticed", dir, at, i+1, len(starts))
				}
			}
		}
		t.Logf("%s: %d records, %d bytes", dir, len(starts), len(stream))
	}
	waitUntil(t, "the fake to drop every connection", func() bool { return srv.RPC.Stats().Connections == 0 })
	// A server may keep idle worker goroutines for later calls; they
	// belong to the server, which TestMain checks once it is closed.
	goleak.VerifyNone(t, leaks, goleak.IgnoreTopFunction("github.com/virtwire/virtwire/server.(*Server).worker"))
	t.Logf("figure: test 41: %d resets inside TLS records (headers and bodies, both directions): %d errors, the rest after the last reply; 0 panics, 0 goroutines left", cases, errs)
	if errs == 0 {
		t.Error("no reset gave an error")
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFakeEventQueueBounded is RELIABILITY test 39 on the fake: a client
// registers for lifecycle events on test:///default and never reads.
// 10^5 state changes later the fake has queued at most 1024 events for it
// and dropped (and counted) the rest, its memory has grown by at most
// 8 MiB, and a good client on the same node is served at once.
func TestFakeEventQueueBounded(t *testing.T) {
	const changes = 100_000
	srv := libvirtdtest.NewServer(t)
	sleeper := dialRaw(t, "unix", srv.Socket)
	if e := sleeper.callError(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some("test:///default")}); e != nil {
		t.Fatal(e)
	}
	if e := sleeper.callError(protocol.ProcConnectDomainEventCallbackRegisterAny, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: protocol.DomainEventIDLifecycle}); e != nil {
		t.Fatal(e)
	}
	good, err := client.Dial(t.Context(), srv.DefaultURI, client.WithKeepalive(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()
	host := srv.Driver.Host("test:///default")
	rss0, heap0 := measure.Memory(t)
	for i := range changes {
		state := protocol.DomainPaused
		if i%2 == 1 {
			state = protocol.DomainRunning
		}
		if err := host.SetState("test", state); err != nil {
			t.Fatal(err)
		}
	}
	rss1, heap1 := measure.Memory(t)
	dropped := srv.Driver.EventsDropped()
	t.Logf("figure: test 39 fake: %d events to a client that never reads: %d dropped, %d queued or in the socket; RSS %+d KiB, heap %+d KiB",
		changes, dropped, changes-int(dropped), (rss1-rss0)>>10, (heap1-heap0)>>10)
	if dropped == 0 || changes-int(dropped) > 1024+4096 {
		t.Errorf("%d of %d events dropped; want all but the 1024 queued and what the socket holds", dropped, changes)
	}
	if g := memGrowth(rss0, heap0, rss1, heap1); g > 8<<20 {
		t.Errorf("memory grew by %d KiB; want ≤ 8 MiB", g>>10)
	}
	start := time.Now()
	if doms, err := good.ListAllDomains(t.Context(), listAll); err != nil || len(doms) != 1 {
		t.Errorf("good client: %v, %v", doms, err)
	}
	t.Logf("good client served in %v", time.Since(start))
	if errors.Is(err, client.ErrConnClosed) {
		t.Fatal(err)
	}
}
