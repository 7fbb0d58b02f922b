package libvirtdtest_test

import (
	"encoding"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// rawConn speaks libvirt RPC frame by frame, with no client library in the
// way: what the conformance tests use to send the same bytes to the fake
// and to the real libvirtd and compare the bytes that come back.
type rawConn struct {
	t      testing.TB
	c      net.Conn
	fr     *protocol.FrameReader
	serial uint32
	// events holds MESSAGE frames (events, keepalive) read while waiting
	// for a reply, whole frames as received.
	events [][]byte
	mu     sync.Mutex
}

func dialRaw(t testing.TB, network, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout(network, addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, fr: protocol.NewFrameReader(c)}
}

// header returns a CALL header for proc with the next serial.
func (r *rawConn) header(proc protocol.Procedure) protocol.Header {
	h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: proc,
		Type: protocol.TypeCall, Serial: r.serial, Status: protocol.StatusOK}
	r.serial++
	return h
}

// write sends raw bytes.
func (r *rawConn) write(b []byte) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// send sends one frame.
func (r *rawConn) send(h protocol.Header, body encoding.BinaryAppender) {
	r.t.Helper()
	b, err := protocol.AppendFrame(nil, &h, body)
	if err != nil {
		r.t.Fatalf("encode %v: %v", h, err)
	}
	r.write(b)
}

// readFrame reads the next frame, whole, copied.
func (r *rawConn) readFrame(timeout time.Duration) ([]byte, error) {
	r.c.SetReadDeadline(time.Now().Add(timeout))
	f, err := r.fr.ReadFrame()
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), f.Raw...), nil
}

// reply reads frames until the REPLY with the given serial, keeping
// MESSAGE frames in r.events.
func (r *rawConn) reply(serial uint32) []byte {
	r.t.Helper()
	for {
		b, err := r.readFrame(2 * time.Minute)
		if err != nil {
			r.t.Fatalf("waiting for reply %d: %v", serial, err)
		}
		h, err := protocol.DecodeHeader(b[4:])
		if err != nil {
			r.t.Fatalf("header: %v", err)
		}
		if h.Type == protocol.TypeReply && h.Serial == serial {
			return b
		}
		r.events = append(r.events, b)
	}
}

// call sends one CALL and returns the whole reply frame.
func (r *rawConn) call(proc protocol.Procedure, args encoding.BinaryAppender) []byte {
	r.t.Helper()
	h := r.header(proc)
	r.send(h, args)
	return r.reply(h.Serial)
}

// mustOK calls and fails the test unless the reply is OK; it returns the payload.
func (r *rawConn) mustOK(proc protocol.Procedure, args encoding.BinaryAppender) []byte {
	r.t.Helper()
	b := r.call(proc, args)
	if e := replyError(b); e != nil {
		r.t.Fatalf("%v: %v", proc, e)
	}
	return b[28:]
}

// open does AUTH_LIST and CONNECT_OPEN(name, flags) as python does.
func (r *rawConn) open(name string, flags protocol.ConnectFlags) {
	r.t.Helper()
	r.mustOK(protocol.ProcAuthList, nil)
	r.mustOK(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(name), Flags: flags})
}

// replyError decodes the error of an ERROR reply frame, or returns nil.
func replyError(b []byte) *protocol.Error {
	h, err := protocol.DecodeHeader(b[4:])
	if err != nil || h.Status != protocol.StatusError {
		return nil
	}
	var e protocol.Error
	if err := e.UnmarshalBinary(b[28:]); err != nil {
		return &protocol.Error{Message: protocol.Some("undecodable error: " + err.Error())}
	}
	return &e
}

// describe renders a reply frame for failure messages and probes.
func describe(b []byte) string {
	if len(b) < 28 {
		return fmt.Sprintf("short frame %x", b)
	}
	h, _ := protocol.DecodeHeader(b[4:])
	if e := replyError(b); e != nil {
		return fmt.Sprintf("%v ERROR code=%d dom=%d lvl=%d msg=%q s1=%q s2=%q s3=%q i1=%d i2=%d",
			h.Procedure, e.Code, e.Domain, e.Level, e.Message, e.Str1, e.Str2, e.Str3, e.Int1, e.Int2)
	}
	return fmt.Sprintf("%v %v %v serial=%d payload=%x", h.Procedure, h.Type, h.Status, h.Serial, b[28:])
}

// isClosed reports whether the peer closed the connection within d.
func (r *rawConn) isClosed(d time.Duration) bool {
	_, err := r.readFrame(d)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

var _ = strings.TrimSpace
