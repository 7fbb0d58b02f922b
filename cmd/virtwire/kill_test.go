package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
)

// serveProc is `virtwire serve` running as its own process: this test
// binary re-executed with childEnv set.
type serveProc struct {
	cmd    *exec.Cmd
	uris   []string
	exited chan error
	stderr *strings.Builder
}

// startServe starts `virtwire serve args…` and waits until it prints that
// it is ready, returning the URIs it printed.
func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, exited: make(chan error, 1), stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if m := uriLine.FindStringSubmatch(line); m != nil {
				p.uris = append(p.uris, m[1])
			}
			if strings.Contains(line, "stop with Ctrl-C") {
				close(ready)
				break
			}
		}
		io.Copy(io.Discard, stdout)
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		p.exited <- nil
	})
	select {
	case <-ready:
	case err := <-p.exited:
		p.exited <- err
		t.Fatalf("serve %v exited before it was ready: %v\n%s", args, err, p.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("serve %v not ready after 30 s\n%s", args, p.stderr)
	}
	return p
}

// uri returns the printed URI of the node.xml node on the listener whose
// URI starts with prefix.
func (p *serveProc) uri(t *testing.T, prefix string) string {
	t.Helper()
	for _, u := range p.uris {
		if strings.HasPrefix(u, prefix) && strings.Contains(u, "node.xml") {
			return u
		}
	}
	t.Fatalf("no %s URI among %v", prefix, p.uris)
	return ""
}

// TestServeKilledMidCall is RELIABILITY test 33 against the fake as a real
// process: `virtwire serve` is stopped with calls pending over unix and
// tcp, then SIGKILLed. The calls fail with ErrConnClosed within 100 ms
// (unix) and 1 s (tcp) of the kill, Done fires and Err stays the same; a
// new serve on the same paths replaces the stale socket file the killed
// one left and a redial succeeds within 1 s of it; a second serve on the
// live socket refuses to start and leaves it alone; 100 Dial → list →
// Close cycles then run (under -race in CI).
func TestServeKilledMidCall(t *testing.T) {
	dir, err := os.MkdirTemp("", "vwk-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	node, _ := captures.NodeXML("node.xml")
	nodePath := filepath.Join(dir, "node.xml")
	if err := os.WriteFile(nodePath, node, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	first := startServe(t, "--node", nodePath, "--listen", "unix:"+sock, "--listen", "tcp:127.0.0.1:0")
	unixURI, tcpURI := first.uri(t, "test+unix:"), first.uri(t, "test+tcp:")
	u, _ := url.Parse(tcpURI)
	tcpAddr := u.Host

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	type dialed struct {
		name  string
		c     *client.Conn
		bound time.Duration
	}
	var conns []dialed
	for _, d := range []struct {
		name, uri string
		bound     time.Duration
	}{{"unix", unixURI, 100 * time.Millisecond}, {"tcp", tcpURI, time.Second}} {
		c, err := client.Dial(ctx, d.uri, client.WithKeepalive(0, 0))
		if err != nil {
			t.Fatalf("Dial(%s) = %v", d.uri, err)
		}
		defer c.Close()
		if doms, err := c.ListAllDomains(ctx, 0); err != nil || len(doms) != 8 {
			t.Fatalf("ListAllDomains over %s = %d, %v", d.name, len(doms), err)
		}
		conns = append(conns, dialed{d.name, c, d.bound})
	}
	if err := first.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, first.cmd.Process.Pid) // the signal is delivered asynchronously
	type result struct {
		conn int
		err  error
		at   time.Time
	}
	results := make(chan result, 3*len(conns))
	for i, d := range conns {
		for range 3 {
			go func() {
				_, err := d.c.ListAllDomains(ctx, 0)
				results <- result{i, err, time.Now()}
			}()
		}
	}
	time.Sleep(100 * time.Millisecond) // the calls are written and pending
	killed := time.Now()
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	worst := make([]time.Duration, len(conns))
	for range 3 * len(conns) {
		r := <-results
		if !errors.Is(r.err, client.ErrConnClosed) {
			t.Errorf("%s call pending at the kill = %v; want ErrConnClosed", conns[r.conn].name, r.err)
		}
		worst[r.conn] = max(worst[r.conn], r.at.Sub(killed))
	}
	for i, d := range conns {
		t.Logf("figure: test 33 %s: calls failed %v after SIGKILL (bound %v)", d.name, worst[i], d.bound)
		if worst[i] > d.bound {
			t.Errorf("%s calls failed %v after the kill; want ≤ %v", d.name, worst[i], d.bound)
		}
		select {
		case <-d.c.Done():
		case <-time.After(time.Second):
			t.Fatalf("%s: Done did not fire", d.name)
		}
		err1 := d.c.Err()
		if err := d.c.Close(); err != nil {
			t.Errorf("%s: Close after the kill = %v", d.name, err)
		}
		if err2 := d.c.Err(); !errors.Is(err1, client.ErrConnClosed) || err1 != err2 {
			t.Errorf("%s: Err() = %v, then %v after Close; want one ErrConnClosed", d.name, err1, err2)
		}
	}
	<-first.exited
	first.exited <- nil

	// The killed process left its socket file: a new serve replaces it.
	if fi, err := os.Stat(sock); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("the killed serve left no stale socket: %v", err)
	}
	restarted := time.Now()
	second := startServe(t, "--node", nodePath, "--listen", "unix:"+sock, "--listen", "tcp:"+tcpAddr)
	for _, uri := range []string{unixURI, tcpURI} {
		var c *client.Conn
		for {
			c, err = client.Dial(ctx, uri, client.WithKeepalive(0, 0))
			if err == nil || time.Since(restarted) > 5*time.Second {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("redial %s = %v", uri, err)
		}
		took := time.Since(restarted)
		t.Logf("figure: test 33 redial %s succeeded %v after the restart began", strings.SplitN(uri, ":", 2)[0], took)
		if took > time.Second {
			t.Errorf("redial succeeded %v after the restart; want ≤ 1 s", took)
		}
		c.Close()
	}

	// A serve on the live socket refuses it and leaves it working.
	cmd := exec.Command(os.Args[0], "serve", "--node", nodePath, "--listen", "unix:"+sock)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Errorf("serve on a live socket = %v, %q; want a failure", err, out)
	}
	t.Logf("serve on a live socket: %s", strings.TrimSpace(string(out)))

	// 100 connect/disconnect cycles against the restarted process.
	for i := range 100 {
		uri := unixURI
		if i%2 == 1 {
			uri = tcpURI
		}
		c, err := client.Dial(ctx, uri, client.WithKeepalive(0, 0))
		if err != nil {
			t.Fatalf("cycle %d: Dial = %v", i, err)
		}
		if doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive); err != nil || len(doms) != 5 {
			t.Fatalf("cycle %d: ListAllDomains = %d, %v", i, len(doms), err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("cycle %d: Close = %v", i, err)
		}
	}
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-second.exited; err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, second.stderr)
	}
	second.exited <- nil
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after a clean stop: %v; want it removed", err)
	}
}

// waitStopped waits until the process is in state T (stopped), so calls
// made afterwards stay pending.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Skipf("cannot read the process state: %v", err)
		}
		// pid (comm) state …: comm may hold spaces, the state follows the last ')'.
		if f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(f) > 0 && f[0] == "T" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d not stopped after SIGSTOP", pid)
		}
		time.Sleep(time.Millisecond)
	}
}
