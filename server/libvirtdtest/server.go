package libvirtdtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// Server is a running fake libvirtd. Its fields are set by Start and must
// not be changed.
type Server struct {
	// URI opens the first node given in the options, through Socket:
	// test+unix:///abs/node.xml?socket=/tmp/vwt-…/sock. Without a node it is
	// DefaultURI. virsh -c, python's libvirt.open and virtwire's client.Dial
	// all take it; go-libvirt dials Socket and opens Host.Name().
	URI string
	// DefaultURI opens test:///default through Socket, or is "" with
	// NoDefault.
	DefaultURI string
	// Dir is the server's private directory (mode 0700), removed by Close.
	Dir string
	// Socket is the read-write unix socket, mode 0600.
	Socket string
	// ROSocket is the read-only unix socket (libvirt-sock-ro), mode 0600:
	// every write procedure is refused on it.
	ROSocket string
	// TCPAddr is "127.0.0.1:PORT" with TCP, or "".
	TCPAddr string
	// TLSAddr is "127.0.0.1:PORT" with TLS, or "".
	TLSAddr string
	// PKIDir is the client's pkipath directory with TLS (cacert.pem,
	// clientcert.pem, clientkey.pem), or "".
	PKIDir string
	// PKI is the generated CA and certificates with TLS, or nil.
	PKI *pki.PKI
	// Driver is the fake hypervisor, serving every node.
	Driver *testdriver.Driver
	// Host is the node behind URI.
	Host *testdriver.Host
	// RPC is the RPC server the driver's handlers are registered on. It
	// runs REMOTE_PROGRAM calls on the connection's reader goroutine
	// (server.Options.Inline) unless the procedure has a Delay fault or a
	// Handle override: install a handler that may wait with Handle, not
	// with RPC.Handle.
	RPC *server.Server

	t   testing.TB
	cfg config

	mu      sync.Mutex
	started bool
	closed  bool
	base    map[protocol.Procedure]server.Handler
	faults  map[protocol.Procedure]*Fault
	wrapped map[protocol.Procedure]bool
	// custom marks the procedures given a handler with Handle; mayBlock
	// turns true at the first Handle or Delay fault and stays so (inline).
	custom   map[protocol.Procedure]bool
	mayBlock atomic.Bool
	serveErr []error
	wg       sync.WaitGroup
}

// NewServer starts a fake libvirtd for the duration of t: see
// NewUnstartedServer and Start. t.Cleanup closes it.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewUnstartedServer(t, opts...)
	s.Start()
	return s
}

// NewUnstartedServer prepares a fake libvirtd: its nodes are loaded and its
// Driver can be changed, but nothing listens until Start or StartTLS.
// Errors in the options (a node file libvirt would refuse) fail t.
func NewUnstartedServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(t, opts)
	if err != nil {
		t.Fatalf("libvirtdtest: %v", err)
	}
	return s
}

// Launch starts a fake libvirtd outside a test (a command, an example, a
// TestMain): NewServer without a testing.TB. The caller must Close it.
func Launch(opts ...Option) (*Server, error) {
	s, err := newServer(nil, opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newServer(t testing.TB, opts []Option) (*Server, error) {
	s := &Server{t: t, Driver: testdriver.NewDriver(), base: map[protocol.Procedure]server.Handler{},
		faults: map[protocol.Procedure]*Fault{}, wrapped: map[protocol.Procedure]bool{}, custom: map[protocol.Procedure]bool{}}
	for _, o := range opts {
		o(&s.cfg)
	}
	// A short directory: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "vwt-")
	if err != nil {
		return nil, err
	}
	s.Dir = dir
	if t != nil {
		t.Cleanup(s.Close)
	}
	fail := func(err error) (*Server, error) {
		if t == nil {
			s.Close()
		}
		return nil, err
	}
	if s.cfg.hostname != nil {
		s.Driver.SetHostname(*s.cfg.hostname)
	}
	for i, spec := range s.cfg.nodes {
		h, err := s.serveNode(i, spec)
		if err != nil {
			return fail(err)
		}
		if s.Host == nil {
			s.Host = h
		}
	}
	if !s.cfg.noDefault {
		h, err := s.Driver.Serve(testdriver.DefaultName, testdriver.Default())
		if err != nil {
			return fail(err)
		}
		if s.Host == nil {
			s.Host = h
		}
	}
	if s.Host == nil {
		return fail(errors.New("no node to serve (NoDefault and no node option)"))
	}
	o := server.Options{Inline: s.inline}
	for _, f := range s.cfg.opts {
		f(&o)
	}
	s.RPC = server.New(o)
	for p, h := range s.Driver.Handlers() {
		s.base[p] = h
		s.register(p)
	}
	return s, nil
}

func (s *Server) serveNode(i int, spec nodeSpec) (*testdriver.Host, error) {
	name := spec.name
	n := spec.node
	var err error
	switch {
	case spec.path != "":
		abs, aerr := filepath.Abs(spec.path)
		if aerr != nil {
			return nil, aerr
		}
		if n, err = testdriver.LoadNodeXML(abs); err != nil {
			return nil, err
		}
		if name == "" {
			name = "test://" + abs
		}
	case spec.data != nil:
		p := filepath.Join(s.Dir, fmt.Sprintf("node%d.xml", i))
		if err := os.WriteFile(p, spec.data, 0o600); err != nil {
			return nil, err
		}
		if n, err = testdriver.ParseNodeXML(spec.data, nil); err != nil {
			return nil, err
		}
		if name == "" {
			name = "test://" + p
		}
	case n == nil:
		return nil, errors.New("a node option without a node")
	default:
		if name == "" {
			name = "test://" + filepath.Join(s.Dir, fmt.Sprintf("node%d.xml", i))
		}
	}
	return s.Driver.Serve(name, n)
}

// Start starts listening on the unix sockets, and on TCP and TLS if the
// options ask for them, and fills in the addresses and URIs. It fails the
// test on error, and panics if the server was started already.
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("libvirtdtest: %v", err)
	}
}

