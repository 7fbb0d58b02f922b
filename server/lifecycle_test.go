package server

import (
	"context"
	"errors"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// TestShutdownGraceful checks that Shutdown stops accepting, lets calls in
// flight finish and their replies go out, then closes the connections and
// makes Serve return ErrServerClosed.
func TestShutdownGraceful(t *testing.T) {
	g := newGate()
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		echoSetup(s)
		s.Handle(remote, v1, 7001, g.handler)
	})
	c := ts.dial(t)
	c.send(callHeader(7001, 1), []byte{0, 0, 0, 1})
	waitFor(t, "the call", func() bool { return g.running.Load() == 1 })
	done := make(chan error, 1)
	go func() { done <- ts.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v with a call in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.open)
	if h, _ := c.read(2 * time.Second); h.Serial != 1 || h.Status != protocol.StatusOK {
		t.Fatalf("in-flight call got %v", h)
	}
	c.expectClosed(2 * time.Second)
	if err := <-done; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve = %v, want ErrServerClosed", err)
	}
	ts.served <- ErrServerClosed // for the cleanup
	if _, err := ts.ListenTCP("127.0.0.1:0"); !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenTCP after Shutdown = %v", err)
	}
}

// TestShutdownDeadline checks that when Shutdown's context ends first, the
// remaining connections are closed, their handlers' contexts cancelled with
// the cause, and Shutdown still returns only when they have returned.
func TestShutdownDeadline(t *testing.T) {
	var cause atomic.Value
	ts := startServer(t, "tcp", Options{}, func(s *Server) {
		s.Handle(remote, v1, 7003, func(ctx context.Context, call *Call) (protocol.Message, error) {
			<-ctx.Done()
			cause.Store(context.Cause(ctx))
			return nil, nil
		})
	})
	c := ts.dial(t)
	c.send(callHeader(7003, 1), nil)
	waitFor(t, "the call", func() bool { return ts.Stats().InFlight == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want DeadlineExceeded", err)
	}
	if got, _ := cause.Load().(error); !errors.Is(got, ErrConnClosed) {
		t.Errorf("handler's context cause %v, want ErrConnClosed", got)
	}
	if n := ts.Stats().Connections; n != 0 {
		t.Errorf("%d connections after Shutdown", n)
	}
	c.expectClosed(time.Second)
}

// TestConnHooksAndContext checks OnConnect, OnDisconnect and Conn.Context:
// each hook runs once per connection, OnConnect can refuse one, and the
// context ends, with ErrConnClosed as the cause, when the client leaves.
func TestConnHooksAndContext(t *testing.T) {
	var connects, disconnects atomic.Int64
	var mu sync.Mutex
	var ctxs []context.Context
	ts := startServer(t, "unix", Options{
		OnConnect: func(c *Conn) error {
			if connects.Add(1) == 3 {
				return errors.New("third connection refused")
			}
			mu.Lock()
			ctxs = append(ctxs, c.Context())
			mu.Unlock()
			return nil
		},
		OnDisconnect: func(c *Conn) {
			if c.Context().Err() == nil {
				t.Error("OnDisconnect before the context ended")
			}
			disconnects.Add(1)
		},
	}, echoSetup)
	a, b := ts.dial(t), ts.dial(t)
	a.roundTrip(1)
	b.roundTrip(2)
	refused := ts.dial(t)
	refused.expectClosed(2 * time.Second)
	a.nc.Close()
	b.nc.Close()
	waitFor(t, "disconnects", func() bool { return disconnects.Load() == 2 })
	mu.Lock()
	defer mu.Unlock()
	for _, ctx := range ctxs {
		if !errors.Is(context.Cause(ctx), ErrConnClosed) {
			t.Errorf("context cause %v, want ErrConnClosed", context.Cause(ctx))
		}
	}
	if s := ts.Stats(); s.Rejected != 1 || connects.Load() != 3 {
		t.Errorf("Rejected %d, OnConnect calls %d", s.Rejected, connects.Load())
	}
}

// TestSendEvent checks Conn.Send and Call.AfterReply: an event sent after
// the reply arrives after it, with the header the caller chose (libvirtd's
// lifecycle events: MESSAGE 318, serial 1; FACTS S1, §6(e)).
func TestSendEvent(t *testing.T) {
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		s.Handle(remote, v1, protocol.ProcDomainSuspend, func(ctx context.Context, call *Call) (protocol.Message, error) {
			call.AfterReply(func() {
				ev := protocol.Header{Program: remote, Version: 1, Procedure: protocol.ProcDomainEventCallbackLifecycle, Type: protocol.TypeMessage, Serial: 1}
				if err := call.Conn.Send(ctx, ev, &protocol.Int32Value{Value: 3}); err != nil {
					t.Errorf("Send: %v", err)
				}
			})
			return nil, nil
		})
	})
	c := ts.dial(t)
	c.send(callHeader(protocol.ProcDomainSuspend, 40), nil)
	if h, _ := c.read(2 * time.Second); h.Type != protocol.TypeReply || h.Serial != 40 {
		t.Fatalf("first frame %v, want the reply", h)
	}
	h, p := c.read(2 * time.Second)
	if h.Type != protocol.TypeMessage || h.Serial != 1 || h.Procedure != protocol.ProcDomainEventCallbackLifecycle || string(p) != "\x00\x00\x00\x03" {
		t.Fatalf("second frame %v %x, want the event", h, p)
	}
	conn := c2conn(t, ts)
	c.nc.Close()
	<-conn.Context().Done()
	if err := conn.Send(context.Background(), h, nil); !errors.Is(err, ErrConnClosed) {
		t.Errorf("Send on a closed connection = %v", err)
	}
}

// TestCloseClientConnections checks the fault-test helper: every client is
// dropped, the server keeps serving new ones.
func TestCloseClientConnections(t *testing.T) {
	ts := startServer(t, "tcp", Options{}, echoSetup)
	a, b := ts.dial(t), ts.dial(t)
	a.roundTrip(1)
	b.roundTrip(2)
	ts.CloseClientConnections()
	a.expectClosed(time.Second)
	b.expectClosed(time.Second)
	ts.dial(t).roundTrip(3)
}

// TestChurn covers RELIABILITY test 44: thousands of connect → call → close
// cycles and abrupt closes mid-frame leave goroutines and file descriptors
// at their baseline.
func TestChurn(t *testing.T) {
	cycles, abrupt := 2000, 500
	if testing.Short() {
		cycles, abrupt = 200, 50
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{}, echoSetup)
			ts.dial(t).roundTrip(0)
			g0, fd0 := runtime.NumGoroutine(), openFDs(t)
			for i := range cycles {
				c := ts.dial(t)
				c.roundTrip(uint32(i))
				c.nc.Close()
			}
			full := frame(callHeader(echoProc, 1), make([]byte, 64))
			for i := range abrupt {
				c := ts.dial(t)
				c.write(full[:1+i%(len(full)-1)])
				c.nc.Close()
			}
			waitFor(t, "connections to end", func() bool { return ts.Stats().Connections == 1 })
			waitFor(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= g0 })
			waitFor(t, "fds to close", func() bool { return openFDs(t) <= fd0 })
			t.Logf("%d cycles + %d abrupt closes: goroutines %d → %d, fds %d → %d", cycles, abrupt, g0, runtime.NumGoroutine(), fd0, openFDs(t))
		})
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(ents)
}
