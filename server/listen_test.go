package server

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestUnixSocketModes covers RELIABILITY tests 55 and 63: each socket is a
// socket (S_ISSOCK), owned by the server's uid, with exactly the mode asked
// for, never looser even between bind and chmod (checked with the process
// umask at 0, where a plain bind would create it 0777); a missing parent
// directory is created 0700; a read-only listener makes read-only
// connections.
func TestUnixSocketModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	var atBind []os.FileMode
	testHookAfterBind = func(path string) {
		if fi, err := os.Lstat(path); err == nil {
			atBind = append(atBind, fi.Mode().Perm())
		}
	}
	defer func() { testHookAfterBind = nil }()

	s := New(Options{})
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "run", "virtwire")
	for i, perm := range []os.FileMode{0o600, 0o700, 0o770, 0o777} {
		path := filepath.Join(dir, fmt.Sprintf("sock%d", i))
		ln, err := s.ListenUnix(path, perm, perm == 0o777)
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != perm || st.Uid != uint32(os.Geteuid()) {
			t.Errorf("socket %s: mode %v (%04o), uid %d; want a socket, %04o, uid %d", path, fi.Mode(), fi.Mode().Perm(), st.Uid, perm, os.Geteuid())
		}
		if got := atBind[len(atBind)-1]; got&^perm != 0 {
			t.Errorf("socket %04o was %04o right after bind: looser than asked", perm, got)
		}
		if ro := ln.(*listener).readOnly; ro != (perm == 0o777) {
			t.Errorf("listener readOnly = %v", ro)
		}
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("created directory %s: %v %v; want 0700", d, fi.Mode(), err)
		}
	}
}

// TestReadOnlyListener covers RELIABILITY test 59: connections on a
// read-only socket are read-only from the start and stay so.
func TestReadOnlyListener(t *testing.T) {
	s := New(Options{})
	ln, err := s.ListenUnix(filepath.Join(t.TempDir(), "sock-ro"), 0o600, true)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	defer func() { s.Close(); <-served }()
	nc, err := net.Dial("unix", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var conn *Conn
	waitFor(t, "the connection", func() bool {
		cs := s.Conns()
		if len(cs) == 1 {
			conn = cs[0]
		}
		return conn != nil
	})
	if !conn.ReadOnly() || conn.Transport() != TransportUnix {
		t.Fatalf("ReadOnly %v transport %v", conn.ReadOnly(), conn.Transport())
	}
	conn.SetReadOnly()
	if !conn.ReadOnly() {
		t.Fatal("read-only cleared")
	}
	if cred, ok := conn.PeerCred(); !ok || cred.UID != uint32(os.Geteuid()) || cred.PID != int32(os.Getpid()) {
		t.Errorf("PeerCred = %+v, %v; want uid %d pid %d", cred, ok, os.Geteuid(), os.Getpid())
	}
}

// TestStaleSocket covers the stale-socket rule of RELIABILITY test 33: a
// socket file nobody listens on is replaced, a live one is not touched, and
// neither is a file that is not a socket.
func TestStaleSocket(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	dir := t.TempDir()
	stale := filepath.Join(dir, "stale")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	ln, err := s.ListenUnix(stale, 0o600, false)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	if _, err := s.ListenUnix(stale, 0o600, false); !errors.Is(err, ErrSocketInUse) {
		t.Errorf("live socket: %v, want ErrSocketInUse", err)
	}
	ln.Close()
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left after Close: %v", err)
	}
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep"), 0o600)
	if _, err := s.ListenUnix(plain, 0o600, false); !errors.Is(err, ErrNotSocket) {
		t.Errorf("regular file: %v, want ErrNotSocket", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep" {
		t.Error("regular file changed")
	}
}

// TestTCPLoopbackOnly covers RELIABILITY test 57: the default bind is
// loopback, and a non-loopback address without TLS client certificates is
// refused unless InsecureListen is set.
func TestTCPLoopbackOnly(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for _, addr := range []string{":0", "127.0.0.1:0", "localhost:0"} {
		ln, err := s.ListenTCP(addr)
		if err != nil {
			t.Errorf("ListenTCP(%q): %v", addr, err)
			continue
		}
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Errorf("ListenTCP(%q) bound %v", addr, ip)
		}
		ln.Close()
	}
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:0"} {
		if ln, err := s.ListenTCP(addr); !errors.Is(err, ErrInsecureListen) {
			t.Errorf("ListenTCP(%q) = %v, %v; want ErrInsecureListen", addr, ln, err)
			if ln != nil {
				ln.Close()
			}
		}
	}
}

