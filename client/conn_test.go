package client

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
)

// testCtx returns a context that bounds a test's waits, so a hang fails
// the test instead of the run.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialFake dials s and closes the connection when the test ends.
func dialFake(t *testing.T, s *fakeServer, opts ...Option) *Conn {
	t.Helper()
	c, err := Dial(testCtx(t), s.URI(), opts...)
	if err != nil {
		t.Fatalf("Dial(%s) = %v", s.URI(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitDone waits for the connection to end.
func waitDone(t *testing.T, c *Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the connection did not end")
	}
}

// TestHandshakeBytesMatchCaptures checks that the frames Dial sends are
// byte for byte those of libvirt's own clients in the captures: virsh
// (keepalive negotiated, captures/a), python without an event loop
// (captures/c) and virsh -r (captures/g). Serials start at 0 and no call
// is sent before the open's reply.
func TestHandshakeBytesMatchCaptures(t *testing.T) {
	for _, tc := range []struct {
		capture string
		frames  int // how many client frames the handshake has
		opts    []Option
	}{
		{"a_virsh_list_all", 3, nil},
		{"c_py_flags", 2, []Option{WithKeepalive(0, 0)}},
		{"g_virsh_readonly_list", 3, []Option{WithReadOnly()}},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			capt, err := captures.Load(tc.capture)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan [][]byte, 1)
			s := newFakeServer(t, func(p *peer) {
				var raw [][]byte
				for i := range tc.frames {
					f, err := p.fr.ReadFrame()
					if err != nil {
						t.Errorf("frame %d: %v", i, err)
						break
					}
					raw = append(raw, append([]byte(nil), f.Raw...))
					// Answer with the capture's own reply.
					p.writeRaw(capt.S2C[i])
				}
				got <- raw
				p.serve(func(frame) bool { return true })
			})
			// The captured URI was test+unix:///srv/virtw/node.xml?socket=…
			c, err := Dial(testCtx(t), "test+unix:///srv/virtw/node.xml?socket="+s.path, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			raw := <-got
			for i := range tc.frames {
				if i >= len(raw) || !bytes.Equal(raw[i], capt.C2S[i]) {
					t.Errorf("client frame %d = %x\nwant %x (%s)", i, raw[min(i, len(raw)-1)], capt.C2S[i], tc.capture)
				}
			}
		})
	}
}

// TestListAllDomainsFrameMatchesVirsh checks the LIST_ALL call bytes
// against virsh's (captures/a, message 7) apart from the serial, and that
// the captured reply decodes into the eight domains.
func TestListAllDomainsFrameMatchesVirsh(t *testing.T) {
	capt, err := captures.Load("a_virsh_list_all")
	if err != nil {
		t.Fatal(err)
	}
	var callFrame, replyFrame []byte
	for i, b := range capt.C2S {
		if binary.BigEndian.Uint32(b[12:]) == uint32(protocol.ProcConnectListAllDomains) {
			callFrame, replyFrame = b, capt.S2C[i]
		}
	}
	got := make(chan []byte, 1)
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		f, err := p.fr.ReadFrame()
		if err != nil {
			return
		}
		got <- append([]byte(nil), f.Raw...)
		// The captured reply with this call's serial.
		r := append([]byte(nil), replyFrame...)
		copy(r[20:24], f.Raw[20:24])
		p.writeRaw(r)
		p.serve(func(frame) bool { return true })
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	doms, err := c.ListAllDomains(testCtx(t), protocol.ListDomainsActive|protocol.ListDomainsInactive)
	if err != nil {
		t.Fatal(err)
	}
	call := <-got
	want := append([]byte(nil), callFrame...)
	copy(want[20:24], call[20:24]) // serials differ: virsh made more calls first
	if !bytes.Equal(call, want) {
		t.Errorf("LIST_ALL call = %x\nwant %x", call, want)
	}
	if len(doms) != 8 || doms[0].Name != "alpha" {
		t.Errorf("ListAllDomains = %v; want the 8 captured domains starting with alpha", doms)
	}
}

// TestCallCancel checks RELIABILITY test 36: a cancelled call returns
// ctx.Err() without waiting for its reply, the late reply is dropped, the
// connection stays usable and the serial is not reused while outstanding.
func TestCallCancel(t *testing.T) {
	held := make(chan frame, 1)
	release := make(chan struct{})
	serials := make(chan uint32, 16)
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		p.serve(func(f frame) bool {
			serials <- f.h.Serial
			switch f.h.Procedure {
			case protocol.ProcConnectListAllDomains:
				held <- f
				go func() {
					<-release
					p.reply(f, &protocol.ConnectListAllDomainsRet{})
				}()
			case protocol.ProcConnectGetType:
				p.reply(f, &protocol.StringRet{Value: "TEST"})
			}
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := c.ListAllDomains(ctx, 0)
		errc <- err
	}()
	f := <-held
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ListAllDomains = %v; want context.Canceled", err)
	}
	<-serials
	// The held serial stays reserved: the next call gets another one.
	typ, err := c.ConnectGetType(testCtx(t))
	if err != nil || typ != "TEST" {
		t.Fatalf("ConnectGetType after cancel = %q, %v; want TEST, nil", typ, err)
	}
	if s2 := <-serials; s2 == f.h.Serial {
		t.Errorf("serial %d reused while its call was outstanding", s2)
	}
	// The late reply is dropped and the connection goes on.
	close(release)
	for range 3 {
		if _, err := c.ConnectGetType(testCtx(t)); err != nil {
			t.Fatalf("ConnectGetType after the late reply = %v", err)
		}
		<-serials
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() = %v; want nil", err)
	}
}

// TestSerialWrapSkipsOutstanding checks that after 2^32 serials the
// counter wraps and skips serials still outstanding or abandoned.
func TestSerialWrapSkipsOutstanding(t *testing.T) {
	serials := make(chan uint32, 4)
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		p.serve(func(f frame) bool {
			serials <- f.h.Serial
			p.reply(f, &protocol.StringRet{Value: "TEST"})
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	c.mu.Lock()
	c.serial = math.MaxUint32
	c.abandoned[0] = protocol.ProcConnectListAllDomains
	c.mu.Unlock()
	for range 2 {
		if _, err := c.ConnectGetType(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := <-serials, <-serials; a != math.MaxUint32 || b != 1 {
		t.Errorf("serials after the wrap = %d, %d; want %d, 1 (0 is abandoned)", a, b, uint32(math.MaxUint32))
	}
}

// TestOutOfOrderReplies checks that replies are routed by serial when the
// server answers in reverse order (FACTS S3) while 64 calls are pending.
func TestOutOfOrderReplies(t *testing.T) {
	const n = 64
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		var calls []frame
		p.serve(func(f frame) bool {
			calls = append(calls, f)
			if len(calls) < n {
				return true
			}
			for i := len(calls) - 1; i >= 0; i-- {
				var a protocol.DomainLookupByNameArgs
				if err := a.UnmarshalBinary(calls[i].payload); err != nil {
					t.Error(err)
				}
				p.reply(calls[i], &protocol.DomainArgs{Dom: protocol.NonnullDomain{Name: a.Name, ID: int32(i)}})
			}
			calls = nil
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("dom%02d", i)
			d, err := c.DomainLookupByName(testCtx(t), name)
			if err != nil || d.Name != name {
				t.Errorf("DomainLookupByName(%s) = %v, %v", name, d, err)
			}
		}()
	}
	wg.Wait()
}

// TestProtocolViolations checks RELIABILITY tests 23-25 and L11: a server
// that breaks the protocol has its connection closed, and every pending
// and later call fails with an error wrapping ErrConnClosed and
// ErrProtocol.
func TestProtocolViolations(t *testing.T) {
	hdr := func(f frame) protocol.Header { return f.h.Reply(protocol.StatusOK) }
	for _, tc := range []struct {
		name string
		act  func(p *peer, f frame)
	}{
		{"reply for an unknown serial", func(p *peer, f frame) {
			h := hdr(f)
			h.Serial += 100
			p.write(h, &protocol.StringRet{Value: "x"})
		}},
		{"reply from another program", func(p *peer, f frame) {
			h := hdr(f)
			h.Program = protocol.ProgramQEMU
			p.write(h, &protocol.StringRet{Value: "x"})
		}},
		{"reply with another version", func(p *peer, f frame) {
			h := hdr(f)
			h.Version = 2
			p.write(h, &protocol.StringRet{Value: "x"})
		}},
		{"reply for another procedure", func(p *peer, f frame) {
			h := hdr(f)
			h.Procedure = protocol.ProcConnectGetHostname
			p.write(h, &protocol.StringRet{Value: "x"})
		}},
		{"a CALL from the server", func(p *peer, f frame) {
			h := f.h
			p.write(h, nil)
		}},
		{"keepalive program as a CALL", func(p *peer, f frame) {
			p.write(protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPing, Type: protocol.TypeCall}, nil)
		}},
		{"unknown message type", func(p *peer, f frame) {
			h := hdr(f)
			h.Type = 99
			p.write(h, &protocol.StringRet{Value: "x"})
		}},
		{"event from an unknown program", func(p *peer, f frame) {
			p.write(protocol.Header{Program: 0x12345678, Version: 1, Procedure: 1, Type: protocol.TypeMessage, Serial: 1}, nil)
		}},
		{"length word 0", func(p *peer, f frame) { p.writeRaw([]byte{0, 0, 0, 0}) }},
		{"length word 27", func(p *peer, f frame) { p.writeRaw([]byte{0, 0, 0, 27}) }},
		{"length word 0x7fffffff", func(p *peer, f frame) { p.writeRaw([]byte{0x7f, 0xff, 0xff, 0xff}) }},
		{"HTTP instead of a frame", func(p *peer, f frame) { p.writeRaw([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t, func(p *peer) {
				if _, err := p.handshake(handshakeOpts{}); err != nil {
					return
				}
				f, err := p.readCall()
				if err != nil {
					return
				}
				tc.act(p, f)
				_, _ = p.waitClosed(10 * time.Second)
			})
			c := dialFake(t, s, WithKeepalive(0, 0))
			_, err := c.ConnectGetType(testCtx(t))
			if !errors.Is(err, ErrConnClosed) || !errors.Is(err, ErrProtocol) {
				t.Fatalf("pending call = %v; want an error wrapping ErrConnClosed and ErrProtocol", err)
			}
			waitDone(t, c)
			if err2 := c.Err(); !errors.Is(err2, ErrProtocol) {
				t.Errorf("Err() = %v; want ErrProtocol", err2)
			}
			if _, err := c.ConnectGetHostname(testCtx(t)); !errors.Is(err, ErrConnClosed) {
				t.Errorf("later call = %v; want ErrConnClosed", err)
			}
		})
	}
}

// TestSecondReplyClosesConnection checks that a second reply to a call
// that was already answered is a violation (L11) that fails the calls
// pending at that moment.
func TestSecondReplyClosesConnection(t *testing.T) {
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		first, err := p.readCall()
		if err != nil {
			return
		}
		p.reply(first, &protocol.StringRet{Value: "TEST"})
		if _, err := p.readCall(); err != nil { // the second call stays pending
			return
		}
		p.reply(first, &protocol.StringRet{Value: "again"})
		_, _ = p.waitClosed(10 * time.Second)
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	if typ, err := c.ConnectGetType(testCtx(t)); err != nil || typ != "TEST" {
		t.Fatalf("first call = %q, %v", typ, err)
	}
	if _, err := c.ConnectGetHostname(testCtx(t)); !errors.Is(err, ErrConnClosed) || !errors.Is(err, ErrProtocol) {
		t.Fatalf("pending call after a duplicate reply = %v; want ErrConnClosed and ErrProtocol", err)
	}
}

// TestCallLevelFailuresKeepConnection checks replies that fail only their
// own call, as in libvirt's client: a payload that does not decode, an
// unexpected status, and an error reply.
func TestCallLevelFailuresKeepConnection(t *testing.T) {
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		n := 0
		p.serve(func(f frame) bool {
			n++
			switch n {
			case 1: // a string length running past the payload
				p.write(f.h.Reply(protocol.StatusOK), protocol.RawPayload{0, 0, 0, 9, 'a'})
			case 2:
				p.write(f.h.Reply(protocol.StatusContinue), nil)
			case 3:
				p.replyError(f, protocol.NewError(protocol.FromTest, protocol.ErrNoDomain, ""))
			default:
				p.reply(f, &protocol.StringRet{Value: "TEST"})
			}
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	ctx := testCtx(t)
	if _, err := c.ConnectGetType(ctx); !errors.Is(err, ErrProtocol) || errors.Is(err, ErrConnClosed) {
		t.Errorf("undecodable reply = %v; want ErrProtocol without ErrConnClosed", err)
	}
	if _, err := c.ConnectGetType(ctx); !errors.Is(err, ErrProtocol) || errors.Is(err, ErrConnClosed) {
		t.Errorf("status CONTINUE = %v; want ErrProtocol without ErrConnClosed", err)
	}
	var pe *protocol.Error
	if _, err := c.ConnectGetType(ctx); !errors.As(err, &pe) || !errors.Is(err, protocol.ErrNoDomain) {
		t.Errorf("error reply = %v; want *protocol.Error with ErrNoDomain", err)
	}
	if typ, err := c.ConnectGetType(ctx); err != nil || typ != "TEST" {
		t.Errorf("call after the failures = %q, %v; want TEST, nil", typ, err)
	}
}

// TestUnknownProcedureIsNoSupport checks the mapping libvirt's client
// makes (FACTS §3 end): {VIR_ERR_RPC, domain RPC or REMOTE, "unknown
// procedure…"} becomes VIR_ERR_NO_SUPPORT with the rest kept, and nothing
// else is changed.
func TestUnknownProcedureIsNoSupport(t *testing.T) {
	for _, tc := range []struct {
		domain protocol.ErrorDomain
		code   protocol.ErrorCode
		msg    string
		want   protocol.ErrorCode
	}{
		{protocol.FromRPC, protocol.ErrRPC, "unknown procedure: 9999", protocol.ErrNoSupport},
		{protocol.FromRemote, protocol.ErrRPC, "unknown procedure: 273", protocol.ErrNoSupport},
		{protocol.FromTest, protocol.ErrRPC, "unknown procedure: 273", protocol.ErrRPC},
		{protocol.FromRPC, protocol.ErrRPC, "Unable to decode message payload", protocol.ErrRPC},
		{protocol.FromRPC, protocol.ErrInternalError, "unknown procedure: 1", protocol.ErrInternalError},
	} {
		t.Run(fmt.Sprintf("%d/%d/%s", tc.code, tc.domain, tc.msg), func(t *testing.T) {
			sent := protocol.NewError(tc.domain, tc.code, tc.msg)
			s := newFakeServer(t, func(p *peer) {
				if _, err := p.handshake(handshakeOpts{}); err != nil {
					return
				}
				p.serve(func(f frame) bool { p.replyError(f, sent); return true })
			})
			c := dialFake(t, s, WithKeepalive(0, 0))
			err := c.Call(testCtx(t), 9999, nil, nil)
			var pe *protocol.Error
			if !errors.As(err, &pe) {
				t.Fatalf("Call = %v; want *protocol.Error", err)
			}
			if pe.Code != tc.want || pe.Domain != tc.domain || pe.Message != sent.Message || pe.Str2 != sent.Str2 {
				t.Errorf("error = %d/%d %q; want %d/%d %q", pe.Code, pe.Domain, pe.Message.Value, tc.want, tc.domain, sent.Message.Value)
			}
		})
	}
}

// TestPingAnsweredWhileCallPending checks RELIABILITY test 26: a server
// PING gets a PONG while a call waits for its reply.
func TestPingAnsweredWhileCallPending(t *testing.T) {
	pong := make(chan protocol.Header, 1)
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		call, err := p.readCall()
		if err != nil {
			return
		}
		p.write(protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPing, Type: protocol.TypeMessage}, nil)
		f, err := p.read()
		if err != nil {
			return
		}
		pong <- f.h
		p.reply(call, &protocol.StringRet{Value: "TEST"})
		p.serve(func(frame) bool { return true })
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	if typ, err := c.ConnectGetType(testCtx(t)); err != nil || typ != "TEST" {
		t.Fatalf("ConnectGetType = %q, %v", typ, err)
	}
	want := protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPong, Type: protocol.TypeMessage}
	if h := <-pong; h != want {
		t.Errorf("answer to PING = %v; want %v", h, want)
	}
}

// TestKeepaliveTimeout checks client keepalive against a server that
// answers the open and then goes silent (RELIABILITY test 34, with short
// intervals): the client sends count PINGs, then declares the server dead
// no earlier than interval × (count+1) after its last frame, and the
// pending call fails with ErrConnClosed and ErrKeepaliveTimeout.
func TestKeepaliveTimeout(t *testing.T) {
	const interval, count = 40 * time.Millisecond, 3
	pings := make(chan int, 1)
	var openedAt time.Time
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{keepalive: 1}); err != nil {
			return
		}
		n := 0
		for {
			f, err := p.read()
			if err != nil {
				break
			}
			if f.h.Program == protocol.ProgramKeepalive && f.h.Procedure == protocol.KeepaliveProcPing {
				n++
			}
		}
		pings <- n
	})
	openedAt = time.Now()
	c := dialFake(t, s, WithKeepalive(interval, count))
	_, err := c.ConnectGetType(testCtx(t)) // never answered
	elapsed := time.Since(openedAt)
	if !errors.Is(err, ErrConnClosed) || !errors.Is(err, ErrKeepaliveTimeout) {
		t.Fatalf("pending call = %v; want ErrConnClosed and ErrKeepaliveTimeout", err)
	}
	waitDone(t, c)
	if elapsed < interval*(count+1) {
		t.Errorf("declared dead after %v; not before %v", elapsed, interval*(count+1))
	}
	if n := <-pings; n != count {
		t.Errorf("the client sent %d PINGs; want %d", n, count)
	}
}

// TestKeepaliveAnsweredStaysOpen checks that a server answering PINGs, or
// one that does not support keepalive, keeps the connection open far past
// the keepalive window.
func TestKeepaliveAnsweredStaysOpen(t *testing.T) {
	for _, supported := range []int32{1, 0} {
		t.Run(fmt.Sprintf("supported=%d", supported), func(t *testing.T) {
			pings := make(chan struct{}, 100)
			s := newFakeServer(t, func(p *peer) {
				if _, err := p.handshake(handshakeOpts{keepalive: supported}); err != nil {
					return
				}
				p.answerCalls(protocol.KeepaliveProcPing, func() {
					pings <- struct{}{}
					p.write(protocol.Header{Program: protocol.ProgramKeepalive, Version: 1, Procedure: protocol.KeepaliveProcPong, Type: protocol.TypeMessage}, nil)
				})
			})
			const interval = 20 * time.Millisecond
			c := dialFake(t, s, WithKeepalive(interval, 1))
			time.Sleep(15 * interval)
			if err := c.Err(); err != nil {
				t.Fatalf("Err() = %v after %v; want the connection open", err, 15*interval)
			}
			if _, err := c.ConnectGetType(testCtx(t)); err != nil {
				t.Fatal(err)
			}
			if supported == 1 && len(pings) == 0 {
				t.Error("no PING was sent although the server supports keepalive")
			}
			if supported == 0 && len(pings) != 0 {
				t.Errorf("%d PINGs sent to a server without keepalive", len(pings))
			}
		})
	}
}

// TestServerHangsUp checks RELIABILITY test 30 with a fake peer: a server
// that closes, before or in the middle of a reply, fails the pending call
// with ErrConnClosed and the cause, and Done fires.
func TestServerHangsUp(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes int // reply bytes written before the close
		cause error
	}{
		{"before the reply", 0, io.EOF},
		{"after 1 byte", 1, io.ErrUnexpectedEOF},
		{"after 4 bytes", 4, io.ErrUnexpectedEOF},
		{"after 27 bytes", 27, io.ErrUnexpectedEOF},
		{"after 30 bytes", 30, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t, func(p *peer) {
				if _, err := p.handshake(handshakeOpts{}); err != nil {
					return
				}
				f, err := p.readCall()
				if err != nil {
					return
				}
				b, _ := protocol.AppendFrame(nil, ptrTo(f.h.Reply(protocol.StatusOK)), &protocol.StringRet{Value: "TEST-TEST"})
				p.writeRaw(b[:tc.bytes])
				p.nc.Close()
			})
			c := dialFake(t, s, WithKeepalive(0, 0))
			_, err := c.ConnectGetType(testCtx(t))
			if !errors.Is(err, ErrConnClosed) || !errors.Is(err, tc.cause) {
				t.Fatalf("pending call = %v; want ErrConnClosed and %v", err, tc.cause)
			}
			waitDone(t, c)
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestAuthentication checks AUTH_LIST handling against libvirt's
// remoteAuthenticate: NONE and an empty list go on; SASL or polkit first
// gives an *AuthError and nothing is sent after AUTH_LIST; auth= picks a
// method from the list or fails as libvirt does.
func TestAuthentication(t *testing.T) {
	none, sasl, polkit := protocol.AuthNone, protocol.AuthSASL, protocol.AuthPolkit
	for _, tc := range []struct {
		name    string
		offered []protocol.AuthType
		param   string
		authErr protocol.AuthType // -1: none expected
		libvirt string            // expected *protocol.Error message, or ""
	}{
		{"none", []protocol.AuthType{none}, "", -1, ""},
		{"empty list", []protocol.AuthType{}, "", -1, ""},
		{"sasl", []protocol.AuthType{sasl}, "", sasl, ""},
		{"polkit", []protocol.AuthType{polkit}, "", polkit, ""},
		{"sasl first", []protocol.AuthType{sasl, none}, "", sasl, ""},
		{"auth=sasl not offered", []protocol.AuthType{none}, "sasl", -1, "authentication failed: requested authentication type sasl rejected"},
		{"auth=polkit offered", []protocol.AuthType{none, polkit}, "polkit", polkit, ""},
		{"auth=sasl.gssapi offered", []protocol.AuthType{sasl}, "sasl.gssapi", sasl, ""},
		{"auth=none", []protocol.AuthType{none}, "none", -1, "authentication failed: unknown authentication type none"},
		{"unknown type", []protocol.AuthType{7}, "", -1, "authentication failed: unsupported authentication type 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := make(chan []frame, 1)
			s := newFakeServer(t, func(p *peer) {
				f, err := p.readCall()
				if err != nil || f.h.Procedure != protocol.ProcAuthList {
					t.Errorf("first call = %v, %v; want AUTH_LIST", f.h, err)
					return
				}
				p.reply(f, &protocol.AuthListRet{Types: tc.offered})
				if tc.authErr >= 0 || tc.libvirt != "" {
					extra, _ := p.waitClosed(10 * time.Second)
					after <- extra
					return
				}
				if _, err := p.handshake(handshakeOpts{}); err != nil {
					return
				}
				p.serve(func(frame) bool { return true })
			})
			uri := s.URI()
			if tc.param != "" {
				uri += "&auth=" + tc.param
			}
			c, err := Dial(testCtx(t), uri, WithKeepalive(0, 0))
			if tc.authErr < 0 && tc.libvirt == "" {
				if err != nil {
					t.Fatalf("Dial = %v; want success", err)
				}
				c.Close()
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded; want an error")
			}
			var ae *AuthError
			var pe *protocol.Error
			switch {
			case tc.authErr >= 0:
				if !errors.As(err, &ae) || ae.Method != tc.authErr || !errors.Is(err, ErrAuthNotSupported) {
					t.Errorf("Dial = %v; want *AuthError for %v", err, tc.authErr)
				}
			default:
				if !errors.As(err, &pe) || pe.Message.Value != tc.libvirt || pe.Code != protocol.ErrAuthFailed || pe.Domain != protocol.FromRemote {
					t.Errorf("Dial = %v; want 45/13 %q", err, tc.libvirt)
				}
			}
			if extra := <-after; len(extra) != 0 {
				t.Errorf("the client sent %d frames after AUTH_LIST (first %v); want none", len(extra), extra[0].h)
			}
		})
	}
}

// TestReadOnlyRefusedBeforeSending checks FACTS S10: a read-only
// connection opens with VIR_CONNECT_RO and refuses write procedures with
// libvirt's error, sending nothing (captures/g_virsh_readonly_suspend).
func TestReadOnlyRefusedBeforeSending(t *testing.T) {
	opened := make(chan protocol.ConnectOpenArgs, 1)
	calls := make(chan protocol.Procedure, 10)
	s := newFakeServer(t, func(p *peer) {
		hs, err := p.handshake(handshakeOpts{})
		if err != nil {
			return
		}
		var a protocol.ConnectOpenArgs
		_ = a.UnmarshalBinary(hs[len(hs)-1].payload)
		opened <- a
		for {
			f, err := p.readCall()
			if err != nil {
				break
			}
			calls <- f.h.Procedure
			p.reply(f, nil)
		}
		close(calls)
	})
	c := dialFake(t, s, WithKeepalive(0, 0), WithReadOnly())
	if a := <-opened; a.Flags != protocol.ConnectRO || a.Name.Value != "test:///fake.xml" {
		t.Errorf("CONNECT_OPEN args = %+v; want name test:///fake.xml, flags RO", a)
	}
	if !c.ReadOnly() {
		t.Error("ReadOnly() = false")
	}
	dom := protocol.NonnullDomain{Name: "alpha", ID: 1}
	for _, tc := range []struct {
		api  string
		call func() error
	}{
		{"virDomainSuspend", func() error { return c.DomainSuspend(testCtx(t), dom) }},
		{"virDomainResume", func() error { return c.DomainResume(testCtx(t), dom) }},
		{"virDomainSetAutostart", func() error { return c.DomainSetAutostart(testCtx(t), dom, true) }},
		{"virDomainDestroy", func() error {
			return c.Call(testCtx(t), protocol.ProcDomainDestroy, &protocol.DomainArgs{Dom: dom}, nil)
		}},
	} {
		err := tc.call()
		want := &protocol.Error{
			Code: protocol.ErrOperationDenied, Domain: protocol.FromDomain, Level: protocol.LevelError,
			Message: protocol.Some("operation forbidden: read only access prevents " + tc.api),
			Str1:    protocol.Some("operation forbidden: %s"), Str2: protocol.Some("read only access prevents " + tc.api),
			Int1: -1, Int2: -1,
		}
		var pe *protocol.Error
		if !errors.As(err, &pe) || fmt.Sprint(*pe) != fmt.Sprint(*want) {
			t.Errorf("%s on a read-only connection = %#v; want %#v", tc.api, err, want)
		}
	}
	c.Close()
	var got []protocol.Procedure
	for p := range calls {
		got = append(got, p)
	}
	if len(got) != 1 || got[0] != protocol.ProcConnectClose {
		t.Errorf("calls after the open = %v; want only CONNECT_CLOSE", got)
	}
}

// TestListAllDomainsLimits checks the limits of a LIST_ALL reply: more
// than 16384 domains gives libvirt's client error before any allocation,
// exactly 16384 decodes, and a ret that differs from the count, or a count
// the payload cannot hold, fails only the call.
func TestListAllDomainsLimits(t *testing.T) {
	max := make([]protocol.NonnullDomain, protocol.DomainListMax)
	for i := range max {
		max[i] = protocol.NonnullDomain{Name: fmt.Sprintf("d%d", i), ID: -1}
	}
	count := func(n uint32) protocol.RawPayload { // a count and nothing else
		return protocol.RawPayload{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0, 0, 0, 0}
	}
	for _, tc := range []struct {
		name    string
		reply   encoding.BinaryAppender
		libvirt string // expected *protocol.Error message, or ""
		proto   bool   // expect a call-level *ProtocolError
		n       int
	}{
		{"16385 domains", count(16385), "too many remote domains: 16385 > 16384,in parameter 'domains' for 'virConnectListAllDomains'", false, 0},
		{"0xffffffff domains", count(0xffffffff), "too many remote domains: -1 > 16384,in parameter 'domains' for 'virConnectListAllDomains'", false, 0},
		{"16384 domains", &protocol.ConnectListAllDomainsRet{Domains: max, Ret: protocol.DomainListMax}, "", false, protocol.DomainListMax},
		{"ret above the count", &protocol.ConnectListAllDomainsRet{Domains: max[:2], Ret: 3}, "", true, 0},
		{"ret below the count", &protocol.ConnectListAllDomainsRet{Domains: max[:2], Ret: 1}, "", true, 0},
		{"count past the payload", count(100), "", true, 0},
		{"empty", &protocol.ConnectListAllDomainsRet{}, "", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeServer(t, func(p *peer) {
				if _, err := p.handshake(handshakeOpts{}); err != nil {
					return
				}
				p.serve(func(f frame) bool {
					if f.h.Procedure == protocol.ProcConnectListAllDomains {
						p.reply(f, tc.reply)
					} else {
						p.reply(f, &protocol.StringRet{Value: "TEST"})
					}
					return true
				})
			})
			c := dialFake(t, s, WithKeepalive(0, 0))
			doms, err := c.ListAllDomains(testCtx(t), 0)
			var pe *protocol.Error
			switch {
			case tc.libvirt != "":
				if !errors.As(err, &pe) || pe.Message.Value != tc.libvirt || pe.Code != protocol.ErrRPC || pe.Domain != protocol.FromRemote {
					t.Errorf("ListAllDomains = %v; want 39/13 %q", err, tc.libvirt)
				}
			case tc.proto:
				if !errors.Is(err, ErrProtocol) {
					t.Errorf("ListAllDomains = %v; want ErrProtocol", err)
				}
			default:
				if err != nil || len(doms) != tc.n {
					t.Errorf("ListAllDomains = %d domains, %v; want %d, nil", len(doms), err, tc.n)
				}
			}
			if _, err := c.ConnectGetType(testCtx(t)); err != nil {
				t.Errorf("the connection did not survive: %v", err)
			}
		})
	}
}

// TestEvents checks event delivery (RELIABILITY tests 32 and 39): events
// arrive in order on a bounded channel, overflow is dropped and counted,
// unknown callback IDs are ignored, Close deregisters, and every channel is
// closed exactly once, by Close or by the end of the connection.
func TestEvents(t *testing.T) {
	const buffer, sent = 4, 10
	dereg := make(chan int32, 2)
	allSent := make(chan struct{})
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		next := int32(7)
		p.serve(func(f frame) bool {
			switch f.h.Procedure {
			case protocol.ProcConnectDomainEventCallbackRegisterAny:
				var a protocol.ConnectDomainEventCallbackRegisterAnyArgs
				if err := a.UnmarshalBinary(f.payload); err != nil || a.EventID != protocol.DomainEventIDLifecycle || a.Dom != nil {
					t.Errorf("register args = %+v, %v", a, err)
				}
				p.reply(f, &protocol.Int32Value{Value: next})
				if next == 7 {
					ev := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcDomainEventCallbackLifecycle, Type: protocol.TypeMessage, Serial: 1}
					for i := range sent {
						p.write(ev, &protocol.DomainEventCallbackLifecycleMsg{CallbackID: 7,
							Msg: protocol.DomainEventLifecycleMsg{Dom: protocol.NonnullDomain{Name: fmt.Sprint(i)}, Event: protocol.DomainEventSuspended}})
					}
					p.write(ev, &protocol.DomainEventCallbackLifecycleMsg{CallbackID: 99})
					// A legacy event nobody registered for is ignored too.
					p.write(protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcDomainEventLifecycle, Type: protocol.TypeMessage, Serial: 1},
						&protocol.DomainEventLifecycleMsg{})
					close(allSent)
				}
				next++
			case protocol.ProcConnectDomainEventCallbackDeregisterAny:
				var a protocol.Int32Value
				_ = a.UnmarshalBinary(f.payload)
				dereg <- a.Value
				p.reply(f, nil)
			default:
				p.reply(f, &protocol.StringRet{Value: "TEST"})
			}
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0), WithEventBuffer(buffer))
	ctx := testCtx(t)
	sub, err := c.SubscribeLifecycle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-allSent
	if _, err := c.ConnectGetType(ctx); err != nil { // every event has been read
		t.Fatal(err)
	}
	for i := range buffer {
		ev := <-sub.Events()
		if ev.Dom.Name != fmt.Sprint(i) || ev.Event != protocol.DomainEventSuspended {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
	if d := sub.Dropped(); d != sent-buffer {
		t.Errorf("Dropped() = %d; want %d", d, sent-buffer)
	}
	if err := sub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if id := <-dereg; id != 7 {
		t.Errorf("deregistered callback %d; want 7", id)
	}
	if _, ok := <-sub.Events(); ok {
		t.Error("the channel is open after Close")
	}
	if err := sub.Close(ctx); err != nil { // a second Close does nothing
		t.Error(err)
	}

	// A subscription still open when the connection closes.
	sub2, err := c.SubscribeLifecycle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sub2.CallbackID() != 8 {
		t.Errorf("CallbackID() = %d; want 8", sub2.CallbackID())
	}
	c.Close()
	if _, ok := <-sub2.Events(); ok {
		t.Error("the channel is open after the connection closed")
	}
	if err := sub2.Close(ctx); err != nil {
		t.Errorf("Close after the connection ended = %v", err)
	}
}

// TestClose checks Close: CONNECT_CLOSE is sent and answered, calls still
// pending fail with ErrConnClosed and net.ErrClosed, a second Close is a
// no-op, a server that hung up first is not an error, and one that never
// answers CONNECT_CLOSE costs at most the close timeout.
func TestClose(t *testing.T) {
	t.Run("answered", func(t *testing.T) {
		closed := make(chan bool, 1)
		s := newFakeServer(t, func(p *peer) {
			if _, err := p.handshake(handshakeOpts{}); err != nil {
				return
			}
			pendingCall, err := p.readCall() // never answered
			if err != nil {
				return
			}
			_ = pendingCall
			f, err := p.readCall()
			closed <- err == nil && f.h.Procedure == protocol.ProcConnectClose
			p.reply(f, nil)
			_, _ = p.waitClosed(10 * time.Second)
		})
		c := dialFake(t, s, WithKeepalive(0, 0))
		errc := make(chan error, 1)
		go func() {
			_, err := c.ConnectGetType(testCtx(t))
			errc <- err
		}()
		for { // wait until the call is pending
			c.mu.Lock()
			n := len(c.pending)
			c.mu.Unlock()
			if n == 1 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if !<-closed {
			t.Error("the server did not receive CONNECT_CLOSE")
		}
		if err := <-errc; !errors.Is(err, ErrConnClosed) || !errors.Is(err, net.ErrClosed) {
			t.Errorf("pending call = %v; want ErrConnClosed and net.ErrClosed", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close = %v", err)
		}
		if _, err := c.ConnectGetType(testCtx(t)); !errors.Is(err, ErrConnClosed) {
			t.Errorf("call after Close = %v; want ErrConnClosed", err)
		}
	})
	t.Run("server hung up first", func(t *testing.T) {
		s := newFakeServer(t, func(p *peer) {
			if _, err := p.handshake(handshakeOpts{}); err != nil {
				return
			}
			p.nc.Close()
		})
		c := dialFake(t, s, WithKeepalive(0, 0))
		waitDone(t, c)
		if err := c.Close(); err != nil {
			t.Errorf("Close after the server hung up = %v; want nil", err)
		}
		if err := c.Err(); !errors.Is(err, io.EOF) {
			t.Errorf("Err() = %v; want io.EOF as the cause", err)
		}
	})
	t.Run("never answered", func(t *testing.T) {
		s := newFakeServer(t, func(p *peer) {
			if _, err := p.handshake(handshakeOpts{}); err != nil {
				return
			}
			_, _ = p.waitClosed(10 * time.Second)
		})
		c := dialFake(t, s, WithKeepalive(0, 0), WithCloseTimeout(50*time.Millisecond))
		if err := c.Close(); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close = %v; want context.DeadlineExceeded", err)
		}
	})
}

// TestDialErrors checks failures before a connection exists.
func TestDialErrors(t *testing.T) {
	ctx := testCtx(t)
	t.Run("missing socket", func(t *testing.T) {
		_, err := Dial(ctx, "test+unix:///x?socket=/nonexistent/virtwire-sock")
		var pe *protocol.Error
		want := "Failed to connect socket to '/nonexistent/virtwire-sock': No such file or directory"
		if !errors.As(err, &pe) || pe.Code != protocol.ErrSystemError || pe.Domain != protocol.FromRPC || pe.Message.Value != want || pe.Int1 != 2 {
			t.Errorf("Dial = %v; want 38/7 %q with errno 2", err, want)
		}
	})
	for _, tr := range []string{"ssh", "libssh", "libssh2", "ext"} {
		t.Run(tr, func(t *testing.T) {
			_, err := Dial(ctx, "qemu+"+tr+"://host/system")
			var te *TransportError
			if !errors.As(err, &te) || te.Transport.String() != tr || !errors.Is(err, ErrTransportNotSupported) {
				t.Errorf("Dial = %v; want *TransportError for %s", err, tr)
			}
		})
	}
	t.Run("no session directory", func(t *testing.T) {
		fakeRoot(t, 4242)
		for _, v := range []string{"XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "HOME"} {
			t.Setenv(v, "")
		}
		if _, err := Dial(ctx, "qemu:///session"); !errors.Is(err, ErrNoSessionDir) {
			t.Errorf("Dial = %v; want ErrNoSessionDir", err)
		}
	})
	t.Run("silent server", func(t *testing.T) {
		s := newFakeServer(t, func(p *peer) { _, _ = p.waitClosed(10 * time.Second) })
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := Dial(short, s.URI()); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Dial = %v; want context.DeadlineExceeded", err)
		}
	})
	t.Run("open refused", func(t *testing.T) {
		s := newFakeServer(t, func(p *peer) {
			f, _ := p.readCall()
			p.reply(f, &protocol.AuthListRet{Types: []protocol.AuthType{protocol.AuthNone}})
			f, _ = p.readCall()
			p.replyError(f, protocol.NewError(protocol.FromNone, protocol.ErrNoConnect, "<null>"))
			_, _ = p.waitClosed(10 * time.Second)
		})
		_, err := Dial(ctx, s.URI(), WithKeepalive(0, 0))
		if !errors.Is(err, protocol.ErrNoConnect) {
			t.Errorf("Dial = %v; want ErrNoConnect", err)
		}
	})
}

// TestLegacyListLimits checks libvirt's client-side limits on the old
// listing calls: a reply with more entries than asked for is refused.
func TestLegacyListLimits(t *testing.T) {
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		p.serve(func(f frame) bool {
			switch f.h.Procedure {
			case protocol.ProcConnectListDomains:
				p.reply(f, &protocol.ConnectListDomainsRet{IDs: []int32{1, 2, 3}})
			case protocol.ProcConnectListDefinedDomains:
				p.reply(f, &protocol.NamesRet{Names: []string{"a", "b", "c"}})
			}
			return true
		})
	})
	c := dialFake(t, s, WithKeepalive(0, 0))
	_, err := c.ConnectListDomains(testCtx(t), 2)
	wantLibvirtError(t, "ConnectListDomains(2)", err, protocol.ErrRPC, protocol.FromRemote, "Too many domains '3' for limit '2'")
	_, err = c.ConnectListDefinedDomains(testCtx(t), 2)
	wantLibvirtError(t, "ConnectListDefinedDomains(2)", err, protocol.ErrRPC, protocol.FromRemote, "Too many domains '3' for limit '2'")
	if ids, err := c.ConnectListDomains(testCtx(t), 3); err != nil || len(ids) != 3 {
		t.Errorf("ConnectListDomains(3) = %v, %v", ids, err)
	}
}

// TestFrameTimeout checks WithFrameTimeout: a server that starts a frame
// and stalls ends the connection.
func TestFrameTimeout(t *testing.T) {
	s := newFakeServer(t, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		if _, err := p.readCall(); err != nil {
			return
		}
		p.writeRaw([]byte{0, 0, 0, 40, 0x20, 0})
		_, _ = p.waitClosed(10 * time.Second)
	})
	c := dialFake(t, s, WithKeepalive(0, 0), WithFrameTimeout(50*time.Millisecond))
	_, err := c.ConnectGetType(testCtx(t))
	var fte *protocol.FrameTimeoutError
	if !errors.Is(err, ErrConnClosed) || !errors.As(err, &fte) || fte.Received != 6 {
		t.Errorf("call = %v; want ErrConnClosed with a FrameTimeoutError after 6 bytes", err)
	}
}
