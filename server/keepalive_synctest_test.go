package server

import (
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// pipeListener hands net.Pipe connections to Serve, so a server can run
// inside a testing/synctest bubble.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new connection.
func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	l.conns <- s
	return c
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// TestKeepaliveDefaultsVirtualTime is RELIABILITY test 35 (d30, d31) at
// libvirtd's defaults, 5 s × 5, in virtual time (testing/synctest): after
// SUPPORTS_FEATURE(10) a silent client gets PINGs at 5, 10, 15, 20 and
// 25 s and is closed at 30.0 s ± 0.5 s; a client that never asked gets no
// PING and is still connected at 40 s.
func TestKeepaliveDefaultsVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Options{})
		featureSetup(s)
		ln := newPipeListener()
		served := make(chan error, 1)
		go func() { served <- s.Serve(ln) }()
		defer func() {
			s.Close()
			if err := <-served; !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve = %v", err)
			}
		}()

		quiet := ln.dial()
		defer quiet.Close()
		nc := ln.dial()
		defer nc.Close()
		c := &rawClient{t: t, nc: nc, fr: protocol.NewFrameReader(nc)}
		start := time.Now()
		c.enableKeepalive()
		nc.SetReadDeadline(time.Time{})
		var at []time.Duration
		for {
			f, err := c.fr.ReadFrame()
			if err != nil {
				break
			}
			if f.Header != pingHeader {
				t.Fatalf("got %v, want only PINGs", f.Header)
			}
			at = append(at, time.Since(start))
		}
		closed := time.Since(start)
		want := []time.Duration{5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second, 25 * time.Second}
		if len(at) != len(want) {
			t.Fatalf("PINGs at %v; want %v", at, want)
		}
		for i := range want {
			if d := at[i] - want[i]; d < 0 || d > 100*time.Millisecond {
				t.Errorf("PING %d at %v; want %v", i+1, at[i], want[i])
			}
		}
		if d := closed - 30*time.Second; d < -500*time.Millisecond || d > 500*time.Millisecond {
			t.Errorf("closed at %v; want 30.0 s ± 0.5 s", closed)
		}
		t.Logf("figure: test 35 server keepalive at 5 s × 5 (virtual time): PINGs at %v, closed at %v", at, closed)

		// d31: the quiet client, 40 s after it connected, is still there.
		time.Sleep(40*time.Second - time.Since(start))
		quiet.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, err := quiet.Read(make([]byte, 1)); n != 0 || !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
			t.Fatalf("quiet client at 40 s: read %d, %v; want a timeout (open, silent)", n, err)
		} else if errors.Is(err, net.ErrClosed) {
			t.Fatal("the quiet client was closed")
		}
		if s := s.Stats(); s.PingsSent != 5 || s.KeepaliveTimeout != 1 || s.Connections != 1 {
			t.Errorf("stats %+v; want 5 PINGs, 1 keepalive timeout, 1 connection left", s)
		}
	})
}
