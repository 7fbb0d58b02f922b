package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
)

// BenchmarkCalls measures calls per second and the p50/p99 latency of a
// trivial handler (an empty OK reply) with 1, 8 and 64 concurrent raw
// clients, each on its own connection making one call at a time; beside it,
// impl=floor is an "echo floor" server written here that answers each
// 28-byte call with the same pre-encoded 28 bytes, with no framing,
// dispatch or goroutine per call: the cost of the sockets alone.
func BenchmarkCalls(b *testing.B) {
	for _, network := range []string{"unix", "tcp"} {
		for _, impl := range []string{"virtwire", "floor"} {
			for _, clients := range []int{1, 8, 64} {
				b.Run(fmt.Sprintf("net=%s/impl=%s/clients=%d", network, impl, clients), func(b *testing.B) {
					var addr string
					var stop func()
					if impl == "virtwire" {
						addr, stop = benchServer(b, network)
					} else {
						addr, stop = floorServer(b, network)
					}
					defer stop()
					benchClients(b, network, addr, clients)
				})
			}
		}
	}
}

func benchListener(b *testing.B, network string) net.Listener {
	var ln net.Listener
	var err error
	if network == "unix" {
		ln, err = net.Listen("unix", filepath.Join(b.TempDir(), "sock"))
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		b.Fatal(err)
	}
	return ln
}

func benchServer(b *testing.B, network string) (string, func()) {
	s := New(Options{MaxAnonymousClients: -1})
	s.Handle(remote, v1, echoProc, func(context.Context, *Call) (protocol.Message, error) { return nil, nil })
	ln := benchListener(b, network)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	return ln.Addr().String(), func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			b.Error(err)
		}
	}
}

// floorServer answers every 28 bytes read with the same 28-byte reply.
func floorServer(b *testing.B, network string) (string, func()) {
	ln := benchListener(b, network)
	h := callHeader(echoProc, 0)
	reply := frame(h.Reply(protocol.StatusOK), nil)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf [protocol.FrameMin]byte
				for {
					if _, err := io.ReadFull(nc, buf[:]); err != nil {
						return
					}
					if _, err := nc.Write(reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for _, nc := range conns {
			nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

// benchClients runs b.N calls spread over n connections and reports
// calls/s, p50 and p99.
func benchClients(b *testing.B, network, addr string, n int) {
	conns := make([]net.Conn, n)
	for i := range conns {
		nc, err := net.Dial(network, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		conns[i] = nc
	}
	call := frame(callHeader(echoProc, 0), nil)
	lat := make([][]time.Duration, n)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i, nc := range conns {
		calls := b.N / n
		if i < b.N%n {
			calls++
		}
		lat[i] = make([]time.Duration, 0, calls)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf [protocol.FrameMin]byte
			for range calls {
				t0 := time.Now()
				if _, err := nc.Write(call); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(nc, buf[:]); err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	measure.ReportLatency(b, elapsed, all)
	b.ReportMetric(0, "ns/op")
}
