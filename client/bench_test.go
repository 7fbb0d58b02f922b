package client

import (
	"context"
	"fmt"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/nodexml"
	"github.com/virtwire/virtwire/protocol"
)

// benchSizes are the node sizes of the ListAllDomains benchmarks; 16384 is
// REMOTE_DOMAIN_LIST_MAX, the most one reply may carry.
var benchSizes = []int{10, 1000, protocol.DomainListMax}

// benchDaemon starts one libvirtd with a generated node file per size.
func benchDaemon(b *testing.B, sizes ...int) *libvirtd.Daemon {
	b.Helper()
	var opts []libvirtd.Option
	for _, n := range sizes {
		opts = append(opts, libvirtd.WithFileData(fmt.Sprintf("node-%d.xml", n), nodexml.Generate(n, 1).Bytes()))
	}
	return libvirtd.Start(b, opts...)
}

// goLibvirtDial opens a go-libvirt connection to the daemon's unix socket
// with the same CONNECT_OPEN name virtwire sends.
func goLibvirtDial(b *testing.B, d *libvirtd.Daemon, node string) *golibvirt.Libvirt {
	l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(d.Socket)))
	if err := l.ConnectToURI(golibvirt.ConnectURI("test://" + d.File(node))); err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkListAllDomains lists every domain of a node over one open
// connection, with virtwire and with go-libvirt against the same daemon.
func BenchmarkListAllDomains(b *testing.B) {
	d := benchDaemon(b, benchSizes...)
	ctx := context.Background()
	for _, n := range benchSizes {
		node := fmt.Sprintf("node-%d.xml", n)
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			c, err := Dial(ctx, d.URI(node))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.ReportAllocs()
			for b.Loop() {
				doms, err := c.ListAllDomains(ctx, 0)
				if err != nil || len(doms) != n {
					b.Fatalf("ListAllDomains = %d, %v", len(doms), err)
				}
			}
		})
		b.Run(fmt.Sprintf("domains=%d/impl=go-libvirt", n), func(b *testing.B) {
			l := goLibvirtDial(b, d, node)
			defer l.Disconnect()
			b.ReportAllocs()
			for b.Loop() {
				doms, _, err := l.ConnectListAllDomains(1, 0)
				if err != nil || len(doms) != n {
					b.Fatalf("ConnectListAllDomains = %d, %v", len(doms), err)
				}
			}
		})
	}
}

// BenchmarkDialListClose is what a monitoring exporter does on every
// scrape: connect, open, list every domain, close. virtwire runs with its
// defaults, which add one round trip (SUPPORTS_FEATURE(PROGRAM_KEEPALIVE))
// before the open, as virsh does.
func BenchmarkDialListClose(b *testing.B) {
	const n = 10
	d := benchDaemon(b, n)
	node := fmt.Sprintf("node-%d.xml", n)
	ctx := context.Background()
	b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c, err := Dial(ctx, d.URI(node))
			if err != nil {
				b.Fatal(err)
			}
			if doms, err := c.ListAllDomains(ctx, 0); err != nil || len(doms) != n {
				b.Fatalf("ListAllDomains = %d, %v", len(doms), err)
			}
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("domains=%d/impl=go-libvirt", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			l := goLibvirtDial(b, d, node)
			if doms, _, err := l.ConnectListAllDomains(1, 0); err != nil || len(doms) != n {
				b.Fatalf("ConnectListAllDomains = %d, %v", len(doms), err)
			}
			if err := l.Disconnect(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListAllDomainsFakePeer isolates the clients' own cost: the same
// listing from an in-process peer that answers with a prepared reply, so
// libvirtd's time (which dominates BenchmarkListAllDomains) is out of the
// figures. Both clients talk to the same peer over a unix socket.
func BenchmarkListAllDomainsFakePeer(b *testing.B) {
	for _, n := range benchSizes {
		node := nodexml.Generate(n, 1)
		ret := protocol.ConnectListAllDomainsRet{Ret: uint32(n)}
		for _, d := range node.Domains {
			ret.Domains = append(ret.Domains, protocol.NonnullDomain{Name: d.Name, UUID: d.UUID, ID: -1})
		}
		payload, err := ret.AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		s := newFakeServer(b, func(p *peer) {
			if _, err := p.handshake(handshakeOpts{}); err != nil {
				return
			}
			var buf []byte
			for {
				f, err := p.fr.ReadFrame()
				if err != nil {
					return
				}
				h := f.Header.Reply(protocol.StatusOK)
				switch f.Header.Procedure {
				case protocol.ProcConnectListAllDomains:
					buf, _ = protocol.AppendFrame(buf[:0], &h, protocol.RawPayload(payload))
				default:
					buf, _ = protocol.AppendFrame(buf[:0], &h, nil)
				}
				if _, err := p.nc.Write(buf); err != nil {
					return
				}
			}
		})
		ctx := context.Background()
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			c, err := Dial(ctx, s.URI(), WithKeepalive(0, 0))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				doms, err := c.ListAllDomains(ctx, 0)
				if err != nil || len(doms) != n {
					b.Fatalf("ListAllDomains = %d, %v", len(doms), err)
				}
			}
		})
		b.Run(fmt.Sprintf("domains=%d/impl=go-libvirt", n), func(b *testing.B) {
			l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(s.path)))
			if err := l.ConnectToURI("test:///fake.xml"); err != nil {
				b.Fatal(err)
			}
			defer l.Disconnect()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				doms, _, err := l.ConnectListAllDomains(1, 0)
				if err != nil || len(doms) != n {
					b.Fatalf("ConnectListAllDomains = %d, %v", len(doms), err)
				}
			}
		})
		s.Close()
	}
}
