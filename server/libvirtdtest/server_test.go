package libvirtdtest_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
	"github.com/virtwire/virtwire/server/testdriver"
)

// listNames opens name on a new raw connection and lists all domains.
func listNames(t *testing.T, sock, name string) []string {
	t.Helper()
	r := dialRaw(t, "unix", sock)
	r.open(name, 0)
	var ret protocol.ConnectListAllDomainsRet
	if err := ret.UnmarshalBinary(r.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 0))); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range ret.Domains {
		names = append(names, d.Name)
	}
	r.c.Close()
	return names
}

func TestNewServer(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXML("testdata/node.xml"))
	wd, _ := os.Getwd()
	if want := "test+unix://" + wd + "/testdata/node.xml?socket=" + srv.Socket; srv.URI != want {
		t.Errorf("URI = %q; want %q", srv.URI, want)
	}
	if srv.DefaultURI != "test+unix:///default?socket="+srv.Socket {
		t.Errorf("DefaultURI = %q", srv.DefaultURI)
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{{srv.Dir, os.ModeDir | 0o700}, {srv.Socket, os.ModeSocket | 0o600}, {srv.ROSocket, os.ModeSocket | 0o600}} {
		fi, err := os.Lstat(f.path)
		if err != nil || fi.Mode() != f.mode {
			t.Errorf("%s: mode %v, %v; want %v", f.path, fi.Mode(), err, f.mode)
		}
	}
	if len(srv.Socket) > 100 {
		t.Errorf("socket path %q is too long for sun_path", srv.Socket)
	}
	got := strings.Join(listNames(t, srv.Socket, srv.Host.Name()), ",")
	if got != "alpha,bravo,charlie,delta,echo,foxtrot,golf,hotel" {
		t.Errorf("domains = %s", got)
	}
	if got := strings.Join(listNames(t, srv.Socket, "test:///default"), ","); got != "test" {
		t.Errorf("default domains = %s", got)
	}
	srv.Close()
	srv.Close()
	if _, err := os.Stat(srv.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left %s: %v", srv.Dir, err)
	}
}

func TestNodeOptions(t *testing.T) {
	n := &testdriver.Node{Domains: []testdriver.Domain{{Name: "one", State: protocol.DomainRunning},
		{Name: "two", State: protocol.DomainShutoff}}}
	srv := libvirtdtest.NewServer(t,
		libvirtdtest.WithNode(n),
		libvirtdtest.NodeAs("test:///srv/virtw/node.xml", n),
		libvirtdtest.NodeXMLData([]byte(`<node><domain type='test'><name>x</name><memory>1</memory><os><type>hvm</type></os></domain></node>`)),
		libvirtdtest.NodeXMLAs("test:///other.xml", "testdata/node-empty.xml"),
		libvirtdtest.NoDefault())
	if srv.DefaultURI != "" {
		t.Errorf("DefaultURI = %q with NoDefault", srv.DefaultURI)
	}
	for name, want := range map[string]string{
		srv.Host.Name():              "one,two",
		"test:///srv/virtw/node.xml": "one,two",
		"test:///other.xml":          "",
	} {
		if got := strings.Join(listNames(t, srv.Socket, name), ","); got != want {
			t.Errorf("%s: %q; want %q", name, got, want)
		}
	}
	if got := srv.NodeURI("test:///srv/virtw/node.xml"); got != "test+unix:///srv/virtw/node.xml?socket="+srv.Socket {
		t.Errorf("NodeURI = %q", got)
	}
	r := dialRaw(t, "unix", srv.Socket)
	if e := replyError(r.call(protocol.ProcConnectOpen, openArgs("test:///default", 0))); e == nil || e.Code != protocol.ErrNoConnect {
		t.Errorf("open test:///default with NoDefault: %v", e)
	}
}

