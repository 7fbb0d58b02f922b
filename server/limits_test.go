package server

import (
	"context"
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// gate is a handler that counts concurrent calls and blocks until opened.
type gate struct {
	open     chan struct{}
	running  atomic.Int64
	maxSeen  atomic.Int64
	finished atomic.Int64
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) handler(ctx context.Context, call *Call) (protocol.Message, error) {
	n := g.running.Add(1)
	storeMax(&g.maxSeen, n)
	defer g.running.Add(-1)
	select {
	case <-g.open:
	case <-ctx.Done():
	}
	time.Sleep(time.Millisecond) // let replies finish out of order
	g.finished.Add(1)
	return protocol.Message(RawReply(call.Payload)), nil
}

// TestInFlightLimit covers RELIABILITY test 29 and L9: 20 calls pipelined on
// one connection never have more than MaxClientRequests (5) in flight; while
// 5 are blocked the server reads nothing more from that socket; another
// connection is served meanwhile; all 20 are answered, matched by serial.
func TestInFlightLimit(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			g := newGate()
			ts := startServer(t, network, Options{}, func(s *Server) {
				echoSetup(s)
				s.Handle(remote, v1, 7001, g.handler)
			})
			c := ts.dial(t)
			var batch []byte
			for i := range 20 {
				batch = append(batch, frame(callHeader(7001, uint32(i)), binary.BigEndian.AppendUint32(nil, uint32(i)))...)
			}
			c.write(batch)
			waitFor(t, "5 calls in flight", func() bool { return g.running.Load() == 5 })
			time.Sleep(50 * time.Millisecond)
			if s := ts.Stats(); s.Frames != 5 || s.InFlight != 5 || g.running.Load() != 5 {
				t.Fatalf("with the handlers blocked: frames read %d, in flight %d, running %d; want 5, 5, 5", s.Frames, s.InFlight, g.running.Load())
			}
			other := ts.dial(t)
			other.roundTrip(99) // a second connection is not held up
			close(g.open)
			seen := make(map[uint32]bool)
			for range 20 {
				h, p := c.read(5 * time.Second)
				if h.Procedure != 7001 || h.Status != protocol.StatusOK || binary.BigEndian.Uint32(p) != h.Serial || seen[h.Serial] {
					t.Fatalf("bad reply %v %x", h, p)
				}
				seen[h.Serial] = true
			}
			if m := g.maxSeen.Load(); m != DefaultMaxClientRequests {
				t.Errorf("handlers saw %d concurrent calls, want %d", m, DefaultMaxClientRequests)
			}
			if m := ts.Stats().MaxInFlight; m != DefaultMaxClientRequests {
				t.Errorf("Stats.MaxInFlight = %d, want %d", m, DefaultMaxClientRequests)
			}
		})
	}
}

// TestMaxClientsBacklog covers RELIABILITY test 45: with MaxClients
// connections open the server stops accepting; the next client waits in the
// backlog and is served as soon as a slot frees.
func TestMaxClientsBacklog(t *testing.T) {
	const max = 4
	ts := startServer(t, "unix", Options{MaxClients: max, MaxAnonymousClients: -1}, echoSetup)
	var cs []*rawClient
	for i := range max {
		c := ts.dial(t)
		c.roundTrip(uint32(i))
		cs = append(cs, c)
	}
	waiting := ts.dial(t) // connect() succeeds: the kernel's backlog holds it
	waiting.send(callHeader(echoProc, 1), nil)
	waiting.expectSilence(100 * time.Millisecond)
	if n := ts.Stats().Connections; n != max {
		t.Fatalf("%d connections, want %d", n, max)
	}
	cs[0].nc.Close()
	start := time.Now()
	h, _ := waiting.read(time.Second)
	if ch := callHeader(echoProc, 1); h != ch.Reply(protocol.StatusOK) {
		t.Fatalf("backlogged client got %v", h)
	}
	t.Logf("backlogged client served %v after a slot freed", time.Since(start))
	for i, c := range cs[1:] {
		c.roundTrip(uint32(10 + i))
	}
}

