package libvirtdtest_test

import (
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// FuzzFakeCall sends one CALL with any procedure and payload to an open
// connection of the fake and requires an answer on a connection that stays
// open: no handler may panic or hang, whatever the arguments. Seeds are the
// calls of the shared captures.
func FuzzFakeCall(f *testing.F) {
	all, err := captures.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range all {
		for _, b := range c.C2S {
			if h, err := protocol.DecodeHeader(b[4:]); err == nil && h.Type == protocol.TypeCall &&
				h.Procedure != protocol.ProcConnectOpen && h.Procedure != protocol.ProcConnectClose {
				f.Add(int32(h.Procedure), b[28:])
			}
		}
	}
	srv := libvirtdtest.NewServer(f, libvirtdtest.NodeXML("testdata/node.xml"))
	r := dialRaw(f, "unix", srv.Socket)
	r.open(srv.Host.Name(), 0)
	f.Fuzz(func(t *testing.T, proc int32, payload []byte) {
		p := protocol.Procedure(proc)
		if p == protocol.ProcConnectOpen || p == protocol.ProcConnectClose || len(payload) > 1<<16 {
			return // these change the connection itself
		}
		h := r.header(p)
		b, err := protocol.AppendFrame(nil, &h, protocol.RawPayload(payload))
		if err != nil {
			return
		}
		r.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := r.c.Write(b); err != nil {
			t.Fatalf("proc %d: write: %v", proc, err)
		}
		for {
			b, err := r.readFrame(10 * time.Second)
			if err != nil {
				t.Fatalf("proc %d payload %x: %v", proc, payload, err)
			}
			if rh, _ := protocol.DecodeHeader(b[4:]); rh.Type == protocol.TypeReply && rh.Serial == h.Serial {
				return
			}
		}
	})
}