// TestHostChanges: a test changes domains while a client is connected;
// the client sees it, and lifecycle callbacks get the events.
func TestHostChanges(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXML("testdata/node.xml"))
	r := dialRaw(t, "unix", srv.Socket)
	r.open(srv.Host.Name(), 0)
	r.mustOK(protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil))
	if err := srv.Host.SetState("alpha", protocol.DomainPaused); err != nil {
		t.Fatal(err)
	}
	if err := srv.Host.SetAutostart("golf", true); err != nil {
		t.Fatal(err)
	}
	if err := srv.Host.Define(testdriver.Domain{Name: "india", State: protocol.DomainRunning}); err != nil {
		t.Fatal(err)
	}
	var st protocol.DomainGetStateRet
	st.UnmarshalBinary(r.mustOK(protocol.ProcDomainGetState, domFlags(alpha, 0)))
	if st.State != protocol.DomainPaused {
		t.Errorf("alpha state = %v; want PAUSED", st.State)
	}
	var ret protocol.ConnectListAllDomainsRet
	ret.UnmarshalBinary(r.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 0x400)))
	if len(ret.Domains) != 1 || ret.Domains[0].Name != "golf" {
		t.Errorf("autostart domains = %v", ret.Domains)
	}
	ret.UnmarshalBinary(r.mustOK(protocol.ProcConnectListAllDomains, listAll(1, 1)))
	if last := ret.Domains[len(ret.Domains)-1]; last.Name != "india" || last.ID != 6 {
		t.Errorf("last active = %+v; want india, ID 6", last)
	}
	frames := r.events
	for len(frames) < 3 {
		b, err := r.readFrame(5 * time.Second)
		if err != nil {
			t.Fatalf("events: %v (got %d)", err, len(frames))
		}
		frames = append(frames, b)
	}
	var evs []protocol.DomainEventCallbackLifecycleMsg
	for _, b := range frames {
		var m protocol.DomainEventCallbackLifecycleMsg
		if err := m.UnmarshalBinary(b[28:]); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, m)
	}
	want := []struct {
		name string
		ev   protocol.DomainEventType
	}{{"alpha", protocol.DomainEventSuspended}, {"india", protocol.DomainEventDefined}, {"india", protocol.DomainEventStarted}}
	for i, w := range want {
		if e := evs[i]; e.Msg.Dom.Name != w.name || e.Msg.Event != w.ev || e.CallbackID != 0 {
			t.Errorf("event %d = %+v; want %s %v", i, e, w.name, w.ev)
		}
	}
	// A new connection gets the changed node.
	if got := strings.Join(listNames(t, srv.Socket, srv.Host.Name()), ","); !strings.HasSuffix(got, ",india") {
		t.Errorf("new connection: %s", got)
	}
	if err := srv.Host.SetState("nosuch", protocol.DomainRunning); !errors.Is(err, testdriver.ErrNoSuchDomain) {
		t.Errorf("SetState(nosuch) = %v", err)
	}
}

