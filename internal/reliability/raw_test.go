package reliability

import (
	"bytes"
	"encoding"
	"net"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// raw is a libvirt RPC client with no library in the way.
type raw struct {
	t      testing.TB
	nc     net.Conn
	fr     *protocol.FrameReader
	serial uint32
}

func dialRaw(t testing.TB, network, addr string) *raw {
	t.Helper()
	nc, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &raw{t: t, nc: nc, fr: protocol.NewFrameReader(nc)}
}

// call sends proc with args and returns the reply's header and payload,
// skipping MESSAGE frames.
func (r *raw) call(proc protocol.Procedure, args encoding.BinaryAppender) (protocol.Header, []byte) {
	r.t.Helper()
	h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: proc, Type: protocol.TypeCall, Serial: r.serial}
	r.serial++
	b, err := protocol.AppendFrame(nil, &h, args)
	if err != nil {
		r.t.Fatal(err)
	}
	r.nc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			r.t.Fatalf("waiting for the reply to %v: %v", proc, err)
		}
		if f.Header.Type == protocol.TypeReply && f.Header.Serial == h.Serial {
			return f.Header, bytes.Clone(f.Payload)
		}
	}
}

// callError calls and decodes the error reply, or returns nil for OK.
func (r *raw) callError(proc protocol.Procedure, args encoding.BinaryAppender) *protocol.Error {
	r.t.Helper()
	h, p := r.call(proc, args)
	if h.Status == protocol.StatusOK {
		return nil
	}
	var e protocol.Error
	if err := e.UnmarshalBinary(p); err != nil {
		r.t.Fatalf("undecodable error reply: %v", err)
	}
	return &e
}
