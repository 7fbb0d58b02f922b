package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// rpcErr is the remote_error libvirtd's RPC layer sends: code 39, domain 7,
// level 2, str1 "%s", str2 the message, int1 = int2 = -1 (FACTS §9).
func rpcErr(msg string) *protocol.Error {
	return &protocol.Error{
		Code: 39, Domain: 7, Message: protocol.Some(msg), Level: 2,
		Str1: protocol.Some("%s"), Str2: protocol.Some(msg), Int1: -1, Int2: -1,
	}
}

func sameError(got, want *protocol.Error) bool {
	g, _ := got.AppendBinary(nil)
	w, _ := want.AppendBinary(nil)
	return bytes.Equal(g, w)
}

// TestBadHeader covers FACTS §3's table and RELIABILITY tests 6, 20, 21 and
// 22: which headers get which error reply (echoing prog, vers, proc and
// serial), which are dropped silently, and that the connection stays open
// after every one of them.
func TestBadHeader(t *testing.T) {
	h := func(prog protocol.Program, vers uint32, proc int32, typ protocol.MessageType, serial uint32, status protocol.Status) protocol.Header {
		return protocol.Header{Program: prog, Version: vers, Procedure: protocol.Procedure(proc), Type: typ, Serial: serial, Status: status}
	}
	call, reply, msg := protocol.TypeCall, protocol.TypeReply, protocol.TypeMessage
	ok := protocol.StatusOK
	ka := protocol.ProgramKeepalive
	cases := []struct {
		name string
		h    protocol.Header
		want *protocol.Error // nil: nothing comes back
	}{
		{"d08 unknown program", h(0x12345678, 1, 1, call, 5, ok), rpcErr("Cannot find program 305419896 version 1")},
		{"program above 2^31 prints signed", h(0x80000001, 1, 1, call, 5, ok), rpcErr("Cannot find program -2147483647 version 1")},
		{"d09 wrong version", h(remote, 2, 1, call, 6, ok), rpcErr("Cannot find program 536903814 version 2")},
		{"d15 keepalive as CALL", h(ka, 1, 1, call, 7, ok), rpcErr("Cannot find program 1801807216 version 1")},
		{"QEMU program not served", h(protocol.ProgramQEMU, 1, 1, call, 8, ok), rpcErr("Cannot find program 536903815 version 1")},
		{"unknown program as MESSAGE", h(0x12345678, 1, 1, msg, 9, ok), nil},
		{"unknown program as REPLY", h(0x12345678, 1, 1, reply, 9, ok), nil},
		{"d10 unknown procedure 9999", h(remote, 1, 9999, call, 10, ok), rpcErr("unknown procedure: 9999")},
		{"procedure 0", h(remote, 1, 0, call, 11, ok), rpcErr("unknown procedure: 0")},
		{"procedure -1", h(remote, 1, -1, call, 12, ok), rpcErr("unknown procedure: -1")},
		{"gap in the table", h(remote, 1, 3, call, 13, ok), rpcErr("unknown procedure: 3")},
		{"event procedure 318 as CALL", h(remote, 1, 318, call, 14, ok), rpcErr("unknown procedure: 318")},
		{"d12 REPLY from a client", h(remote, 1, 1, reply, 15, ok), nil},
		{"MESSAGE from a client", h(remote, 1, 1, msg, 16, ok), nil},
		{"d34 type 99", h(remote, 1, 1, 99, 17, ok), nil},
		{"type -1", h(remote, 1, 1, -1, 17, ok), nil},
		{"d35 STREAM", h(remote, 1, 1, protocol.TypeStream, 18, ok), nil},
		{"STREAM_HOLE", h(remote, 1, 1, protocol.TypeStreamHole, 19, ok), nil},
		{"REPLY_WITH_FDS", h(remote, 1, 1, protocol.TypeReplyWithFDs, 19, ok), nil},
		{"d13 CALL with status ERROR", h(remote, 1, 1, call, 20, protocol.StatusError), rpcErr("Unexpected message status 1")},
		{"CALL with status CONTINUE", h(remote, 1, 1, call, 21, protocol.StatusContinue), rpcErr("Unexpected message status 2")},
		{"CALL with status -1 prints unsigned", h(remote, 1, 1, call, 22, -1), rpcErr("Unexpected message status 4294967295")},
		{"status is checked before the procedure", h(remote, 1, 9999, call, 23, protocol.StatusError), rpcErr("Unexpected message status 1")},
		{"keepalive version 2 MESSAGE", h(ka, 2, 1, msg, 0, ok), nil},
		{"unknown keepalive procedure", h(ka, 1, 3, msg, 0, ok), nil},
		{"unsolicited PONG", h(ka, 1, 2, msg, 0, ok), nil},
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{}, echoSetup)
			c := ts.dial(t)
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					c.send(tc.h, []byte{0, 0, 0, 1})
					if tc.want == nil {
						c.expectSilence(50 * time.Millisecond)
					} else {
						gh, ge := c.readError()
						if want := tc.h.Reply(protocol.StatusError); gh != want {
							t.Errorf("reply header %v, want %v", gh, want)
						}
						if !sameError(ge, tc.want) {
							t.Errorf("error %#v, want %#v", ge, tc.want)
						}
					}
					c.roundTrip(uint32(1000 + i)) // still open
				})
			}
		})
	}
}

