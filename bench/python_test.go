package bench

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
)

//go:embed testdata/pyloop.py
var pyLoop string

// pyClient is libvirt's C client driven from one long-lived Python process
// (testdata/pyloop.py): it holds one connection and times batches of
// listAllDomains calls itself, so that Python's start-up and the pipe stay
// out of the figure.
type pyClient struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
	home   string
}

// startPython opens uri with python3-libvirt. Its environment keeps libvirt
// inside a private home: no session daemon autostart, no user configuration.
func startPython(uri string, n int) (*pyClient, error) {
	home, err := os.MkdirTemp("", "vwb-py-")
	if err != nil {
		return nil, err
	}
	p := &pyClient{home: home}
	p.cmd = exec.Command(libvirtd.PythonPath, "-I", "-c", pyLoop, uri)
	p.cmd.Env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"LIBVIRT_AUTOSTART=0",
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
	}
	p.cmd.Dir = home
	p.cmd.Stderr = &p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	p.out = bufio.NewReader(stdout)
	if err := p.cmd.Start(); err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	// One call outside any measurement: it proves the open worked and pays
	// for the first-call costs.
	if _, err := p.run(1, n); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// run makes calls listAllDomains calls and returns the time Python measured
// for them. Each list must hold want domains.
func (p *pyClient) run(calls, want int) (time.Duration, error) {
	if _, err := fmt.Fprintf(p.stdin, "%d\n", calls); err != nil {
		return 0, p.fail(err)
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return 0, p.fail(err)
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		return 0, fmt.Errorf("python answered %q", line)
	}
	ns, err1 := strconv.ParseInt(f[0], 10, 64)
	got, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("python answered %q", line)
	}
	if got != want {
		return 0, fmt.Errorf("python listed %d domains, want %d", got, want)
	}
	return time.Duration(ns), nil
}

func (p *pyClient) fail(err error) error {
	return fmt.Errorf("python: %w; stderr: %s", err, strings.TrimSpace(p.stderr.String()))
}

// Close ends the Python process (closing stdin ends its loop, and it
// closes its connection) and waits for it.
func (p *pyClient) Close() error {
	p.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		err = <-done
	}
	os.RemoveAll(p.home)
	return err
}

// benchPython runs b.N calls in Python and reports Python's own time as
// ns/op, and MB/s of reply frames (of size bytes) from it. b's clock, which
// also counts the pipe round trip, is close to it. cpu-ns/op counts
// Python's process and those of pids.
func benchPython(b *testing.B, p *pyClient, n int, bytes int64, pids []int) {
	b.Helper()
	cpu := startCPU(append([]int{p.cmd.Process.Pid}, pids...)...)
	b.ResetTimer()
	d, err := p.run(b.N, n)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	cpu.report(b)
	b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(bytes)*float64(b.N)/d.Seconds()/1e6, "MB/s")
}
