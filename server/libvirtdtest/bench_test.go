package libvirtdtest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// BenchmarkListAllDomains measures CONNECT_LIST_ALL_DOMAINS (flags 0,
// testdata/node.xml's eight domains) through virtwire's client, against the
// fake and against libvirtd 9.0 on the same node, with 1 and 64 clients on
// their own connections calling as fast as they can. It reports calls per
// second and the latency percentiles of single calls.
func BenchmarkListAllDomains(b *testing.B) {
	fake := libvirtdtest.NewServer(b, libvirtdtest.NodeXML("testdata/node.xml"))
	libvirtd.Require(b)
	d := libvirtd.Start(b, libvirtd.WithFile("testdata/node.xml"))
	for _, srv := range []struct{ name, uri string }{
		{"fake", fake.URI},
		{"libvirtd", d.URI(d.File("node.xml"))},
	} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("server=%s/clients=%d", srv.name, clients), func(b *testing.B) {
				benchList(b, srv.uri, clients)
			})
		}
	}
}

func benchList(b *testing.B, uri string, clients int) {
	ctx := context.Background()
	conns := make([]*client.Conn, clients)
	for i := range conns {
		c, err := client.Dial(ctx, uri)
		if err != nil {
			b.Fatalf("client.Dial: %v", err)
		}
		defer c.Close()
		conns[i] = c
	}
	if doms, err := conns[0].ListAllDomains(ctx, 0); err != nil || len(doms) != 8 {
		b.Fatalf("ListAllDomains: %d domains, %v", len(doms), err)
	}
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if _, err := c.ListAllDomains(ctx, protocol.ListDomainsFlags(0)); err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) }
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}