// TestSerialsEchoed covers d26 and RELIABILITY test 22: serials are never
// checked and always echoed, 0, duplicates and 0xffffffff included.
func TestSerialsEchoed(t *testing.T) {
	ts := startServer(t, "unix", Options{}, echoSetup)
	c := ts.dial(t)
	for _, serial := range []uint32{0, 0, 7, 7, 0xffffffff, 0x80000000} {
		c.roundTrip(serial)
	}
}

// TestKeepaliveProtocol covers d14 and RELIABILITY test 26: a PING gets a
// PONG at any time (keepalive never started, before any call, and while a
// slow call is in flight).
func TestKeepaliveProtocol(t *testing.T) {
	release := make(chan struct{})
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		echoSetup(s)
		s.Handle(remote, v1, 2, func(ctx context.Context, call *Call) (protocol.Message, error) {
			<-release
			return nil, nil
		})
	})
	c := ts.dial(t)
	ping := protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPing, Type: protocol.TypeMessage}
	pong := ping
	pong.Procedure = protocol.KeepaliveProcPong
	c.send(ping, nil)
	if h, p := c.read(2 * time.Second); h != pong || len(p) != 0 {
		t.Fatalf("PING got %v %x; want %v with no payload", h, p, pong)
	}
	c.send(callHeader(2, 1), nil) // blocks in the handler
	c.send(ping, nil)
	if h, _ := c.read(2 * time.Second); h != pong {
		t.Fatalf("PING during a call got %v; want %v", h, pong)
	}
	close(release)
	slow := callHeader(2, 1)
	if h, p := c.read(2 * time.Second); h != slow.Reply(protocol.StatusOK) || len(p) != 0 {
		t.Fatalf("slow call got %v %x", h, p)
	}
	// The counter moves after the PONG's write returns, which may be after
	// the client has read it.
	waitFor(t, "2 PONGs counted", func() bool { return ts.Stats().PongsSent == 2 })
	if s := ts.Stats(); s.PongsSent != 2 || s.PingsSent != 0 {
		t.Errorf("PongsSent %d PingsSent %d, want 2 and 0", s.PongsSent, s.PingsSent)
	}
}

// TestHandlerResults covers the Handler contract: OK with a payload or an
// empty one, a libvirt error (also wrapped), no reply, the generic error
// for any other error, the encode error for a reply that breaks its limits,
// and a panic, which closes only that connection.
func TestHandlerResults(t *testing.T) {
	notFound := protocol.NewError(protocol.FromTest, protocol.ErrNoDomain, "")
	long := &protocol.StringRet{Value: string(make([]byte, protocol.StringMax+1))}
	results := map[protocol.Procedure]func() (protocol.Message, error){
		10: func() (protocol.Message, error) { return &protocol.Int32Value{Value: 7}, nil },
		11: func() (protocol.Message, error) { return nil, nil },
		12: func() (protocol.Message, error) { return nil, notFound },
		13: func() (protocol.Message, error) { return nil, fmt.Errorf("lookup: %w", notFound) },
		14: func() (protocol.Message, error) { return nil, ErrNoReply },
		15: func() (protocol.Message, error) { return nil, errors.New("some Go error") },
		16: func() (protocol.Message, error) { return long, nil },
		17: func() (protocol.Message, error) { panic("handler bug") },
	}
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		echoSetup(s)
		for proc, f := range results {
			s.Handle(remote, v1, proc, func(context.Context, *Call) (protocol.Message, error) { return f() })
		}
	})
	generic := &protocol.Error{Code: 1, Domain: 7, Message: protocol.Some("Library function returned error but did not set virError"), Level: 2}
	c := ts.dial(t)
	okReply := func(proc protocol.Procedure, want []byte) {
		t.Helper()
		c.send(callHeader(proc, uint32(proc)), nil)
		h, p := c.read(2 * time.Second)
		if ch := callHeader(proc, uint32(proc)); h != ch.Reply(protocol.StatusOK) || !bytes.Equal(p, want) {
			t.Errorf("proc %d: got %v %x; want OK %x", proc, h, p, want)
		}
	}
	errReply := func(proc protocol.Procedure, want *protocol.Error) {
		t.Helper()
		c.send(callHeader(proc, uint32(proc)), nil)
		h, e := c.readError()
		if ch := callHeader(proc, uint32(proc)); h != ch.Reply(protocol.StatusError) || !sameError(e, want) {
			t.Errorf("proc %d: got %v %#v; want %#v", proc, h, e, want)
		}
	}
	okReply(10, []byte{0, 0, 0, 7})
	okReply(11, nil)
	errReply(12, notFound)
	errReply(13, notFound)
	c.send(callHeader(14, 14), nil)
	c.expectSilence(50 * time.Millisecond)
	errReply(15, generic)
	errReply(16, rpcErr("Unable to encode message payload"))
	c.roundTrip(1)

	other := ts.dial(t)
	c.send(callHeader(17, 17), nil)
	c.expectClosed(2 * time.Second)
	other.roundTrip(2)
	if got := ts.Stats().HandlerPanics; got != 1 {
		t.Errorf("HandlerPanics = %d, want 1", got)
	}
}

