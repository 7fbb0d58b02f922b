package server

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Server is a libvirt RPC server: it accepts connections on any number of
// listeners, reads frames on one goroutine per connection, and dispatches
// calls by (program, version, procedure) to the handlers registered with
// Handle, at most Options.MaxClientRequests at a time per connection.
// Everything the handlers do not answer is answered as libvirtd 9.0 answers
// it (FACTS §1, §3); see docs/server.md.
//
// A Server is safe for concurrent use. Handlers may be registered or
// replaced while it serves.
type Server struct {
	opts  Options
	epoch time.Time // base of the monotonic timestamps in Conn

	hmu      sync.Mutex // serialises Handle
	handlers atomic.Pointer[handlerTable]

	clientSlots chan struct{} // one token per connection (or Accept in progress)
	anonSlots   chan struct{} // one token per anonymous connection; nil if unlimited

	mu        sync.Mutex
	closing   bool
	done      chan struct{} // closed when Shutdown or Close starts
	listeners map[net.Listener]struct{}
	conns     map[*Conn]struct{}
	wg        sync.WaitGroup // one per connection goroutine

	work    chan task      // hands a call to an idle worker (workers.go)
	workers sync.WaitGroup // one per worker goroutine

	nextID atomic.Uint64
	st     stats
}

// New returns a Server with the given options; zero fields take libvirtd's
// defaults (see Options).
func New(opts Options) *Server {
	s := &Server{
		opts:      opts.withDefaults(),
		epoch:     time.Now(),
		done:      make(chan struct{}),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*Conn]struct{}),
		work:      make(chan task),
	}
	s.clientSlots = make(chan struct{}, s.opts.MaxClients)
	if s.opts.MaxAnonymousClients > 0 {
		s.anonSlots = make(chan struct{}, s.opts.MaxAnonymousClients)
	}
	s.handlers.Store(&handlerTable{})
	return s
}

// Options returns the options in effect, defaults filled in.
func (s *Server) Options() Options { return s.opts }

// Stats returns a snapshot of the server's counters and gauges.
func (s *Server) Stats() Stats { return s.st.snapshot() }

// now returns the monotonic time since the server was created.
func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

type procKey struct {
	prog protocol.Program
	vers uint32
	proc protocol.Procedure
}

type progKey struct {
	prog protocol.Program
	vers uint32
}

// handlerTable is immutable once published; Handle copies it.
type handlerTable struct {
	procs map[procKey]Handler
	progs map[progKey]struct{}
}

func (t *handlerTable) program(prog protocol.Program, vers uint32) bool {
	_, ok := t.progs[progKey{prog, vers}]
	return ok
}

// Handle registers h for procedure proc of program prog, version vers,
// replacing any handler registered before. Registering a procedure makes its
// program and version known: a CALL to another procedure of that program
// gets "unknown procedure: N", a CALL to a program nothing was registered for
// gets "Cannot find program P version V" (FACTS §3).
//
// KEEPALIVE_PROGRAM is handled by the server itself and cannot be
// registered; Handle panics for it or for a nil handler, as it would for any
// programming error.
func (s *Server) Handle(prog protocol.Program, vers uint32, proc protocol.Procedure, h Handler) {
	if h == nil {
		panic("server: Handle with a nil handler")
	}
	s.update(prog, vers, func(t *handlerTable) { t.procs[procKey{prog, vers, proc}] = h })
}

// HandleProgram makes program prog, version vers known without registering
// any procedure: every CALL to it gets "unknown procedure: N", as from a
// daemon that has the program but none of the procedures.
func (s *Server) HandleProgram(prog protocol.Program, vers uint32) {
	s.update(prog, vers, func(*handlerTable) {})
}

func (s *Server) update(prog protocol.Program, vers uint32, f func(*handlerTable)) {
	if prog == protocol.ProgramKeepalive {
		panic("server: KEEPALIVE_PROGRAM is handled by the server")
	}
	s.hmu.Lock()
	defer s.hmu.Unlock()
	old := s.handlers.Load()
	t := &handlerTable{
		procs: make(map[procKey]Handler, len(old.procs)+1),
		progs: make(map[progKey]struct{}, len(old.progs)+1),
	}
	for k, v := range old.procs {
		t.procs[k] = v
	}
	for k := range old.progs {
		t.progs[k] = struct{}{}
	}
	t.progs[progKey{prog, vers}] = struct{}{}
	f(t)
	s.handlers.Store(t)
}

