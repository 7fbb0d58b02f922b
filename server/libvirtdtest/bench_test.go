package libvirtdtest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/measure"
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
	b.ReportAllocs()
	elapsed, lat := measure.Workers(b, clients, func(i int) error {
		_, err := conns[i].ListAllDomains(ctx, protocol.ListDomainsFlags(0))
		return err
	})
	measure.ReportLatency(b, elapsed, lat)
}
