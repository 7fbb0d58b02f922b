package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/fixtures"
	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
)

// Serials of the calls pending when the hostile stream arrives: the
// handshake uses 0 (AUTH_LIST) and 1 (CONNECT_OPEN), the subscription 2.
const (
	fuzzSerialList   = 3 // CONNECT_LIST_ALL_DOMAINS
	fuzzSerialType   = 4 // CONNECT_GET_TYPE
	fuzzSerialLookup = 5 // DOMAIN_LOOKUP_BY_NAME
	fuzzCallbackID   = 1
)

// withSerial returns a copy of a frame with its serial replaced.
func withSerial(fr []byte, serial uint32) []byte {
	out := bytes.Clone(fr)
	if len(out) >= protocol.FrameMin {
		binary.BigEndian.PutUint32(out[20:24], serial)
	}
	return out
}

// fuzzClientSeeds adds RELIABILITY test 66's seeds: every server frame of
// the shared captures and of the committed fixtures, as recorded and with
// its serial moved onto a pending call, every stream whole, and the
// go-libvirt reproductions.
func fuzzClientSeeds(f *testing.F) {
	all, err := captures.All()
	if err != nil {
		f.Fatal(err)
	}
	add := func(stream [][]byte) {
		var whole []byte
		for _, fr := range stream {
			whole = append(whole, fr...)
			f.Add(fr)
			if len(fr) >= protocol.FrameMin && binary.BigEndian.Uint32(fr[16:20]) == uint32(protocol.TypeReply) {
				f.Add(withSerial(fr, fuzzSerialList))
			}
		}
		f.Add(whole)
	}
	for _, c := range all {
		add(c.S2C)
	}
	fxs, err := fixtures.LoadDir("../fixtures/testdata/recorded")
	if err != nil {
		f.Fatal(err)
	}
	for _, fx := range fxs {
		var s2c [][]byte
		for _, e := range fx.Events {
			if e.Dir == fixtures.ServerToClient && e.Kind == fixtures.KindFrame && len(e.Data) < 1<<20 {
				s2c = append(s2c, e.Data)
			}
		}
		add(s2c)
	}
	reply := func(proc protocol.Procedure, serial uint32, payload []byte) []byte {
		h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: proc, Type: protocol.TypeReply, Serial: serial}
		b, _ := protocol.AppendFrame(nil, &h, protocol.RawPayload(payload))
		return b
	}
	u32 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return b
	}
	for _, seed := range [][]byte{
		// go-libvirt: a length word of 4 panicked its reader (makeslice).
		u32(4),
		// go-libvirt: 0xfffffff0 allocated 4 GiB for a 28-byte input.
		append(u32(0xfffffff0), make([]byte, 24)...),
		// go-libvirt: counts 0x00400000 (160 MiB) and 0x7fffffff (fatal OOM).
		reply(protocol.ProcConnectListAllDomains, fuzzSerialList, u32(0x00400000)),
		reply(protocol.ProcConnectListAllDomains, fuzzSerialList, u32(0x7fffffff)),
		reply(protocol.ProcConnectListAllDomains, fuzzSerialList, u32(0xffffffff, 0)),
		reply(protocol.ProcConnectListAllDomains, fuzzSerialList, u32(16385)),
		reply(protocol.ProcConnectListAllDomains, fuzzSerialList, u32(1, 1, 'a'<<24, 0, 0, 0, 0, 1, 1)),
		reply(protocol.ProcConnectGetType, fuzzSerialType, u32(4, 'T'<<24|'E'<<16|'S'<<8|'T')),
		reply(protocol.ProcDomainLookupByName, fuzzSerialLookup, u32(0xffffffff)),
		// Keepalive PING and an event for the subscription.
		func() []byte {
			h := protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPing, Type: protocol.TypeMessage}
			b, _ := protocol.AppendFrame(nil, &h, nil)
			return b
		}(),
		func() []byte {
			h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcDomainEventCallbackLifecycle, Type: protocol.TypeMessage, Serial: 1}
			b, _ := protocol.AppendFrame(nil, &h, &protocol.DomainEventCallbackLifecycleMsg{CallbackID: fuzzCallbackID,
				Msg: protocol.DomainEventLifecycleMsg{Dom: protocol.NonnullDomain{Name: "alpha", ID: 1}, Event: protocol.DomainEventSuspended}})
			return b
		}(),
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
	} {
		f.Add(seed)
	}
}

