package bench

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
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
//   - impl=raw2: the same floor on a second connection, an A/A control:
//     its ratio to impl=raw is what two identical clients differ by;
//   - impl=virtwire: client.Conn.ListAllDomains;
//   - impl=go-libvirt: github.com/digitalocean/go-libvirt's
//     ConnectListAllDomains;
//   - impl=python: libvirt's C client through python3-libvirt's
//     conn.listAllDomains, timed inside Python (testdata/pyloop.py; B/op
//     and allocs/op are not measured there).
//
// The clients open their connections once, all at once, and keep them
// across runs: the test driver parses the node file at every open, which
// takes seconds at 16,384 domains. Each makes a few calls before any is
// measured.
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
			aa:     true,
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
	// aa adds impl=raw2, a second raw floor client on its own connection:
	// an A/A comparison that shows how much two identical clients differ
	// on this machine (libvirtd keeps a separate copy of the node for each
	// connection, and they do not list equally fast).
	aa bool
}

// listClients are the open connections of every client to one server and
// node.
type listClients struct {
	raw  *rawClient
	raw2 *rawClient // a second floor client, with its own connection, when aa is set
	vw   *client.Conn
	gl   *golibvirt.Libvirt
	py   *pyClient // nil without python3-libvirt
}

// warmCalls is how many calls each client makes before any is measured.
const warmCalls = 3

// open opens every client's connection at once (libvirtd's test driver
// parses the node file at each open, which takes seconds at 16,384
// domains, so in parallel is faster), checks the raw floor's reply, and
// makes warmCalls calls with each client, so that no client is measured
// with first-call costs the others have already paid.
func (t listTarget) open(n int) (*listClients, error) {
	var (
		cl   listClients
		wg   sync.WaitGroup
		errs [4]error
	)
	var err2 error
	wg.Add(4)
	go func() {
		defer wg.Done()
		if cl.raw, errs[0] = t.raw(); errs[0] == nil && t.aa {
			cl.raw2, err2 = t.raw()
		}
	}()
	go func() { defer wg.Done(); cl.vw, errs[1] = t.virtwire() }()
	go func() {
		defer wg.Done()
		l, err := t.goLibvirt()
		if err != nil {
			errs[2] = err
			return
		}
		cl.gl = l
	}()
	go func() {
		defer wg.Done()
		if t.python != nil && libvirtd.PythonAvailable() {
			cl.py, errs[3] = t.python()
		}
	}()
	wg.Wait()
	if err := errors.Join(append(errs[:], err2)...); err != nil {
		cl.close()
		return nil, err
	}
	for range warmCalls {
		size, err := cl.raw.list()
		if err == nil {
			var ret *protocol.ConnectListAllDomainsRet
			if ret, err = cl.raw.listed(size); err == nil && len(ret.Domains) != n {
				err = fmt.Errorf("raw ListAllDomains: %d domains, want %d", len(ret.Domains), n)
			}
		}
		if err == nil && cl.raw2 != nil {
			_, err = cl.raw2.list()
		}
		if err == nil {
			var doms []protocol.NonnullDomain
			if doms, err = cl.vw.ListAllDomains(bg, 0); err == nil && len(doms) != n {
				err = fmt.Errorf("ListAllDomains: %d domains, want %d", len(doms), n)
			}
		}
		if err == nil {
			var doms []golibvirt.Domain
			if doms, _, err = cl.gl.ConnectListAllDomains(1, 0); err == nil && len(doms) != n {
				err = fmt.Errorf("go-libvirt ConnectListAllDomains: %d domains, want %d", len(doms), n)
			}
		}
		if err != nil {
			cl.close()
			return nil, err
		}
	}
	if cl.py != nil {
		if _, err := cl.py.run(warmCalls, n); err != nil {
			cl.close()
			return nil, err
		}
	}
	return &cl, nil
}

func (cl *listClients) close() {
	if cl.raw != nil {
		cl.raw.Close()
	}
	if cl.raw2 != nil {
		cl.raw2.Close()
	}
	if cl.vw != nil {
		cl.vw.Close()
	}
	if cl.gl != nil {
		cl.gl.Disconnect()
	}
	if cl.py != nil {
		cl.py.Close()
	}
}

// benchListClients runs the ListAllDomains sub-benchmarks of every client
// for a node of n domains, one after the other. The first of them to run
// opens every client's connection (listTarget.open); b's cleanup closes
// them.
func benchListClients(b *testing.B, n int, t listTarget) {
	var (
		cl      *listClients
		openErr error
		opened  bool
	)
	get := func(b *testing.B) *listClients {
		b.Helper()
		if !opened {
			opened = true
			cl, openErr = t.open(n)
		}
		if openErr != nil {
			b.Fatal(openErr)
		}
		return cl
	}
	b.Cleanup(func() {
		if cl != nil {
			cl.close()
		}
	})
	bytes := replyFrameSize(b, n)
	// run times one implementation: list makes one call on the clients
	// and returns the number of domains it decoded, or -1 for a floor
	// that decodes none.
	run := func(impl string, list func(*listClients) (int, error)) {
		b.Run(fmt.Sprintf("domains=%d/impl=%s", n, impl), func(b *testing.B) {
			cl := get(b)
			b.SetBytes(bytes)
			b.ReportAllocs()
			cpu := startCPU(t.pids...)
			for b.Loop() {
				got, err := list(cl)
				if err != nil || (got >= 0 && got != n) {
					b.Fatalf("%s: %d domains, %v; want %d", impl, got, err, n)
				}
			}
			cpu.report(b)
		})
	}
	run("raw", func(cl *listClients) (int, error) { _, err := cl.raw.list(); return -1, err })
	if t.aa {
		run("raw2", func(cl *listClients) (int, error) { _, err := cl.raw2.list(); return -1, err })
	}
	run("virtwire", func(cl *listClients) (int, error) {
		doms, err := cl.vw.ListAllDomains(bg, 0)
		return len(doms), err
	})
	run("go-libvirt", func(cl *listClients) (int, error) {
		doms, _, err := cl.gl.ConnectListAllDomains(1, 0)
		return len(doms), err
	})
	if t.python == nil {
		return
	}
	b.Run(fmt.Sprintf("domains=%d/impl=python", n), func(b *testing.B) {
		libvirtd.RequirePython(b)
		py := get(b).py
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