// TestMaxAnonymousClients covers max_anonymous_clients as virtwire defines
// it: connections not yet marked opened (CONNECT_OPEN) count, and reaching
// the limit stops accepting until one opens or leaves.
func TestMaxAnonymousClients(t *testing.T) {
	ts := startServer(t, "unix", Options{MaxAnonymousClients: 2}, typedSetup)
	a, b := ts.dial(t), ts.dial(t)
	a.roundTrip(1)
	b.roundTrip(2)
	waiting := ts.dial(t)
	waiting.send(callHeader(echoProc, 3), nil)
	waiting.expectSilence(100 * time.Millisecond)
	if s := ts.Stats(); s.Anonymous != 2 {
		t.Fatalf("Anonymous = %d, want 2", s.Anonymous)
	}
	a.send(callHeader(protocol.ProcConnectOpen, 4), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	a.read(time.Second)
	if h, _ := waiting.read(time.Second); h.Serial != 3 {
		t.Fatalf("waiting client got %v", h)
	}
	waitFor(t, "the gauge", func() bool { return ts.Stats().Anonymous == 2 }) // b and waiting
}

// TestClientNeverReads covers RELIABILITY test 37: a client that sends calls
// but never reads its replies is closed after WriteTimeout, its calls do not
// pile up beyond MaxClientRequests, and other clients are served throughout.
func TestClientNeverReads(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	big := make([]byte, 1<<20)
	ts := startServer(t, "tcp", Options{WriteTimeout: writeTimeout}, func(s *Server) {
		echoSetup(s)
		s.Handle(remote, v1, 7002, func(ctx context.Context, call *Call) (protocol.Message, error) {
			return RawReply(big), nil
		})
	})
	good := ts.dial(t)
	bad := ts.dial(t)
	if tc, ok := bad.nc.(interface{ SetReadBuffer(int) error }); ok {
		tc.SetReadBuffer(4096)
	}
	var batch []byte
	for i := range 50 {
		batch = append(batch, frame(callHeader(7002, uint32(i)), nil)...)
	}
	go bad.nc.Write(batch) // may block: the server stops reading
	for i := range 20 {
		good.roundTrip(uint32(i))
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "the write timeout", func() bool { return ts.Stats().WriteTimeouts >= 1 })
	if s := ts.Stats(); s.MaxInFlight > DefaultMaxClientRequests || s.Calls > 50 {
		t.Errorf("in flight max %d, calls %d", s.MaxInFlight, s.Calls)
	}
	waitFor(t, "the slow client to go", func() bool { return ts.Stats().Connections == 1 })
	good.roundTrip(100)
}

// TestLogRateLimit covers RELIABILITY test 61: a client sending thousands
// of frames that are each logged gets at most LogRate lines per second.
func TestLogRateLimit(t *testing.T) {
	lg := &testLog{}
	ts := startServer(t, "unix", Options{Logger: newSlog(lg)}, echoSetup)
	c := ts.dial(t)
	reply := protocol.Header{Program: remote, Version: 1, Procedure: 1, Type: protocol.TypeReply}
	var batch []byte
	for range 5000 {
		batch = append(batch, frame(reply, nil)...)
	}
	start := time.Now()
	c.write(batch)
	c.roundTrip(1)
	elapsed := time.Since(start)
	n := lg.count("dropped a frame a client should not send")
	limit := DefaultLogRate * (1 + int(elapsed/time.Second) + 1)
	t.Logf("5000 dropped frames in %v: %d log lines, %d suppressed", elapsed, n, ts.Stats().LogSuppressed)
	if n == 0 || n > limit {
		t.Errorf("%d log lines for 5000 frames in %v, want 1..%d", n, elapsed, limit)
	}
	if s := ts.Stats(); s.FramesDropped != 5000 || s.LogSuppressed == 0 {
		t.Errorf("FramesDropped %d LogSuppressed %d", s.FramesDropped, s.LogSuppressed)
	}
}

// TestHeapPerIdleConnection covers RELIABILITY test 46: the server's heap
// per idle connection that has made a call (its frame buffer allocated)
// stays at most 32 KiB.
func TestHeapPerIdleConnection(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{MaxAnonymousClients: -1}, echoSetup)
			clients := make([]*rawClient, 0, n)
			heap := func() uint64 {
				var m runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m)
				return m.HeapInuse
			}
			// The figure includes the client side of each connection (a
			// few hundred bytes), so it overestimates the server's share.
			var st0 runtime.MemStats
			before := heap()
			runtime.ReadMemStats(&st0)
			for range n {
				clients = append(clients, ts.dial(t))
			}
			waitFor(t, "all connections", func() bool { return ts.Stats().Connections == int64(n) })
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c.write(frame(callHeader(echoProc, uint32(i)), nil))
					c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
					var buf [28]byte
					if _, err := c.nc.Read(buf[:]); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			after := heap()
			per := (int64(after) - int64(before)) / int64(n)
			var st runtime.MemStats
			runtime.ReadMemStats(&st)
			t.Logf("%s: heap in use %d → %d bytes over %d idle connections: %d bytes each; stacks %d bytes each; %d goroutines",
				network, before, after, n, per, (int64(st.StackInuse)-int64(st0.StackInuse))/int64(n), runtime.NumGoroutine())
			if per > 32<<10 {
				t.Errorf("%d bytes of heap per idle connection, want ≤ 32 KiB", per)
			}
		})
	}
}
