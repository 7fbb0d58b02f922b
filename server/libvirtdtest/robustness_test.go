package libvirtdtest_test

import (
	"net"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestOpenNamesNeverOpenFiles: names of paths the fake does not serve,
// whatever they look like, get "no connection driver available" and no
// file is read (RELIABILITY test 19); libvirtd would try to read them.
func TestOpenNamesNeverOpenFiles(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXML("testdata/node.xml"))
	for _, name := range []string{"test:///../../etc/passwd", "test:///etc/shadow", "/etc/shadow",
		"test://" + srv.Dir + "/sock", "test:///default\x00/etc/passwd", "test:///" + strings.Repeat("a", 1<<20)} {
		r := dialRaw(t, "unix", srv.Socket)
		e := replyError(r.call(protocol.ProcConnectOpen, openArgs(name, 0)))
		if e == nil || e.Code != protocol.ErrNoConnect || e.Domain != protocol.FromNone ||
			!strings.HasPrefix(e.Message.Value, "no connection driver available for ") {
			t.Errorf("open %.60q: %v", name, e)
		}
		r.c.Close()
	}
}

// TestSlowEventConsumer: a client that registers for events and never
// reads them costs at most a bounded queue; the excess is dropped and
// counted, and the client causing the events is not slowed down by it
// (RELIABILITY test 39).
func TestSlowEventConsumer(t *testing.T) {
	srv := libvirtdtest.NewServer(t)
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	test := protocol.NonnullDomain{Name: "test", UUID: u, ID: 1}
	sleeper := dialRaw(t, "unix", srv.Socket)
	sleeper.open("test:///default", 0)
	sleeper.mustOK(protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil))
	busy := dialRaw(t, "unix", srv.Socket)
	busy.open("test:///default", 0)
	for i := 0; i < 5000 && srv.Driver.EventsDropped() == 0; i++ {
		busy.mustOK(protocol.ProcDomainSuspend, domArgs(test))
		busy.mustOK(protocol.ProcDomainResume, domArgs(test))
	}
	if srv.Driver.EventsDropped() == 0 {
		t.Error("10,000 unread events and none dropped")
	}
	busy.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 0))
}

// TestCloseRaces: clients that ask for keepalive or register callbacks and
// hang up at once, thousands of times, leave no goroutine and no panic
// (RELIABILITY tests 31, 32; goleak checks at the end).
func TestCloseRaces(t *testing.T) {
	srv := libvirtdtest.NewServer(t)
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	test := protocol.NonnullDomain{Name: "test", UUID: u, ID: 1}
	busy := dialRaw(t, "unix", srv.Socket)
	busy.open("test:///default", 0)
	for i := range 2000 {
		if i%10 == 0 { // events for the callbacks being torn down
			busy.mustOK(protocol.ProcDomainSuspend, domArgs(test))
			busy.mustOK(protocol.ProcDomainResume, domArgs(test))
		}
		c, err := net.Dial("unix", srv.Socket)
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		if i%2 == 0 {
			b = call(protocol.ProcConnectSupportsFeature, 0, []byte{0, 0, 0, 10})
		} else {
			b = append(call(protocol.ProcConnectOpen, 0, mustAppend(openArgs("test:///default", 0))),
				call(protocol.ProcConnectDomainEventCallbackRegisterAny, 1, mustAppend(register(0, nil)))...)
		}
		c.Write(b)
		c.Close()
	}
	r := dialRaw(t, "unix", srv.Socket)
	r.open("test:///default", 0)
	r.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 0))
	srv.Close()
}

func mustAppend(m interface{ AppendBinary([]byte) ([]byte, error) }) []byte {
	b, err := m.AppendBinary(nil)
	if err != nil {
		panic(err)
	}
	return b
}