// pythonClient is run as another uid: it connects to a unix socket, sends
// a frame and reports what comes back.
const pythonClient = `
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("CONNECT", e.errno); sys.exit(0)
s.settimeout(5)
try:
    s.sendall(bytes.fromhex(sys.argv[2]))
except OSError:
    pass
try:
    d = s.recv(4096)
    print("EOF" if not d else "DATA " + d.hex())
except OSError as e:
    print("ERR", e.errno)
`

func runAsNobody(t *testing.T, path string, send []byte) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as uid 65534")
	}
	py := "/usr/bin/python3" // the system interpreter: a user's shim may not be reachable by uid 65534
	if _, err := os.Stat(py); err != nil {
		t.Skip("needs /usr/bin/python3 for the other-uid client")
	}
	cmd := exec.Command(py, "-c", pythonClient, path, hex.EncodeToString(send))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python client: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestPeerUID covers RELIABILITY tests 55 and 56 with a real client of
// another uid (65534): a 0600 socket refuses it at connect (EACCES); on a
// 0777 socket it connects but is closed before any reply, since its uid is
// not allowed; once allowed, it is served.
func TestPeerUID(t *testing.T) {
	dir, err := os.MkdirTemp("", "virtwire-uid-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	call := frame(callHeader(echoProc, 1), []byte{0, 0, 0, 1})
	for _, tc := range []struct {
		name    string
		perm    os.FileMode
		allowed []uint32
		want    string
	}{
		{"0600 socket", 0o600, nil, fmt.Sprintf("CONNECT %d", syscall.EACCES)},
		{"0777 socket, uid not allowed", 0o777, nil, "EOF"},
		{"0777 socket, uid allowed", 0o777, []uint32{65534}, "DATA "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lg := &testLog{}
			s := New(Options{AllowedUIDs: tc.allowed, Logger: newSlog(lg)})
			echoSetup(s)
			path := filepath.Join(dir, "sock")
			ln, err := s.ListenUnix(path, tc.perm, false)
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- s.Serve(ln) }()
			defer func() { s.Close(); <-served }()
			got := runAsNobody(t, path, call)
			if tc.want == "EOF" && got == fmt.Sprintf("ERR %d", syscall.ECONNRESET) {
				// The call was written before the server closed without
				// reading it: the kernel resets instead of sending FIN. Both
				// are "closed before any reply".
				got = "EOF"
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Fatalf("client of uid 65534 got %q, want %q", got, tc.want)
			}
			if tc.want == "EOF" {
				if st := s.Stats(); st.Rejected != 1 || st.Frames != 0 || !lg.has("peer uid not allowed; closing") {
					t.Errorf("Rejected %d Frames %d log:\n%s", st.Rejected, st.Frames, lg)
				}
			}
		})
	}
}

// TestListenerClosedOnShutdown checks that Serve on a listener after Close
// returns at once.
func TestListenerClosedOnShutdown(t *testing.T) {
	s := New(Options{})
	ln, err := s.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestCloseClosesUnservedListeners checks that Close closes listeners that
// were never served, removing their socket files.
func TestCloseClosesUnservedListeners(t *testing.T) {
	s := New(Options{})
	path := filepath.Join(t.TempDir(), "sock")
	if _, err := s.ListenUnix(path, 0o600, false); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v", err)
	}
	if _, err := s.ListenUnix(path, 0o600, false); !errors.Is(err, ErrServerClosed) {
		t.Errorf("ListenUnix after Close: %v", err)
	}
}
