package reliability

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// fileWatch reports every open or read of a file in the watched
// directories (inotify IN_OPEN|IN_ACCESS), by any process: the hook of
// RELIABILITY test 19 that catches a path the fake would open for a client.
type fileWatch struct {
	fd   int
	dirs map[int32]string
}

func newFileWatch(t *testing.T, dirs ...string) *fileWatch {
	t.Helper()
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	w := &fileWatch{fd: fd, dirs: map[int32]string{}}
	for _, d := range dirs {
		wd, err := syscall.InotifyAddWatch(fd, d, syscall.IN_OPEN|syscall.IN_ACCESS)
		if err != nil {
			t.Fatal(err)
		}
		w.dirs[int32(wd)] = d
	}
	return w
}

// events returns the paths opened or read since the last call.
func (w *fileWatch) events(t *testing.T) []string {
	t.Helper()
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.Read(w.fd, buf)
		if errors.Is(err, syscall.EAGAIN) || n <= 0 {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for b := buf[:n]; len(b) >= syscall.SizeofInotifyEvent; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&b[0]))
			name := string(bytes.TrimRight(b[syscall.SizeofInotifyEvent:syscall.SizeofInotifyEvent+int(ev.Len)], "\x00"))
			out = append(out, filepath.Join(w.dirs[ev.Wd], name))
			b = b[syscall.SizeofInotifyEvent+int(ev.Len):]
		}
	}
}

// TestOpenNamesNeverOpenPaths is RELIABILITY test 19 (and 62's first
// half): CONNECT_OPEN names that point at files, with traversal, NUL bytes
// or 4 MiB of padding, get 5/0 "no connection driver available…" from the
// fake; only the nodes it was given open. Meanwhile an inotify watch on
// the directory of a canary node file the names point at, on the
// directory of a node the fake serves from a file, and on the fake's own
// directory sees no file opened or read: the fake reads node files when
// it is started, never for a client. The watch is shown to work by reading
// the canary at the end.
func TestOpenNamesNeverOpenPaths(t *testing.T) {
	node, err := os.ReadFile(node8Path)
	if err != nil {
		t.Fatal(err)
	}
	canaryDir, servedDir := t.TempDir(), t.TempDir()
	canary := filepath.Join(canaryDir, "canary.xml")
	served := filepath.Join(servedDir, "node.xml")
	for _, p := range []string{canary, served} {
		if err := os.WriteFile(p, node, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXMLData(node), libvirtdtest.NodeXML(served))
	w := newFileWatch(t, canaryDir, servedDir, srv.Dir)

	// A name whose error message still fits REMOTE_STRING_MAX (4 MiB - 64).
	pad := func(prefix string) string {
		return prefix + "?x=" + strings.Repeat("a", protocol.StringMax-64-len(prefix)-3)
	}
	names := []string{
		"test:///../../etc/passwd",
		"test:///etc/passwd",
		"/etc/shadow",
		"test:///etc/shadow",
		"test://" + canary,
		canary,
		"test:///../../.." + canary,
		"test://" + servedDir + "/../" + filepath.Base(canaryDir) + "/canary.xml",
		"test://" + canary + "\x00",
		"test://" + served + "\x00/../../" + canary,
		"test://" + canary + "\x00" + served,
		"\x00test://" + served,
		"file://" + canary,
		"test://localhost" + canary,
		pad("test://" + canary),
		pad("test:///../../etc/passwd"),
	}
	c := dialRaw(t, "unix", srv.Socket)
	for _, name := range names {
		e := c.callError(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(name)})
		label := name
		if len(label) > 80 {
			label = label[:80] + "…"
		}
		switch {
		case e == nil:
			t.Errorf("CONNECT_OPEN %q succeeded", label)
			c = dialRaw(t, "unix", srv.Socket) // a fresh, unopened connection
		case e.Code != protocol.ErrNoConnect || e.Domain != protocol.FromNone ||
			!strings.HasPrefix(e.Message.Value, "no connection driver available"):
			t.Errorf("CONNECT_OPEN %q = %d/%d %q; want 5/0 no connection driver available…", label, e.Code, e.Domain, e.Message.Value)
		}
	}
	// A name of exactly REMOTE_STRING_MAX bytes: "no connection driver
	// available for <name>" cannot be encoded, and the connection is closed
	// with no reply, as libvirtd closes it ("Failed to serialize remote
	// error", measured on libvirtd 9.0).
	for _, prefix := range []string{"test://" + canary, "xyz:///"} {
		name := prefix + "?x=" + strings.Repeat("a", protocol.StringMax-len(prefix)-3)
		r := dialRaw(t, "unix", srv.Socket)
		h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcConnectOpen, Type: protocol.TypeCall}
		b, _ := protocol.AppendFrame(nil, &h, &protocol.ConnectOpenArgs{Name: protocol.Some(name)})
		r.nc.Write(b)
		if f, err := r.fr.ReadFrame(); err == nil {
			t.Errorf("CONNECT_OPEN with a %d-byte name %s…: got %v; want the connection closed", len(name), prefix, f.Header)
		}
	}
	// The nodes the fake was given do open, and list the recorded domains.
	want := len(fixtureDomains(t))
	for _, uri := range []string{srv.URI, srv.NodeURI("test://" + served), srv.DefaultURI} {
		name := "test:///default"
		if i := strings.Index(uri, "?"); uri != srv.DefaultURI {
			name = "test://" + strings.TrimPrefix(uri[:i], "test+unix://")
		}
		r := dialRaw(t, "unix", srv.Socket)
		if e := r.callError(protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{Name: protocol.Some(name)}); e != nil {
			t.Errorf("CONNECT_OPEN %q (served) = %v", name, e)
			continue
		}
		h, p := r.call(protocol.ProcConnectListAllDomains, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: listAll})
		n := binary.BigEndian.Uint32(p[len(p)-4:])
		if h.Status != protocol.StatusOK || (name != "test:///default" && int(n) != want) {
			t.Errorf("LIST_ALL on %q: status %v, %d domains", name, h.Status, n)
		}
	}
	if got := w.events(t); len(got) != 0 {
		t.Errorf("files opened or read while serving clients: %v", got)
	}
	// The hook works: reading the canary is seen.
	if _, err := os.ReadFile(canary); err != nil {
		t.Fatal(err)
	}
	if got := w.events(t); len(got) == 0 || got[0] != canary {
		t.Fatalf("the watch did not see the canary read: %v", got)
	}
	t.Logf("figure: test 19: %d hostile open names refused with 5/0, 2 names of REMOTE_STRING_MAX bytes closed as by libvirtd; 0 files opened while serving (inotify on 3 directories)", len(names))
}
