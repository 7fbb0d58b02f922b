package libvirtdtest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestReplayCaptures replays the client side of every conversation
// recorded from libvirtd 9.0 (FACTS §6) against the fake, serving their
// nodes under the names they were recorded with, and requires the recorded
// reply to each call byte for byte (list order and cpuTime aside; the
// recorded host name is set), the recorded events in order, and the
// server's keepalive PINGs where the client answered one.
func TestReplayCaptures(t *testing.T) {
	all, err := captures.All()
	if err != nil {
		t.Fatal(err)
	}
	node, err := captures.NodeXML("node.xml")
	if err != nil {
		t.Fatal(err)
	}
	empty, err := captures.NodeXML("node-empty.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := libvirtdtest.NewServer(t,
		libvirtdtest.NodeAs("test:///srv/virtw/node.xml", mustParse(t, node)),
		libvirtdtest.NodeAs("test:///srv/virtw/node-empty.xml", mustParse(t, empty)),
		libvirtdtest.Hostname("vm"),
		// The recording waited 5 s for each PING; the bytes do not
		// depend on the interval.
		libvirtdtest.ServerOptions(func(o *server.Options) { o.KeepaliveInterval = 50 * time.Millisecond }))
	if len(all) < 10 {
		t.Fatalf("only %d captures", len(all))
	}
	for _, c := range all {
		t.Run(c.Name, func(t *testing.T) {
			sock := srv.Socket
			if strings.HasPrefix(c.Name, "g_") { // recorded through libvirt-sock-ro
				sock = srv.ROSocket
			}
			replayCapture(t, sock, c)
		})
	}
}

func mustParse(t *testing.T, data []byte) *testdriverNode {
	t.Helper()
	n, err := parseNodeXML(data)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func header(t *testing.T, b []byte) protocol.Header {
	t.Helper()
	h, err := protocol.DecodeHeader(b[4:])
	if err != nil {
		t.Fatalf("capture frame %x: %v", b, err)
	}
	return h
}

func isKeepalive(h protocol.Header) bool { return h.Program == protocol.ProgramKeepalive }

func replayCapture(t *testing.T, sock string, c captures.Capture) {
	r := dialRaw(t, "unix", sock)
	wantReply := map[uint32][]byte{}
	var wantEvents [][]byte
	pings := 0
	for _, b := range c.S2C {
		h := header(t, b)
		switch {
		case isKeepalive(h):
			pings++
		case h.Type == protocol.TypeReply:
			wantReply[h.Serial] = b
		default:
			wantEvents = append(wantEvents, b)
		}
	}
	var gotEvents [][]byte
	gotPings := 0
	// next reads one frame, sorting events and keepalive aside.
	next := func() ([]byte, protocol.Header) {
		t.Helper()
		for {
			b, err := r.readFrame(10 * time.Second)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			h := header(t, b)
			switch {
			case isKeepalive(h):
				gotPings++
				return b, h
			case h.Type == protocol.TypeMessage:
				gotEvents = append(gotEvents, b)
			default:
				return b, h
			}
		}
	}
	calls := 0
	for _, b := range c.C2S {
		h := header(t, b)
		if isKeepalive(h) {
			if h.Procedure == protocol.KeepaliveProcPong {
				// Answer the PING the recorded client answered.
				for {
					if _, rh := next(); isKeepalive(rh) && rh.Procedure == protocol.KeepaliveProcPing {
						break
					}
				}
			}
			r.write(b)
			continue
		}
		r.write(b)
		calls++
		var got []byte
		for got == nil {
			g, gh := next()
			if gh.Type == protocol.TypeReply {
				if gh.Serial != h.Serial {
					t.Fatalf("call %v serial %d: got the reply for serial %d", h.Procedure, h.Serial, gh.Serial)
				}
				got = g
			}
		}
		want, ok := wantReply[h.Serial]
		if !ok {
			t.Fatalf("capture has no reply to %v serial %d", h.Procedure, h.Serial)
		}
		if !bytes.Equal(normalize(got), normalize(want)) {
			t.Errorf("%v serial %d:\n recorded %s\n fake     %s", h.Procedure, h.Serial, describe(want), describe(got))
		}
	}
	// Events still on their way after the last reply.
	for len(gotEvents) < len(wantEvents) {
		next()
	}
	if !equalFrames(gotEvents, wantEvents) {
		t.Errorf("events:\n recorded %x\n fake     %x", wantEvents, gotEvents)
	}
	if pings > 0 && gotPings == 0 {
		t.Errorf("recorded %d PINGs, the fake sent none", pings)
	}
	if calls == 0 {
		t.Error("no calls replayed")
	}
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
