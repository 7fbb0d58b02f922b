package libvirtd

import (
	"net"
	"strings"
	"testing"
)

// TestBindRetry hands Start a port that is taken; libvirtd fails to bind,
// and Start must try again with a fresh one.
func TestBindRetry(t *testing.T) {
	Require(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	calls := 0
	pickPorts = func(n int) ([]int, error) {
		calls++
		if calls == 1 {
			return []int{busyPort}, nil
		}
		return freePorts(n)
	}
	defer func() { pickPorts = freePorts }()

	f := &fakeTB{}
	var d *Daemon
	f.run(func(tb testing.TB) { d = Start(tb, TCP()) })
	if f.fatal != "" || d == nil {
		t.Fatalf("Start: %s", f.fatal)
	}
	if calls != 2 {
		t.Errorf("ports picked %d times; want 2", calls)
	}
	if len(f.logs) == 0 || !strings.Contains(f.logs[0], "address already in use") {
		t.Errorf("no retry logged: %q", f.logs)
	}
	t.Logf("retry log: %s", f.logs[0])
}
