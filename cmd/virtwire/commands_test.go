package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// background runs a long-lived command (serve, record, replay) until the
// returned stop function cancels it; stop returns its exit status and
// output.
func background(t *testing.T, ready string, args ...string) (stdout *syncBuffer, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &out, &errb) }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), ready) {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("%v exited early with %d:\n%s\n%s", args, code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("%v did not print %q:\n%s\n%s", args, ready, out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	var code int
	stop = func() (int, string) {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("%v did not stop", args)
			}
		})
		return code, errb.String()
	}
	t.Cleanup(func() { stop() })
	return &out, stop
}

var uriLine = regexp.MustCompile(`(?m)^  (test\+\S+)$`)

// TestServe starts `virtwire serve` on unix, read-only unix, tcp and tls,
// lists through each printed URI with virtwire and virsh, and stops it with
// its context (SIGINT/SIGTERM in the real program).
func TestServe(t *testing.T) {
	dir, err := os.MkdirTemp("", "vws-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	node, _ := captures.NodeXML("node.xml")
	nodePath := filepath.Join(dir, "node.xml")
	os.WriteFile(nodePath, node, 0o644)
	p := pki.New(t)
	srvPKI, err := p.WriteServerDir(filepath.Join(dir, "srv"))
	if err != nil {
		t.Fatal(err)
	}
	cliPKI, err := p.WriteClientDir(filepath.Join(dir, "cli"))
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "libvirt-sock")
	out, stop := background(t, "stop with Ctrl-C", "serve", "--node", nodePath,
		"--listen", "unix:"+sock, "--listen", "unix-ro:"+sock+"-ro", "--listen", "tcp:127.0.0.1:0",
		"--listen", "tls:127.0.0.1:0", "--pki", srvPKI.Dir)
	uris := uriLine.FindAllStringSubmatch(out.String(), -1)
	if len(uris) != 8 { // 4 listeners x (node.xml, default)
		t.Fatalf("serve printed %d URIs:\n%s", len(uris), out.String())
	}
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket %s: %v %v, want a 0600 socket", sock, fi.Mode(), err)
	}
	for _, m := range uris {
		uri := strings.Replace(m[1], "CLIENT-PKI-DIR", cliPKI.Dir, 1)
		stdout, stderr, code := virtwire(t, "list", "-c", uri, "--all", "--name")
		want := "alpha\nbravo\necho\nfoxtrot\nhotel\ncharlie\ndelta\ngolf\n\n"
		if strings.Contains(uri, "/default") {
			want = "test\n\n"
		}
		if code != 0 || stdout != want {
			t.Errorf("list -c %s: exit %d, %q %q; want %q", uri, code, stdout, stderr, want)
		}
	}
	if libvirtd.VirshAvailable() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		stdout, stderr, exit, err := libvirtd.Virsh(ctx, "test+unix://"+nodePath+"?socket="+sock, "list", "--all")
		if err != nil || exit != 0 || !strings.Contains(stdout, " 5    hotel     pmsuspended") {
			t.Errorf("virsh against virtwire serve: %v exit %d\n%s%s", err, exit, stdout, stderr)
		}
		_, stderr, exit, _ = libvirtd.Virsh(ctx, "test+unix://"+nodePath+"?socket="+sock+"-ro", "suspend", "alpha")
		if exit == 0 || !strings.Contains(stderr, "read only access prevents virDomainSuspend") {
			t.Errorf("suspend over the read-only socket: exit %d, %q", exit, stderr)
		}
	}
	code, stderr := stop()
	if code != 0 || !strings.Contains(out.String(), "virtwire: stopped") {
		t.Errorf("stop: exit %d, %q\n%s", code, stderr, out.String())
	}
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("socket %s left behind after stop", sock)
	}
}

func TestServeErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "at least one --listen"},
		{[]string{"serve", "--listen", "carrier-pigeon:x"}, "unknown kind"},
		{[]string{"serve", "--listen", "tls:127.0.0.1:0"}, "needs --pki"},
		{[]string{"serve", "--listen", "tcp:127.0.0.1:0", "--node", "/no/such/node.xml"}, "/no/such/node.xml"},
		{[]string{"serve", "--listen", "tcp:0.0.0.0:0"}, "0.0.0.0"},
	} {
		_, stderr, code := virtwire(t, tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, %q; want an error mentioning %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestRecordReplayDecode records `virtwire list` through `virtwire record`
// in front of a fake, replays the fixture with `virtwire replay`, lists
// again through it, and decodes the fixture with `virtwire decode`.
func TestRecordReplayDecode(t *testing.T) {
	dir, err := os.MkdirTemp("", "vwr-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "sock")
	_, stopServe := background(t, "stop with Ctrl-C", "serve", "--listen", "unix:"+sock)
	proxy := filepath.Join(dir, "proxy")
	out := filepath.Join(dir, "fixtures")
	recOut, stopRecord := background(t, "stop with Ctrl-C", "record", "--listen", "unix:"+proxy, "--target", "unix:"+sock, "--out", out)
	want, stderr, code := virtwire(t, "list", "-c", "test+unix:///default?socket="+proxy, "--all", "--title")
	if code != 0 || !strings.Contains(want, " 1    test   running") {
		t.Fatalf("list through the recorder: exit %d\n%s%s", code, want, stderr)
	}
	if code, stderr := stopRecord(); code != 0 || !strings.Contains(recOut.String(), "wrote 1 fixtures") {
		t.Fatalf("record: exit %d %q\n%s", code, stderr, recOut.String())
	}
	stopServe()
	files, _ := filepath.Glob(filepath.Join(out, "*.fixture"))
	if len(files) != 1 {
		t.Fatalf("record wrote %v", files)
	}
	replaySock := filepath.Join(dir, "replay")
	_, stopReplay := background(t, "stop with Ctrl-C", "replay", "--fixtures", out, "--listen", "unix:"+replaySock)
	got, stderr, code := virtwire(t, "list", "-c", "test+unix:///default?socket="+replaySock, "--all", "--title")
	if code != 0 || got != want {
		t.Errorf("list against the replay: exit %d %q\n got %q\nwant %q", code, stderr, got, want)
	}
	if code, stderr := stopReplay(); code != 0 {
		t.Errorf("replay: exit %d %q", code, stderr)
	}
	decoded, stderr, code := virtwire(t, "decode", files[0])
	for _, w := range []string{"CONNECT_OPEN", "CONNECT_LIST_ALL_DOMAINS", "DOMAIN_GET_STATE", "DOMAIN_GET_METADATA"} {
		if code != 0 || !strings.Contains(decoded, w) {
			t.Errorf("decode: exit %d %q; output lacks %q", code, stderr, w)
		}
	}
	if _, stderr, code := virtwire(t, "decode", filepath.Join(dir, "missing")); code == 0 || !strings.Contains(stderr, "missing") {
		t.Errorf("decode of a missing file: exit %d %q", code, stderr)
	}
}

// TestREADMEFirstCommand runs the README's first command exactly as
// written, from the repository root, and checks it prints the demo table.
func TestREADMEFirstCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command with go run; skipped with -short")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(.*?)\n```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no sh code block")
	}
	cmdline := strings.TrimSpace(strings.Split(string(m[1]), "\n")[0])
	if !strings.Contains(cmdline, "fake:///demo") {
		t.Fatalf("the README's first command is %q; it should list the built-in demo", cmdline)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", cmdline)
	cmd.Dir = "../.."
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s%s", cmdline, err, stdout.String(), stderr.String())
	}
	want, _, _ := virtwire(t, strings.Fields(cmdline)[3:]...) // after "go run ./cmd/virtwire"
	if stdout.String() != want || !strings.HasPrefix(want, " Id   Name ") || !strings.Contains(want, "web-01") {
		t.Errorf("%s printed:\n%s\nwant:\n%s", cmdline, stdout.String(), want)
	}
}