// socketPair returns the two ends of a unix stream socketpair as net.Conns.
func socketPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	return conns[0], conns[1]
}

// clientGoroutines counts goroutines running code of this package's Conn
// (reader and control loops). Its buffer is allocated once.
func clientGoroutines() int {
	fuzzStackMu.Lock()
	defer fuzzStackMu.Unlock()
	b := fuzzStackBuf[:runtime.Stack(fuzzStackBuf, true)]
	return bytes.Count(b, []byte("virtwire/client.(*Conn).readLoop")) + bytes.Count(b, []byte("virtwire/client.(*Conn).controlLoop"))
}

var (
	fuzzStackMu  sync.Mutex
	fuzzStackBuf = make([]byte, 1<<20)
)

// FuzzClientConn is RELIABILITY test 64's whole-client target: over a real
// unix socketpair, a server completes the handshake and an event
// subscription, waits until three calls are pending (LIST_ALL, GET_TYPE,
// LOOKUP_BY_NAME, serials 3-5), then sends the fuzzer's bytes and hangs up.
// Invariants (test 65): no panic; the bytes the client allocates from the
// first hostile byte until every call has returned are at most 4 × input +
// 64 KiB; every call returns within 1 s of the hang-up; after Close no
// goroutine of the connection is left (goleak in TestMain for the rest).
func FuzzClientConn(f *testing.F) {
	fuzzClientSeeds(f)
	f.Fuzz(func(t *testing.T, input []byte) {
		cliSide, srvSide := socketPair(t)
		defer srvSide.Close()
		ready := make(chan struct{})
		wrote := make(chan time.Time, 1)
		var srvWG sync.WaitGroup
		srvWG.Add(1)
		go func() {
			defer srvWG.Done()
			p := &peer{t: t, nc: srvSide, fr: protocol.NewFrameReader(srvSide)}
			if _, err := p.handshake(handshakeOpts{}); err != nil {
				return
			}
			f, err := p.readCall() // the subscription
			if err != nil {
				return
			}
			p.reply(f, &protocol.Int32Value{Value: fuzzCallbackID})
			for range 3 {
				if _, err := p.readCall(); err != nil {
					return
				}
			}
			<-ready
			srvSide.SetWriteDeadline(time.Now().Add(2 * time.Second))
			srvSide.Write(input)
			wrote <- time.Now()
			srvSide.Close()
		}()

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := Dial(ctx, "test+unix:///x.xml?socket=/virtwire-fuzz", WithKeepalive(0, 0),
			WithCloseTimeout(100*time.Millisecond),
			WithDialer(func(context.Context, string, string) (net.Conn, error) { return cliSide, nil }))
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		sub, err := c.SubscribeLifecycle(ctx, nil)
		if err != nil {
			t.Fatalf("SubscribeLifecycle: %v", err)
		}
		errs := make(chan error, 3)
		calls := []func() error{
			func() error { _, err := c.ListAllDomains(ctx, 0); return err },
			func() error { _, err := c.ConnectGetType(ctx); return err },
			func() error { _, err := c.DomainLookupByName(ctx, "alpha"); return err },
		}
		for i, call := range calls {
			go func() { errs <- call() }()
			pendingCalls(t, c, i+1)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		close(ready)
		var hostileErr error
		for range calls {
			if err := <-errs; err != nil && hostileErr == nil {
				hostileErr = err
			}
		}
		returned := time.Now()
		runtime.ReadMemStats(&m1)
		if errors.Is(hostileErr, context.DeadlineExceeded) {
			t.Fatalf("a call hung until its context ended")
		}
		if d := returned.Sub(<-wrote); d > time.Second {
			t.Fatalf("calls returned %v after the server hung up; want ≤ 1 s", d)
		}
		if alloc, limit := m1.TotalAlloc-m0.TotalAlloc, 4*uint64(len(input))+64<<10; alloc > limit {
			t.Fatalf("the client allocated %d bytes for %d bytes of input, limit %d", alloc, len(input), limit)
		}
		c.Close()
		for range sub.Events() { // closed exactly once by the end of the connection
		}
		srvWG.Wait()
		deadline := time.Now().Add(time.Second)
		for clientGoroutines() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d client goroutines left after Close", clientGoroutines())
			}
			time.Sleep(time.Millisecond)
		}
	})
}
