package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// featureSetup registers SUPPORTS_FEATURE as the fake libvirtd answers it:
// feature 10 starts keepalive.
func featureSetup(s *Server) {
	echoSetup(s)
	HandleTyped(s, remote, v1, protocol.ProcConnectSupportsFeature,
		func(ctx context.Context, c *Conn, a *protocol.ConnectSupportsFeatureArgs) (protocol.Message, error) {
			if protocol.Feature(a.Feature) == protocol.FeatureProgramKeepalive {
				if err := c.StartKeepalive(); err != nil {
					return nil, err
				}
			}
			return &protocol.ConnectSupportsFeatureRet{Supported: 1}, nil
		})
}

var (
	pingHeader = protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPing, Type: protocol.TypeMessage}
	pongHeader = protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPong, Type: protocol.TypeMessage}
)

func (c *rawClient) enableKeepalive() {
	c.t.Helper()
	c.send(callHeader(protocol.ProcConnectSupportsFeature, 1), []byte{0, 0, 0, 10})
	if h, p := c.read(2 * time.Second); h.Status != protocol.StatusOK || len(p) != 4 || p[3] != 1 {
		c.t.Fatalf("SUPPORTS_FEATURE(10): %v %x", h, p)
	}
}

// TestKeepaliveTimeout covers d30 and RELIABILITY test 35 with short
// intervals: after SUPPORTS_FEATURE(10) a silent client gets count PINGs,
// one per interval, and is closed after interval × (count+1), with
// libvirtd's log line.
func TestKeepaliveTimeout(t *testing.T) {
	const interval, count = 50 * time.Millisecond, 5
	ts := startServer(t, "unix", Options{KeepaliveInterval: interval, KeepaliveCount: count}, featureSetup)
	c := ts.dial(t)
	start := time.Now()
	c.enableKeepalive()
	var at []time.Duration
	for {
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		f, err := c.fr.ReadFrame()
		if err != nil {
			break
		}
		if f.Header != pingHeader || len(f.Payload) != 0 {
			t.Fatalf("got %v %x, want only PINGs", f.Header, f.Payload)
		}
		at = append(at, time.Since(start))
	}
	closedAt := time.Since(start)
	if len(at) != count {
		t.Fatalf("got %d PINGs at %v, want %d", len(at), at, count)
	}
	for i, d := range at {
		if min := time.Duration(i+1) * interval; d < min {
			t.Errorf("PING %d at %v, before %v", i+1, d, min)
		}
	}
	if min := interval * (count + 1); closedAt < min {
		t.Errorf("closed at %v, before %v", closedAt, min)
	}
	t.Logf("PINGs at %v, closed at %v", at, closedAt)
	waitFor(t, "the keepalive log line", func() bool {
		return ts.log.has("internal error: connection closed due to keepalive timeout")
	})
	if s := ts.Stats(); s.KeepaliveTimeout != 1 || s.PingsSent != count {
		t.Errorf("KeepaliveTimeout %d PingsSent %d, want 1 and %d", s.KeepaliveTimeout, s.PingsSent, count)
	}
}

// TestKeepaliveReset covers "any inbound message resets the count": a client
// that answers PINGs is never closed.
func TestKeepaliveReset(t *testing.T) {
	const interval, count = 30 * time.Millisecond, 2
	ts := startServer(t, "unix", Options{KeepaliveInterval: interval, KeepaliveCount: count}, featureSetup)
	c := ts.dial(t)
	c.enableKeepalive()
	for i := range 4 * (count + 1) {
		h, _ := c.read(2 * time.Second)
		if h != pingHeader {
			t.Fatalf("frame %d: %v, want PING", i, h)
		}
		c.send(pongHeader, nil)
	}
	c.roundTrip(9) // alive after 4 × the timeout
	if got := ts.Stats().KeepaliveTimeout; got != 0 {
		t.Errorf("KeepaliveTimeout = %d, want 0", got)
	}
}

// TestNoKeepaliveWithoutFeature covers d31: without SUPPORTS_FEATURE(10)
// the server never pings and an idle client stays connected.
func TestNoKeepaliveWithoutFeature(t *testing.T) {
	const interval = 20 * time.Millisecond
	ts := startServer(t, "unix", Options{KeepaliveInterval: interval, KeepaliveCount: 1}, featureSetup)
	c := ts.dial(t)
	c.roundTrip(1)
	c.expectSilence(20 * interval)
	c.roundTrip(2)
	if got := ts.Stats().PingsSent; got != 0 {
		t.Errorf("PingsSent = %d, want 0", got)
	}
}

// TestStartKeepaliveClosed covers CVE-2014-1447 and RELIABILITY test 31:
// StartKeepalive on a closed connection refuses, and clients closing right
// after SUPPORTS_FEATURE(10), before its reply, crash nothing and leak
// nothing (goleak in TestMain).
func TestStartKeepaliveClosed(t *testing.T) {
	var closedErr = make(chan error, 1)
	ts := startServer(t, "unix", Options{KeepaliveInterval: time.Millisecond}, func(s *Server) {
		featureSetup(s)
		s.Handle(remote, v1, 7000, func(ctx context.Context, call *Call) (protocol.Message, error) {
			call.Conn.Close()
			closedErr <- call.Conn.StartKeepalive()
			return nil, nil
		})
	})
	c := ts.dial(t)
	c.send(callHeader(7000, 1), nil)
	if err := <-closedErr; !errors.Is(err, ErrConnClosed) {
		t.Errorf("StartKeepalive on a closed connection = %v, want ErrConnClosed", err)
	}
	n := 1000
	if testing.Short() {
		n = 100
	}
	for i := range n {
		c := ts.dial(t)
		c.write(frame(callHeader(protocol.ProcConnectSupportsFeature, uint32(i)), []byte{0, 0, 0, 10}))
		c.nc.Close()
	}
	waitFor(t, "every connection to end", func() bool { return ts.Stats().Connections == 0 })
	ts.dial(t).roundTrip(1)
}
