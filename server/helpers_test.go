package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Shorthands for headers in tests.
const (
	remote = protocol.ProgramRemote
	v1     = protocol.ProtocolVersion
	// echoProc is the procedure of the echo handler (not a libvirt one).
	echoProc protocol.Procedure = 5000
)

// testLog collects log lines.
type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *testLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.lines = append(l.lines, r.Message)
	l.mu.Unlock()
	return nil
}
func (l *testLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *testLog) WithGroup(string) slog.Handler      { return l }

func (l *testLog) has(msg string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if s == msg {
			return true
		}
	}
	return false
}

func (l *testLog) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if s == msg {
			n++
		}
	}
	return n
}

func (l *testLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitFor polls cond until it holds or the test's patience (5 s) runs out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// dialBacklogged dials the unix socket at addr. A unix socket whose listen
// backlog is full refuses at once with EAGAIN rather than waiting, so it
// retries every millisecond, for up to a second, while that is the answer.
func dialBacklogged(addr string) (net.Conn, error) {
	nc, err := net.DialTimeout("unix", addr, 5*time.Second)
	for tries := 0; errors.Is(err, syscall.EAGAIN) && tries < 1000; tries++ {
		time.Sleep(time.Millisecond)
		nc, err = net.DialTimeout("unix", addr, 5*time.Second)
	}
	return nc, err
}

// testServer is a running server with a log and the address of its
// listener.
type testServer struct {
	*Server
	log     *testLog
	network string
	addr    string
	served  chan error
}

// network names for table tests over both socket kinds.
var networks = []string{"unix", "tcp"}

// startServer starts srv's options on a fresh listener of the given network
// and registers cleanup. setup registers handlers before serving.
func startServer(t testing.TB, network string, opts Options, setup func(*Server)) *testServer {
	t.Helper()
	lg := &testLog{}
	if opts.Logger == nil {
		opts.Logger = slog.New(lg)
	}
	s := New(opts)
	if setup != nil {
		setup(s)
	}
	var ln net.Listener
	var err error
	switch network {
	case "unix":
		ln, err = s.ListenUnix(filepath.Join(t.TempDir(), "sock"), 0o600, false)
	case "tcp":
		ln, err = s.ListenTCP("127.0.0.1:0")
	default:
		t.Fatalf("unknown network %q", network)
	}
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, log: lg, network: network, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { ts.served <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-ts.served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ts
}

// echoSetup registers a handler for echoProc that answers with its payload.
func echoSetup(s *Server) {
	s.Handle(remote, v1, echoProc, func(ctx context.Context, call *Call) (protocol.Message, error) {
		return RawReply(bytes.Clone(call.Payload)), nil
	})
}

// rawClient is a client that speaks raw bytes.
type rawClient struct {
	t  testing.TB
	nc net.Conn
	fr *protocol.FrameReader
}

func (ts *testServer) dial(t testing.TB) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout(ts.network, ts.addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc, fr: protocol.NewFrameReader(nc)}
}

func (c *rawClient) write(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// call sends a frame with header h and payload p.
func (c *rawClient) send(h protocol.Header, p []byte) {
	c.t.Helper()
	c.write(frame(h, p))
}

func frame(h protocol.Header, p []byte) []byte {
	b, err := protocol.AppendFrame(nil, &h, protocol.RawPayload(p))
	if err != nil {
		panic(err)
	}
	return b
}

func callHeader(proc protocol.Procedure, serial uint32) protocol.Header {
	return protocol.Header{Program: remote, Version: v1, Procedure: proc, Type: protocol.TypeCall, Serial: serial}
}

// read reads one frame, failing the test after d.
func (c *rawClient) read(d time.Duration) (protocol.Header, []byte) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	f, err := c.fr.ReadFrame()
	if err != nil {
		c.t.Fatalf("reading a frame: %v", err)
	}
	return f.Header, bytes.Clone(f.Payload)
}

// readErr reads one frame and decodes it as an error reply.
func (c *rawClient) readError() (protocol.Header, *protocol.Error) {
	c.t.Helper()
	h, p := c.read(5 * time.Second)
	if h.Type != protocol.TypeReply || h.Status != protocol.StatusError {
		c.t.Fatalf("got %v, want an error reply", h)
	}
	var e protocol.Error
	if err := e.UnmarshalBinary(p); err != nil {
		c.t.Fatalf("decoding remote_error: %v", err)
	}
	return h, &e
}

// expectClosed checks that the server closes the connection within d,
// sending nothing more.
func (c *rawClient) expectClosed(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	var buf [256]byte
	n, err := io.ReadFull(c.nc, buf[:])
	if n > 0 {
		c.t.Fatalf("got %d more bytes (%x), want EOF", n, buf[:n])
	}
	if !errors.Is(err, io.EOF) && !isReset(err) {
		c.t.Fatalf("read: %v, want EOF", err)
	}
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// expectSilence checks that nothing arrives for d and the connection is
// still open.
func (c *rawClient) expectSilence(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	var buf [1]byte
	n, err := c.nc.Read(buf[:])
	if n > 0 || !isTimeout(err) {
		c.t.Fatalf("read = %d, %v; want silence", n, err)
	}
}

// roundTrip sends an echo call and checks the reply.
func (c *rawClient) roundTrip(serial uint32) {
	c.t.Helper()
	payload := binary.BigEndian.AppendUint32(nil, serial)
	c.send(callHeader(echoProc, serial), payload)
	h, p := c.read(5 * time.Second)
	ch := callHeader(echoProc, serial)
	want := ch.Reply(protocol.StatusOK)
	if h != want || !bytes.Equal(p, payload) {
		c.t.Fatalf("echo serial %d: got %v %x, want %v %x", serial, h, p, want, payload)
	}
}

func newSlog(h slog.Handler) *slog.Logger { return slog.New(h) }