// StartTLS is Start with a TLS listener, as if the TLS option were given.
func (s *Server) StartTLS() {
	s.t.Helper()
	s.cfg.tls = true
	s.Start()
}

func (s *Server) start() error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		panic("libvirtdtest: Server already started")
	}
	s.started = true
	s.mu.Unlock()

	s.Socket = filepath.Join(s.Dir, "sock")
	s.ROSocket = filepath.Join(s.Dir, "sock-ro")
	if _, err := s.listen(s.RPC.ListenUnix(s.Socket, 0o600, false)); err != nil {
		return err
	}
	if _, err := s.listen(s.RPC.ListenUnix(s.ROSocket, 0o600, true)); err != nil {
		return err
	}
	if s.cfg.tcp {
		addr, err := s.listen(s.RPC.ListenTCP("127.0.0.1:0"))
		if err != nil {
			return err
		}
		s.TCPAddr = addr
	}
	if s.cfg.tls {
		var err error
		if s.PKI, err = pki.Generate(); err != nil {
			return err
		}
		srvFiles, err := s.PKI.WriteServerDir(filepath.Join(s.Dir, "pki-server"))
		if err != nil {
			return err
		}
		cl, err := s.PKI.WriteClientDir(filepath.Join(s.Dir, "pki"))
		if err != nil {
			return err
		}
		s.PKIDir = cl.Dir
		addr, err := s.listen(s.RPC.ListenTLS("127.0.0.1:0", server.TLSConfig{Dir: srvFiles.Dir}))
		if err != nil {
			return err
		}
		s.TLSAddr = addr
	}
	if !s.cfg.noDefault {
		s.DefaultURI = s.NodeURI(testdriver.DefaultName)
	}
	s.URI = s.NodeURI(s.Host.Name())
	return nil
}

// listen serves ln and returns its address.
func (s *Server) listen(ln net.Listener, err error) (string, error) {
	if err != nil {
		return "", err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.RPC.Serve(ln); err != nil && !errors.Is(err, server.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = append(s.serveErr, err)
			s.mu.Unlock()
		}
	}()
	return ln.Addr().String(), nil
}

// nodePath is the path part of a CONNECT_OPEN name.
func nodePath(name string) string { return strings.TrimPrefix(name, "test://") }

// NodeURI returns the URI that opens the node served under name through
// Socket: test+unix://<path>?socket=<Socket>.
func (s *Server) NodeURI(name string) string {
	return (&url.URL{Scheme: "test+unix", Path: nodePath(name), RawQuery: "socket=" + s.Socket}).String()
}

// ROURI is URI through the read-only socket. Clients should still open it
// read-only (virsh -r, openReadOnly), as with libvirtd's -ro socket.
func (s *Server) ROURI() string {
	return (&url.URL{Scheme: "test+unix", Path: nodePath(s.Host.Name()), RawQuery: "socket=" + s.ROSocket}).String()
}

// TCPURI returns test+tcp://127.0.0.1:PORT/<node path> for the node behind
// URI, or "" without the TCP option.
func (s *Server) TCPURI() string {
	if s.TCPAddr == "" {
		return ""
	}
	return (&url.URL{Scheme: "test+tcp", Host: s.TCPAddr, Path: nodePath(s.Host.Name())}).String()
}

// TLSURI returns test+tls://localhost:PORT/<node path>?pkipath=<PKIDir>,
// the name the server certificate carries, or "" without TLS.
func (s *Server) TLSURI() string {
	if s.TLSAddr == "" {
		return ""
	}
	_, port, _ := net.SplitHostPort(s.TLSAddr)
	return (&url.URL{Scheme: "test+tls", Host: "localhost:" + port, Path: nodePath(s.Host.Name()),
		RawQuery: "pkipath=" + s.PKIDir}).String()
}

// CloseClientConnections closes every client connection abruptly, as a
// crashing daemon would, without stopping the server.
func (s *Server) CloseClientConnections() { s.RPC.CloseClientConnections() }

// Close stops the server: it closes the listeners and every connection,
// waits for every goroutine of the server and the driver, and removes Dir.
// It is safe to call more than once; t.Cleanup calls it.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	if s.RPC != nil {
		s.RPC.Close()
	}
	s.wg.Wait()
	s.Driver.Close()
	os.RemoveAll(s.Dir)
	s.mu.Lock()
	errs := s.serveErr
	s.mu.Unlock()
	for _, err := range errs {
		if s.t != nil {
			s.t.Errorf("libvirtdtest: serve: %v", err)
		}
	}
}

// Shutdown stops the server gracefully: calls in flight finish and their
// replies go out before the connections close. Then it does what Close does.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.RPC.Shutdown(ctx)
	s.Close()
	return err
}
