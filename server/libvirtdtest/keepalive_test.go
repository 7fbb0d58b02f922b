package libvirtdtest_test

import (
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestKeepalive: SUPPORTS_FEATURE(PROGRAM_KEEPALIVE) starts the server's
// PINGs and a client that never answers is closed; a client that never
// asks gets no PING and stays (FACTS §8, d30, d31).
func TestKeepalive(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.ServerOptions(func(o *server.Options) {
		o.KeepaliveInterval = 50 * time.Millisecond
		o.KeepaliveCount = 2
	}))
	quiet := dialRaw(t, "unix", srv.Socket)
	quiet.open("test:///default", 0)

	r := dialRaw(t, "unix", srv.Socket)
	r.mustOK(protocol.ProcAuthList, nil)
	if p := r.mustOK(protocol.ProcConnectSupportsFeature, feature(10)); string(p) != "\x00\x00\x00\x01" {
		t.Fatalf("SUPPORTS_FEATURE(10) = %x", p)
	}
	pings := 0
	for {
		b, err := r.readFrame(5 * time.Second)
		if err != nil {
			break
		}
		if h, _ := protocol.DecodeHeader(b[4:]); h.Program == protocol.ProgramKeepalive && h.Procedure == protocol.KeepaliveProcPing {
			pings++
		}
	}
	if pings != 2 {
		t.Errorf("%d PINGs before the close; want KeepaliveCount = 2", pings)
	}
	if _, err := quiet.readFrame(300 * time.Millisecond); !isTimeout(err) {
		t.Errorf("a client that never asked for keepalive got a frame or was closed: %v", err)
	}
	quiet.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 0))
}
