package bench

import (
	"fmt"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
)

// startLibvirtd starts a real libvirtd whose directory holds the node files
// for ns.
func startLibvirtd(b *testing.B, ns ...int) *libvirtd.Daemon {
	b.Helper()
	libvirtd.Require(b)
	var opts []libvirtd.Option
	for _, n := range ns {
		opts = append(opts, libvirtd.WithFileData(nodeFile(n), node(n).Bytes()))
	}
	return libvirtd.Start(b, opts...)
}

// BenchmarkListAllDomainsLibvirtd makes one ListAllDomains(0) call over an
// open unix-socket connection to a real libvirtd serving a node of 10,
// 1,000 or 16,384 domains, from each client:
//
//   - impl=raw: the floor (rawClient), a pre-encoded call and the reply
//     frame read without decoding;
//   - impl=virtwire: client.Conn.ListAllDomains;
//   - impl=go-libvirt: github.com/digitalocean/go-libvirt's
//     ConnectListAllDomains;
//   - impl=python: libvirt's C client through python3-libvirt's
//     conn.listAllDomains, timed inside Python (testdata/pyloop.py; B/op
//     and allocs/op are not measured there).
//
// Each client opens its connection once and keeps it across runs: the test
// driver parses the node file at every open, which takes seconds at 16,384
// domains.
func BenchmarkListAllDomainsLibvirtd(b *testing.B) {
	d := startLibvirtd(b, sizes...)
	for _, n := range sizes {
		file := d.File(nodeFile(n))
		benchListClients(b, n, listTarget{
			raw: func() (*rawClient, error) { return dialRaw("unix", d.Socket, "test://"+file) },
			virtwire: func() (*client.Conn, error) {
				return client.Dial(bg, d.URI(file))
			},
			goLibvirt: func() (*golibvirt.Libvirt, error) {
				l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(d.Socket)))
				return l, l.ConnectToURI(golibvirt.ConnectURI("test://" + file))
			},
			python: func() (*pyClient, error) { return startPython(d.URI(file), n) },
			pids:   []int{d.PID()},
		})
	}
}

// listTarget opens each client's connection to one server and node.
type listTarget struct {
	raw       func() (*rawClient, error)
	virtwire  func() (*client.Conn, error)
	goLibvirt func() (*golibvirt.Libvirt, error)
	python    func() (*pyClient, error) // nil: no python sub-benchmark
	pids      []int                     // server processes, for cpu-ns/op
}

// benchListClients runs the ListAllDomains sub-benchmarks of every client
// for a node of n domains. The first run of each sub-benchmark opens its
// connection; b's cleanup closes them all.
func benchListClients(b *testing.B, n int, t listTarget) {
	var (
		raw *rawClient
		vw  *client.Conn
		gl  *golibvirt.Libvirt
		py  *pyClient
	)
	bytes := replyFrameSize(b, n)
	b.Cleanup(func() {
		if raw != nil {
			raw.Close()
		}
		if vw != nil {
			vw.Close()
		}
		if gl != nil {
			gl.Disconnect()
		}
		if py != nil {
			py.Close()
		}
	})
	b.Run(fmt.Sprintf("domains=%d/impl=raw", n), func(b *testing.B) {
		if raw == nil {
			var err error
			if raw, err = t.raw(); err != nil {
				b.Fatal(err)
			}
			// Check the reply once, outside the timed loop.
			size, err := raw.list()
			if err != nil {
				b.Fatal(err)
			}
			ret, err := raw.listed(size)
			if err != nil {
				b.Fatal(err)
			}
			if len(ret.Domains) != n || int64(size) != bytes {
				b.Fatalf("raw ListAllDomains: %d domains in %d bytes; want %d in %d", len(ret.Domains), size, n, bytes)
			}
		}
		b.SetBytes(bytes)
		b.ReportAllocs()
		cpu := startCPU(t.pids...)
		for b.Loop() {
			if _, err := raw.list(); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
		if vw == nil {
			var err error
			if vw, err = t.virtwire(); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(bytes)
		b.ReportAllocs()
		cpu := startCPU(t.pids...)
		for b.Loop() {
			doms, err := vw.ListAllDomains(bg, 0)
			if err != nil || len(doms) != n {
				b.Fatalf("ListAllDomains = %d domains, %v; want %d", len(doms), err, n)
			}
		}
		cpu.report(b)
	})
	b.Run(fmt.Sprintf("domains=%d/impl=go-libvirt", n), func(b *testing.B) {
		if gl == nil {
			var err error
			if gl, err = t.goLibvirt(); err != nil {
				gl = nil
				b.Fatal(err)
			}
		}
		b.SetBytes(bytes)
		b.ReportAllocs()
		cpu := startCPU(t.pids...)
		for b.Loop() {
			doms, _, err := gl.ConnectListAllDomains(1, 0)
			if err != nil || len(doms) != n {
				b.Fatalf("ConnectListAllDomains = %d domains, %v; want %d", len(doms), err, n)
			}
		}
		cpu.report(b)
	})
	if t.python == nil {
		return
	}
	b.Run(fmt.Sprintf("domains=%d/impl=python", n), func(b *testing.B) {
		libvirtd.RequirePython(b)
		if py == nil {
			var err error
			if py, err = t.python(); err != nil {
				b.Fatal(err)
			}
		}
		benchPython(b, py, n, bytes, t.pids)
	})
}

// BenchmarkDialListClose is what a monitoring exporter does on every
// scrape, against libvirtd and a node of 10 domains: connect, open, list
// every domain, close. virtwire runs with its defaults, which add one round
// trip (SUPPORTS_FEATURE(PROGRAM_KEEPALIVE)) before the open, as virsh and
// libvirt's C client do; go-libvirt does not ask.
func BenchmarkDialListClose(b *testing.B) {
	const n = callsNode
	d := startLibvirtd(b, n)
	file := d.File(nodeFile(n))
	b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU(d.PID())
		for b.Loop() {
			c, err := client.Dial(bg, d.URI(file))
			if err != nil {
				b.Fatal(err)
			}
			if doms, err := c.ListAllDomains(bg, 0); err != nil || len(doms) != n {
				b.Fatalf("ListAllDomains = %d, %v", len(doms), err)
			}
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	b.Run(fmt.Sprintf("domains=%d/impl=go-libvirt", n), func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU(d.PID())
		for b.Loop() {
			l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(d.Socket)))
			if err := l.ConnectToURI(golibvirt.ConnectURI("test://" + file)); err != nil {
				b.Fatal(err)
			}
			if doms, _, err := l.ConnectListAllDomains(1, 0); err != nil || len(doms) != n {
				b.Fatalf("ConnectListAllDomains = %d, %v", len(doms), err)
			}
			if err := l.Disconnect(); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
}