// TestHandleReplace checks that Handle replaces a handler while serving.
func TestHandleReplace(t *testing.T) {
	ts := startServer(t, "unix", Options{}, echoSetup)
	c := ts.dial(t)
	c.roundTrip(1)
	ts.Handle(remote, v1, echoProc, func(context.Context, *Call) (protocol.Message, error) {
		return nil, protocol.NewError(protocol.FromRPC, protocol.ErrRPC, "replaced")
	})
	c.send(callHeader(echoProc, 2), nil)
	if _, e := c.readError(); !sameError(e, rpcErr("replaced")) {
		t.Errorf("after Handle: %#v", e)
	}
	// A program registered without procedures knows none of them.
	ts.HandleProgram(protocol.ProgramLXC, 1)
	c.send(protocol.Header{Program: protocol.ProgramLXC, Version: 1, Procedure: 1, Serial: 3}, nil)
	if _, e := c.readError(); !sameError(e, rpcErr("unknown procedure: 1")) {
		t.Errorf("LXC program: %#v", e)
	}
}

// TestInlineCalls checks Options.Inline: calls it accepts run on the reader
// goroutine, one after the other and answered in order, each with its own
// payload although they share the frame buffer, while a call it refuses
// runs on a worker and does not hold the connection up.
func TestInlineCalls(t *testing.T) {
	const blockProc = echoProc + 1
	release := make(chan struct{})
	ts := startServer(t, "unix", Options{Inline: func(h *protocol.Header) bool { return h.Procedure == echoProc }}, func(s *Server) {
		echoSetup(s)
		s.Handle(remote, v1, blockProc, func(ctx context.Context, call *Call) (protocol.Message, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil, nil
		})
	})
	c := ts.dial(t)
	c.send(callHeader(blockProc, 1), nil)
	// Three echo calls in one write: the reader has all three in its
	// buffer when the first runs.
	var batch []byte
	for serial := uint32(2); serial <= 4; serial++ {
		batch = append(batch, frame(callHeader(echoProc, serial), binary.BigEndian.AppendUint32(nil, serial*1000))...)
	}
	c.write(batch)
	for serial := uint32(2); serial <= 4; serial++ {
		h, p := c.read(5 * time.Second)
		ch := callHeader(echoProc, serial)
		if want := ch.Reply(protocol.StatusOK); h != want || binary.BigEndian.Uint32(p) != serial*1000 {
			t.Fatalf("reply %v %x, want %v with %d: inline calls answered in order, each with its payload", h, p, want, serial*1000)
		}
	}
	// A call leaves InFlight after its reply's write returns.
	waitFor(t, "one call in flight", func() bool { return ts.Stats().InFlight == 1 })
	st := ts.Stats()
	if st.InlineCalls != 3 || st.Calls != 4 || st.InFlight != 1 {
		t.Errorf("Stats: %d inline of %d calls, %d in flight; want 3 of 4, 1 (the blocked call) in flight", st.InlineCalls, st.Calls, st.InFlight)
	}
	close(release)
	h, _ := c.read(5 * time.Second)
	if ch := callHeader(blockProc, 1); h != ch.Reply(protocol.StatusOK) {
		t.Fatalf("got %v, want the reply to the call run on a worker", h)
	}
}
