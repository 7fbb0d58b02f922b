package reliability

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/fixtures"
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

// processMem returns the process's RSS and the Go heap plus stacks in use,
// after a GC that returns freed memory to the OS.
func processMem(t testing.TB) (rss, heap int64) {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("cannot read RSS: %v", err)
	}
	pages, _ := strconv.ParseInt(strings.Fields(string(b))[1], 10, 64)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return pages * int64(os.Getpagesize()), int64(m.HeapInuse + m.StackInuse)
}

// memGrowth is the growth RELIABILITY bounds: RSS, or under -race (whose
// shadow memory is not ours) the Go heap and stacks.
func memGrowth(rss0, heap0, rss1, heap1 int64) int64 {
	if raceEnabled {
		return heap1 - heap0
	}
	return rss1 - rss0
}

// serverGoroutines counts goroutines running the server's or the fake
// driver's code (and not the client's).
func serverGoroutines() int {
	stackMu.Lock()
	defer stackMu.Unlock()
	b := stackBuf[:runtime.Stack(stackBuf, true)]
	n := 0
	for len(b) > 0 {
		end := bytes.Index(b, []byte("\n\n"))
		if end < 0 {
			end = len(b)
		}
		g := b[:end]
		if bytes.Contains(g, []byte("virtwire/server.")) || bytes.Contains(g, []byte("virtwire/server/testdriver.")) {
			if !bytes.Contains(g, []byte("virtwire/client.")) {
				n++
			}
		}
		b = b[min(end+2, len(b)):]
	}
	return n
}

var (
	stackMu  sync.Mutex
	stackBuf = make([]byte, 16<<20)
)

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
