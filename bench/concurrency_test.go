package bench

import (
	"fmt"
	"testing"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// concurrency is the number of goroutines of BenchmarkConcurrentCalls.
const concurrency = 64

// BenchmarkConcurrentCalls runs 64 goroutines making ListAllDomains(0)
// calls through virtwire's client, one call at a time each, on the node of
// 10 domains:
//
//   - impl=shared-conn: all 64 share one client.Conn, whose calls are
//     multiplexed on one socket;
//   - impl=conn-each: each goroutine has its own client.Conn.
//
// server=fake is the fake libvirtd, which (as libvirtd) runs at most 5
// calls of one connection at once; server=echo is the echo floor, which
// answers the calls of one connection one after the other. Both run in
// this process. Like BenchmarkServerCalls it reports calls/s, p50 and p99.
func BenchmarkConcurrentCalls(b *testing.B) {
	dir := shortDir(b)
	file := writeNodes(b, dir, callsNode)[callsNode]
	fake := libvirtdtest.NewServer(b, libvirtdtest.NodeXML(file))
	echo := startEcho(b, listReply(callsNode))
	servers := []struct{ name, uri string }{
		{"fake", fake.URI},
		{"echo", "test+unix:///echo.xml?socket=" + echo.socket},
	}
	for _, s := range servers {
		var conns []*client.Conn
		b.Cleanup(func() {
			for _, c := range conns {
				c.Close()
			}
		})
		dial := func(b *testing.B, n int) []*client.Conn {
			for len(conns) < n {
				c, err := client.Dial(bg, s.uri)
				if err != nil {
					b.Fatal(err)
				}
				conns = append(conns, c)
			}
			return conns[:n]
		}
		call := func(c *client.Conn) error {
			doms, err := c.ListAllDomains(bg, 0)
			if err == nil && len(doms) != callsNode {
				err = fmt.Errorf("ListAllDomains: %d domains, want %d", len(doms), callsNode)
			}
			return err
		}
		b.Run(fmt.Sprintf("server=%s/goroutines=%d/impl=shared-conn", s.name, concurrency), func(b *testing.B) {
			c := dial(b, 1)[0]
			b.ReportAllocs()
			benchWorkers(b, concurrency, func(int) error { return call(c) })
		})
		b.Run(fmt.Sprintf("server=%s/goroutines=%d/impl=conn-each", s.name, concurrency), func(b *testing.B) {
			cs := dial(b, concurrency)
			b.ReportAllocs()
			benchWorkers(b, concurrency, func(i int) error { return call(cs[i]) })
		})
	}
}