// Serve accepts connections on ln and serves each on its own goroutines. It
// blocks until Shutdown or Close, then returns ErrServerClosed, or until
// Accept fails permanently, then returns that error. Transient accept
// failures (out of file descriptors) are retried with a backoff.
//
// Listeners made by ListenUnix, ListenTCP, ListenTLS and TLSListener carry
// their transport settings (read-only, TLS); any other net.Listener is served
// as a plain read-write stream, with the peer uid check applied to unix
// connections. Serve may be called for several listeners at once; Shutdown
// and Close close them all.
func (s *Server) Serve(ln net.Listener) error {
	if !s.trackListener(ln, true) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.trackListener(ln, false)
	meta, _ := ln.(*listener)
	var backoff time.Duration
	for {
		if !s.acquire(s.clientSlots) {
			return ErrServerClosed
		}
		if s.anonSlots != nil && !s.acquire(s.anonSlots) {
			<-s.clientSlots
			return ErrServerClosed
		}
		nc, err := ln.Accept()
		if err != nil {
			if s.anonSlots != nil {
				<-s.anonSlots
			}
			<-s.clientSlots
			if s.isClosing() {
				return ErrServerClosed
			}
			if !temporaryAcceptError(err) {
				return err
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.opts.Logger.Warn("accept failed; retrying", "err", err, "delay", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		c := newConn(s, nc, meta)
		if !s.addConn(c) {
			nc.Close()
			if s.anonSlots != nil {
				<-s.anonSlots
			}
			<-s.clientSlots
			return ErrServerClosed
		}
		go c.serve()
	}
}

func temporaryAcceptError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED, syscall.EINTR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// acquire takes a token from a semaphore channel, or gives up when the
// server closes.
func (s *Server) acquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-s.done:
		return false
	}
}

func (s *Server) isClosing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

func (s *Server) trackListener(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing {
			return false
		}
		s.listeners[ln] = struct{}{}
	} else {
		delete(s.listeners, ln)
	}
	return true
}

func (s *Server) addConn(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.st.connections.Add(1)
	s.st.anonymous.Add(1)
	s.st.accepted.Add(1)
	return true
}

// removeConn forgets a finished connection: the gauge first, then its
// slots, so Stats.Connections never exceeds MaxClients.
func (s *Server) removeConn(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.st.connections.Add(-1)
	c.releaseSlots()
	s.wg.Done()
}

// Conns returns the open connections, in no particular order.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	return cs
}

// beginClose stops accepting: it marks the server closing and closes every
// listener, so each Serve returns ErrServerClosed.
func (s *Server) beginClose() []*Conn {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		close(s.done)
	}
	lns := make([]net.Listener, 0, len(s.listeners))
	for ln := range s.listeners {
		lns = append(lns, ln)
	}
	cs := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		cs = append(cs, c)
	}
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	return cs
}

// Shutdown stops the server gracefully: it closes the listeners, stops
// reading from every connection, lets the calls in flight finish and their
// replies go out, then closes the connections. If ctx ends first, the
// remaining connections are closed at once (their handlers' contexts are
// cancelled) and Shutdown returns ctx.Err() once every connection goroutine
// has returned. No goroutine of the server survives Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	for _, c := range s.beginClose() {
		c.drain()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		s.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.CloseClientConnections()
		<-done
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once, cancels the
// handlers' contexts, and waits for every connection goroutine (handlers
// included) to return.
func (s *Server) Close() error {
	s.beginClose()
	s.CloseClientConnections()
	s.wg.Wait()
	s.workers.Wait()
	return nil
}

// CloseClientConnections closes every open connection abruptly, as a network
// failure would, without stopping the server: for fault tests.
func (s *Server) CloseClientConnections() {
	for _, c := range s.Conns() {
		c.closeWith(ErrConnClosed)
	}
}
