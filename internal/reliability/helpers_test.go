package reliability

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/fixtures"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// The node virsh-list-all.fixture was recorded against, and its open name.
const (
	node8Path = "../../fixtures/testdata/recorded/nodes/node8.xml"
	node8Name = "test:///tmp/virtwire-fixtures/node8.xml"
	listAll   = protocol.ListDomainsActive | protocol.ListDomainsInactive
)

// fixtureDomains returns the domains libvirtd 9.0 listed in the recorded
// virsh-list-all fixture (LIST_ALL with ACTIVE|INACTIVE), sorted by name:
// what every good client of the load tests must get from the fake.
func fixtureDomains(t testing.TB) []protocol.NonnullDomain {
	t.Helper()
	fx, err := fixtures.Load("../../fixtures/testdata/recorded/virsh-list-all.fixture")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fx.Events {
		h, ok := e.Header()
		if !ok || e.Dir != fixtures.ServerToClient || h.Procedure != protocol.ProcConnectListAllDomains || h.Type != protocol.TypeReply {
			continue
		}
		var r protocol.ConnectListAllDomainsRet
		if _, err := protocol.Unmarshal(e.Payload(), &r); err != nil {
			t.Fatal(err)
		}
		return sortDomains(r.Domains)
	}
	t.Fatal("no LIST_ALL reply in the fixture")
	return nil
}

func sortDomains(ds []protocol.NonnullDomain) []protocol.NonnullDomain {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b protocol.NonnullDomain) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// startFake starts the fake libvirtd serving node8 under its recorded name,
// with TCP and TLS listeners.
func startFake(t testing.TB, opts ...libvirtdtest.Option) *libvirtdtest.Server {
	t.Helper()
	base := []libvirtdtest.Option{libvirtdtest.NodeXMLAs(node8Name, node8Path), libvirtdtest.TCP(), libvirtdtest.TLS()}
	return libvirtdtest.NewServer(t, append(base, opts...)...)
}

// transportURIs returns the fake's URIs by transport.
func transportURIs(srv *libvirtdtest.Server) map[string]string {
	return map[string]string{"unix": srv.URI, "tcp": srv.TCPURI(), "tls": srv.TLSURI()}
}

// memGrowth is the growth RELIABILITY bounds: RSS, or under -race (whose
// shadow memory is not ours) the Go heap and stacks.
func memGrowth(rss0, heap0, rss1, heap1 int64) int64 {
	if measure.Race {
		return heap1 - heap0
	}
	return rss1 - rss0
}

// serverGoroutines counts goroutines running the server's or the fake
// driver's code (and not the client's).
func serverGoroutines() int {
	return stacks.Count(func(g []byte) bool {
		return (bytes.Contains(g, []byte("virtwire/server.")) || bytes.Contains(g, []byte("virtwire/server/testdriver."))) &&
			!bytes.Contains(g, []byte("virtwire/client."))
	})
}

var stacks = measure.NewStacks(16 << 20)

// percentile returns the p-th percentile (0-100) of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

// dialAll dials n clients to uri with the given options, in parallel.
func dialAll(t testing.TB, uri string, n int, opts ...client.Option) []*client.Conn {
	t.Helper()
	conns := make([]*client.Conn, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := client.Dial(t.Context(), uri, opts...)
			if err != nil {
				errs <- err
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	close(errs)
	t.Cleanup(func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	})
	for err := range errs {
		t.Fatalf("Dial(%s) = %v", uri, err)
	}
	return conns
}

var _ = server.ErrConnClosed
