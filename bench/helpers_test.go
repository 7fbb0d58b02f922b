package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/nodexml"
	"github.com/virtwire/virtwire/protocol"
)

// sizes are the node sizes of the ListAllDomains benchmarks; 16384 is
// REMOTE_DOMAIN_LIST_MAX, the most one reply may carry.
var sizes = []int{10, 1000, protocol.DomainListMax}

// seed is the nodexml seed of every generated node.
const seed = 1

// nodeFile is the name of the node XML file with n domains in a daemon's
// directory.
func nodeFile(n int) string { return fmt.Sprintf("node-%d.xml", n) }

// node returns the generated node with n domains. It is generated anew
// each time rather than cached: a cached 16,384-domain node would be live
// heap that every garbage collection in every benchmark has to scan.
func node(n int) *nodexml.Node { return nodexml.Generate(n, seed) }

// listReply is the reply the test driver gives to ListAllDomains(0) on the
// node with n domains: every domain, in file order, with its ID.
func listReply(n int) *protocol.ConnectListAllDomainsRet {
	nd := node(n)
	ids := nd.IDs()
	r := &protocol.ConnectListAllDomainsRet{Ret: uint32(n), Domains: make([]protocol.NonnullDomain, n)}
	for i, d := range nd.Domains {
		r.Domains[i] = protocol.NonnullDomain{Name: d.Name, UUID: d.UUID, ID: int32(ids[i])}
	}
	return r
}

// shortDir makes a private directory under /tmp (unix socket paths are
// limited to 108 bytes) that b's cleanup removes.
func shortDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "vwb-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// writeNodes writes the node files for ns into dir and returns their paths
// by size.
func writeNodes(tb testing.TB, dir string, ns ...int) map[int]string {
	tb.Helper()
	paths := map[int]string{}
	for _, n := range ns {
		p := filepath.Join(dir, nodeFile(n))
		if err := node(n).WriteFile(p); err != nil {
			tb.Fatal(err)
		}
		paths[n] = p
	}
	return paths
}

// replyFrameSize is the size of the reply frame to ListAllDomains(0) on
// the node with n domains, for b.SetBytes.
func replyFrameSize(tb testing.TB, n int) int64 {
	tb.Helper()
	p, err := listReply(n).AppendBinary(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return int64(protocol.FrameMin + len(p))
}

var bg = context.Background()

// cpuClock reads the CPU time (user and system) the whole process has used
// (the benchmark's goroutines, the garbage collector's workers and, for the
// servers started in this process, the server side) and that of other
// processes taking part (libvirtd). On a busy machine it moves much less
// than the wall clock, so the benchmarks report it beside ns/op as
// cpu-ns/op.
type cpuClock struct {
	pids  []int
	start time.Duration
}

func (c *cpuClock) read() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	t := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	for _, pid := range c.pids {
		t += procCPU(pid)
	}
	return t
}

// procCPU returns the CPU time of process pid from /proc/PID/stat (utime
// and stime, in clock ticks of 10 ms), or 0 if it cannot be read.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may contain spaces: fields are
	// counted after its closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// startCPU starts a cpuClock for this process and pids; call it just before
// the timed loop.
func startCPU(pids ...int) *cpuClock {
	c := &cpuClock{pids: pids}
	c.start = c.read()
	return c
}

// report reports the CPU time per iteration since startCPU as cpu-ns/op;
// call it right after the timed loop, when b.N is the number of iterations.
func (c *cpuClock) report(b *testing.B) {
	if b.N > 0 {
		b.ReportMetric(float64((c.read()-c.start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