func TestFaults(t *testing.T) {
	srv := libvirtdtest.NewServer(t)
	r := dialRaw(t, "unix", srv.Socket)
	r.open("test:///default", 0)
	boom := protocol.NewError(protocol.FromTest, protocol.ErrInternalError, "boom")
	srv.SetFault(protocol.ProcConnectGetHostname, libvirtdtest.Fault{Error: boom, Count: 1})
	if e := replyError(r.call(protocol.ProcConnectGetHostname, nil)); e == nil || e.Message.Value != "internal error: boom" {
		t.Errorf("faulted call: %v", e)
	}
	if e := replyError(r.call(protocol.ProcConnectGetHostname, nil)); e != nil {
		t.Errorf("fault outlived its Count: %v", e)
	}
	srv.SetFault(protocol.ProcConnectGetType, libvirtdtest.Fault{Delay: 200 * time.Millisecond})
	start := time.Now()
	r.mustOK(protocol.ProcConnectGetType, nil)
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("delayed call answered after %v", d)
	}
	srv.ClearFault(protocol.ProcConnectGetType)
	// A fault on a procedure the driver lacks, then its normal answer.
	srv.SetFault(protocol.ProcDomainGetXMLDesc, libvirtdtest.Fault{Error: boom, Count: 1})
	if e := replyError(r.call(protocol.ProcDomainGetXMLDesc, domFlags(alpha, 0))); e == nil || e.Code != protocol.ErrInternalError {
		t.Errorf("faulted unknown procedure: %v", e)
	}
	if e := replyError(r.call(protocol.ProcDomainGetXMLDesc, domFlags(alpha, 0))); e == nil || e.Message.Value != "unknown procedure: 14" {
		t.Errorf("unknown procedure after the fault: %v", e)
	}
	srv.Handle(protocol.ProcConnectGetHostname, func(ctx context.Context, c *server.Call, next server.Handler) (protocol.Message, error) {
		return &protocol.StringRet{Value: "override"}, nil
	})
	var s protocol.StringRet
	s.UnmarshalBinary(r.mustOK(protocol.ProcConnectGetHostname, nil))
	if s.Value != "override" {
		t.Errorf("override: %q", s.Value)
	}
	srv.SetFault(protocol.ProcConnectListAllDomains, libvirtdtest.Fault{Drop: true})
	h := r.header(protocol.ProcConnectListAllDomains)
	r.send(h, listAll(1, 0))
	if !r.isClosed(5 * time.Second) {
		t.Error("Drop fault left the connection open")
	}
	// Other connections still work; CloseClientConnections ends them.
	r2 := dialRaw(t, "unix", srv.Socket)
	r2.open("test:///default", 0)
	srv.CloseClientConnections()
	if !r2.isClosed(5 * time.Second) {
		t.Error("CloseClientConnections left a connection open")
	}
}

func TestUnstarted(t *testing.T) {
	srv := libvirtdtest.NewUnstartedServer(t)
	if srv.Socket != "" || srv.URI != "" {
		t.Errorf("unstarted server has Socket %q URI %q", srv.Socket, srv.URI)
	}
	srv.Driver.SetHostname("example.test")
	srv.Start()
	r := dialRaw(t, "unix", srv.Socket)
	r.open("test:///default", 0)
	var s protocol.StringRet
	s.UnmarshalBinary(r.mustOK(protocol.ProcConnectGetHostname, nil))
	if s.Value != "example.test" {
		t.Errorf("hostname %q", s.Value)
	}
}

// TestInlineUnlessDelayed checks which calls the fake runs on a connection's
// reader goroutine (server.Options.Inline): the driver's own handlers, but
// not a procedure with a Delay fault, which must not hold up the calls after
// it on the same connection.
func TestInlineUnlessDelayed(t *testing.T) {
	srv := libvirtdtest.NewServer(t)
	r := dialRaw(t, "unix", srv.Socket)
	r.open("test:///default", 0)
	before := srv.RPC.Stats()
	r.mustOK(protocol.ProcConnectGetHostname, nil)
	if st := srv.RPC.Stats(); st.InlineCalls != before.InlineCalls+1 {
		t.Errorf("a driver call ran on a worker: %d inline calls of %d, want %d", st.InlineCalls, st.Calls, before.InlineCalls+1)
	}
	srv.SetFault(protocol.ProcConnectGetType, libvirtdtest.Fault{Delay: 500 * time.Millisecond})
	slow, quick := r.header(protocol.ProcConnectGetType), r.header(protocol.ProcConnectGetHostname)
	r.send(slow, nil)
	r.send(quick, nil)
	var order []uint32
	for range 2 {
		b, err := r.readFrame(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := protocol.DecodeHeader(b[4:])
		order = append(order, h.Serial)
	}
	if order[0] != quick.Serial || order[1] != slow.Serial {
		t.Errorf("replies in the order of serials %v, want %d (quick) then %d (delayed)", order, quick.Serial, slow.Serial)
	}
}
