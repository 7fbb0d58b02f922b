package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
)

// FuzzServerConn feeds arbitrary bytes, as a client's whole stream, to a
// server with trivial handlers over a real unix socket (RELIABILITY tests
// 64-66). Invariants: no panic (a handler or reader panic fails the run),
// allocation ≤ 4 × input + 64 KiB, the server is done with the connection
// within 1 s of the client's EOF, and no goroutine is left over (goleak
// in TestMain, and the goroutine count per input).
func FuzzServerConn(f *testing.F) {
	all, err := captures.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range all {
		var stream []byte
		for _, fr := range c.C2S {
			stream = append(stream, fr...)
			f.Add(fr)
		}
		f.Add(stream)
	}
	for _, seed := range [][]byte{
		lengthWord(0), lengthWord(3), lengthWord(4), append(lengthWord(8), 0, 0, 0, 0),
		lengthWord(protocol.FrameMax), lengthWord(protocol.FrameMax + 1), lengthWord(0xffffffff),
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		frame(callHeader(protocol.ProcConnectListAllDomains, 0), []byte{0, 0, 0, 1}),
		frame(callHeader(protocol.ProcDomainLookupByName, 0), lengthWord(protocol.StringMax+1)),
		frame(protocol.Header{Program: 0x12345678, Version: 1, Type: protocol.TypeCall}, nil),
		frame(protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: 1, Type: protocol.TypeMessage}, nil),
		frame(protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: 1, Type: protocol.TypeCall}, nil),
		frame(protocol.Header{Program: remote, Version: 1, Procedure: 1, Type: protocol.TypeCallWithFDs}, lengthWord(1)),
		frame(protocol.Header{Program: remote, Version: 1, Procedure: 9999, Type: protocol.TypeCall, Status: protocol.StatusError}, nil),
	} {
		f.Add(seed)
	}

	s := New(Options{FrameTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxAnonymousClients: -1})
	voidSetup(s)
	HandleTyped(s, remote, v1, protocol.ProcConnectListAllDomains,
		func(ctx context.Context, c *Conn, a *protocol.ConnectListAllDomainsArgs) (protocol.Message, error) {
			return &protocol.ConnectListAllDomainsRet{Ret: uint32(a.Flags)}, nil
		})
	HandleTyped(s, remote, v1, protocol.ProcDomainLookupByName,
		func(ctx context.Context, c *Conn, a *protocol.DomainLookupByNameArgs) (protocol.Message, error) {
			return nil, protocol.NewError(protocol.FromTest, protocol.ErrNoDomain, "")
		})
	HandleTyped(s, remote, v1, protocol.ProcConnectSupportsFeature,
		func(ctx context.Context, c *Conn, a *protocol.ConnectSupportsFeatureArgs) (protocol.Message, error) {
			return &protocol.ConnectSupportsFeatureRet{Supported: 1}, c.StartKeepalive()
		})
	path := filepath.Join(f.TempDir(), "sock")
	ln, err := s.ListenUnix(path, 0o600, false)
	if err != nil {
		f.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	f.Cleanup(func() {
		s.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			f.Errorf("Serve = %v", err)
		}
	})

	f.Fuzz(func(t *testing.T, input []byte) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		nc, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		uc := nc.(*net.UnixConn)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // read whatever comes back, so replies never block the server
			defer wg.Done()
			uc.SetReadDeadline(time.Now().Add(5 * time.Second))
			io.Copy(io.Discard, uc)
		}()
		uc.SetWriteDeadline(time.Now().Add(2 * time.Second))
		uc.Write(input)
		uc.CloseWrite()
		eof := time.Now()
		wg.Wait()
		uc.Close()
		deadline := eof.Add(time.Second)
		for s.Stats().Connections != 0 || connGoroutines() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("server still busy 1 s after EOF: %d connections, %d connection goroutines",
					s.Stats().Connections, connGoroutines())
			}
			time.Sleep(time.Millisecond)
		}
		runtime.ReadMemStats(&m1)
		if alloc, limit := m1.TotalAlloc-m0.TotalAlloc, 4*uint64(len(input))+64<<10; alloc > limit {
			t.Fatalf("allocated %d bytes for %d bytes of input, limit %d", alloc, len(input), limit)
		}
		if p := s.Stats().HandlerPanics; p != 0 {
			t.Fatalf("%d handler panics", p)
		}
	})
}

var _ = binary.BigEndian

// connGoroutines counts the goroutines running code of a Conn (readers,
// workers, keepalive). Its buffer is allocated once, outside the measured
// region.
func connGoroutines() int {
	return connStacks.Count(func(g []byte) bool { return bytes.Contains(g, []byte("virtwire/server.(*Conn)")) })
}

var connStacks = measure.NewStacks(1 << 20)
