package reliability

import (
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
)

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count fds: %v", err)
	}
	return len(ents)
}

// TestChurn10k is RELIABILITY test 44 at full scale against the fake, with
// the real client: 10^4 cycles of Dial (AUTH_LIST, CONNECT_OPEN) → LIST_ALL
// → Close, over unix and tcp alternately, plus 10^3 connections that hang
// up in the middle of a frame. Within 5 s the process's file descriptors
// and the server's goroutines are back to the baseline ± 2 and its memory
// (RSS, or the Go heap under -race) has drifted by at most 8 MiB.
func TestChurn10k(t *testing.T) {
	cycles, abrupt := 10_000, 1000
	if testing.Short() {
		cycles, abrupt = 1000, 100
	}
	srv := startFake(t)
	want := len(fixtureDomains(t))
	warm, err := client.Dial(t.Context(), srv.URI, client.WithKeepalive(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	warm.ListAllDomains(t.Context(), listAll)
	warm.Close()
	waitUntil(t, "the warm-up connection to end", func() bool { return srv.RPC.Stats().Connections == 0 })
	waitUntil(t, "the fake's four listeners to serve", func() bool { return serverGoroutines() >= 4 })
	fd0, g0 := openFDs(t), serverGoroutines()
	rss0, heap0 := measure.Memory(t)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(cycles) {
					return
				}
				uri := srv.URI
				if i%2 == 0 {
					uri = srv.TCPURI()
				}
				c, err := client.Dial(t.Context(), uri, client.WithKeepalive(0, 0))
				if err != nil {
					t.Errorf("cycle %d: Dial = %v", i, err)
					return
				}
				if doms, err := c.ListAllDomains(t.Context(), listAll); err != nil || len(doms) != want {
					t.Errorf("cycle %d: ListAllDomains = %d, %v", i, len(doms), err)
				}
				if err := c.Close(); err != nil {
					t.Errorf("cycle %d: Close = %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	h := protocol.Header{Program: protocol.ProgramRemote, Version: 1, Procedure: protocol.ProcAuthList, Type: protocol.TypeCall}
	full, _ := protocol.AppendFrame(nil, &h, protocol.RawPayload(make([]byte, 36)))
	for i := range abrupt {
		nc, err := net.Dial("unix", srv.Socket)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(full[:1+i%(len(full)-1)])
		nc.Close()
	}
	took := time.Since(start)
	end := time.Now()
	var fd, g int
	var drift int64
	for {
		fd, g = openFDs(t), serverGoroutines()
		rss, heap := measure.Memory(t)
		drift = memGrowth(rss0, heap0, rss, heap)
		if srv.RPC.Stats().Connections == 0 && fd <= fd0+2 && g <= g0+2 && drift <= 8<<20 {
			break
		}
		if time.Since(end) > 5*time.Second {
			t.Fatalf("5 s after the churn: %d connections, fds %d (baseline %d), server goroutines %d (baseline %d), memory %+d KiB",
				srv.RPC.Stats().Connections, fd, fd0, g, g0, drift>>10)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("figure: test 44: %d dial-list-close cycles + %d abrupt closes in %v; back after %v: fds %d → %d, server goroutines %d → %d, memory drift %+d KiB (%s)",
		cycles, abrupt, took.Round(time.Millisecond), time.Since(end).Round(time.Millisecond), fd0, fd, g0, g, drift>>10,
		map[bool]string{true: "Go heap, -race", false: "RSS"}[measure.Race])
}
