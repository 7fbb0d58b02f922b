package testdriver

import (
	"bytes"
	"encoding"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
)

// cbConn is a raw client for TestCloseDropsCallbacks.
type cbConn struct {
	t      *testing.T
	nc     net.Conn
	fr     *protocol.FrameReader
	serial uint32
}

func (c *cbConn) call(proc protocol.Procedure, args encoding.BinaryAppender) []byte {
	c.t.Helper()
	h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: proc, Type: protocol.TypeCall, Serial: c.serial}
	c.serial++
	b, _ := protocol.AppendFrame(nil, &h, args)
	c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("%v: %v", proc, err)
		}
		if f.Header.Type == protocol.TypeReply && f.Header.Serial == h.Serial {
			if f.Header.Status != protocol.StatusOK {
				var e protocol.Error
				_ = e.UnmarshalBinary(f.Payload)
				c.t.Fatalf("%v failed: %v", proc, &e)
			}
			return bytes.Clone(f.Payload)
		}
	}
}

// TestCloseDropsCallbacks is RELIABILITY test 32 on the fake
// (CVE-2013-4399: register an event callback, then close): 100
// connections, half of them read-only, open the shared test:///default,
// register three event callbacks each (lifecycle, reboot, RTC change) and
// hang up without deregistering. Once they are gone the shared state holds
// only the callback of a connection that stayed, and a state change sends
// exactly one event, to it.
func TestCloseDropsCallbacks(t *testing.T) {
	drv := NewDriver()
	if _, err := drv.Serve(DefaultName, Default()); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{MaxAnonymousClients: -1})
	drv.Register(srv)
	ln, err := srv.ListenUnix(filepath.Join(t.TempDir(), "sock"), 0o600, false)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-served; drv.Close() })
	dial := func() *cbConn {
		nc, err := net.Dial("unix", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return &cbConn{t: t, nc: nc, fr: protocol.NewFrameReader(nc)}
	}
	register := &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: protocol.DomainEventIDLifecycle}

	stays := dial()
	stays.call(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(DefaultName)})
	var id protocol.Int32Value
	if err := id.UnmarshalBinary(stays.call(protocol.ProcConnectDomainEventCallbackRegisterAny, register)); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		c := dial()
		c.call(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(DefaultName), Flags: protocol.ConnectFlags(i % 2)})
		for ev := range protocol.DomainEventID(3) { // lifecycle, reboot, RTC change
			c.call(protocol.ProcConnectDomainEventCallbackRegisterAny, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: ev})
		}
		c.nc.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Stats().Connections != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections left", srv.Stats().Connections)
		}
		time.Sleep(time.Millisecond)
	}
	st := drv.Host(DefaultName).current()
	st.mu.Lock()
	n := len(st.cbs)
	st.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d callbacks registered after 100 connections closed; want the 1 of the connection that stayed", n)
	}
	if err := drv.Host(DefaultName).SetState("test", protocol.DomainPaused); err != nil {
		t.Fatal(err)
	}
	stays.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := stays.fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	var ev protocol.DomainEventCallbackLifecycleMsg
	if err := ev.UnmarshalBinary(f.Payload); err != nil || f.Header.Procedure != protocol.ProcDomainEventCallbackLifecycle || ev.CallbackID != id.Value {
		t.Fatalf("event %v %+v, %v; want 318 for callback %d", f.Header, ev, err, id.Value)
	}
	stays.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if f, err := stays.fr.ReadFrame(); err == nil {
		t.Errorf("a second event arrived: %v", f.Header)
	}
	if d := drv.EventsDropped(); d != 0 {
		t.Errorf("%d events dropped", d)
	}
}
