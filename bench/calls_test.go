package bench

import (
	"fmt"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// callsNode is the node of the server benchmarks: ListAllDomains(0) on 10
// domains is a small call whose reply (a 440-byte frame) still carries data.
const callsNode = 10

// BenchmarkServerCalls measures a server's throughput and latency: 1, 8 or
// 64 raw clients (rawClient, so the client side costs as little as it can),
// each on its own unix-socket connection, make ListAllDomains(0) calls one
// after the other on a node of 10 domains, b.N calls in all. It reports
// calls/s and the 50th and 99th percentile of single calls' latency; ns/op
// is the wall time per call of the whole run, 1/(calls/s).
//
//   - impl=fake: the fake libvirtd (server/libvirtdtest), in this process;
//   - impl=echo: the echo floor (echoServer), in this process, answering
//     with the fake's reply encoded once;
//   - impl=libvirtd: libvirtd 9.0 serving the same node file.
//
// The clients run in this process, so impl=fake and impl=echo share the
// machine's cores with them just as libvirtd does from its own process.
func BenchmarkServerCalls(b *testing.B) {
	dir := shortDir(b)
	file := writeNodes(b, dir, callsNode)[callsNode]
	fake := libvirtdtest.NewServer(b, libvirtdtest.NodeXML(file))
	echo := startEcho(b, listReply(callsNode))
	// libvirtd starts here, owned by the top-level benchmark, if it can;
	// without it the impl=libvirtd sub-benchmarks skip (or fail in CI).
	var ld *libvirtd.Daemon
	if libvirtd.Available() {
		ld = startLibvirtd(b, callsNode)
	}
	type server struct {
		impl string
		dial func(b *testing.B) (*rawClient, error)
	}
	servers := []server{
		{"fake", func(*testing.B) (*rawClient, error) { return dialRaw("unix", fake.Socket, fake.Host.Name()) }},
		{"echo", func(*testing.B) (*rawClient, error) { return dialRaw("unix", echo.socket, echoName) }},
		{"libvirtd", func(b *testing.B) (*rawClient, error) {
			if ld == nil {
				libvirtd.Require(b)
			}
			return dialRaw("unix", ld.Socket, "test://"+ld.File(nodeFile(callsNode)))
		}},
	}
	pools := map[string][]*rawClient{}
	b.Cleanup(func() {
		for _, p := range pools {
			for _, c := range p {
				c.Close()
			}
		}
	})
	for _, clients := range []int{1, 8, 64} {
		for _, s := range servers {
			b.Run(fmt.Sprintf("clients=%d/impl=%s", clients, s.impl), func(b *testing.B) {
				pool := pools[s.impl]
				for len(pool) < clients {
					c, err := s.dial(b)
					if err != nil {
						b.Fatal(err)
					}
					pool = append(pool, c)
					pools[s.impl] = pool
				}
				var pids []int
				if s.impl == "libvirtd" {
					pids = append(pids, ld.PID())
				}
				benchWorkers(b, clients, func(i int) error {
					_, err := pool[i].list()
					return err
				}, pids...)
			})
		}
	}
}

// benchWorkers runs b.N calls of call spread over workers goroutines, each
// making one call at a time (call(i) in goroutine i), and reports calls/s,
// the p50 and p99 latency of single calls and the process's CPU time per
// call (with that of the processes pids, if any).
func benchWorkers(b *testing.B, workers int, call func(worker int) error, pids ...int) {
	cpu := startCPU(pids...)
	elapsed, lat := measure.Workers(b, workers, call)
	cpu.report(b)
	measure.ReportLatency(b, elapsed, lat)
}
