package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Transport is the kind of socket a connection arrived on.
type Transport int

// Transports.
const (
	TransportUnix Transport = iota + 1 // a unix socket
	TransportTCP                       // plain TCP
	TransportTLS                       // TCP (or any stream) with TLS
)

// String returns "unix", "tcp", "tls" or the number.
func (t Transport) String() string {
	switch t {
	case TransportUnix:
		return "unix"
	case TransportTCP:
		return "tcp"
	case TransportTLS:
		return "tls"
	}
	return fmt.Sprintf("Transport(%d)", int(t))
}

// PeerCred is the identity of a unix-socket peer as the kernel reports it
// (SO_PEERCRED), never as the client claims it (RELIABILITY L5, CVE-2013-4311).
type PeerCred struct {
	UID uint32
	GID uint32
	PID int32
}

// Conn is one client connection. Handlers receive it in Call.Conn; it
// carries the per-connection state a libvirt server needs: the read-only
// flag, an opaque session value, the peer's identity, and the means to send
// events and run keepalive.
//
// All methods are safe for concurrent use.
type Conn struct {
	srv       *Server
	id        uint64
	nc        net.Conn // the transport: a *tls.Conn for TLS; set before writes start
	raw       net.Conn // the socket under nc
	transport Transport
	unix      bool      // the socket is a unix socket (TLS may run over it)
	lst       *listener // nil for a listener not made by the server

	ctx    context.Context
	cancel context.CancelCauseFunc

	readOnly atomic.Bool
	opened   atomic.Bool
	anonHeld atomic.Bool // holds one of the server's anonymous slots
	draining atomic.Bool // graceful shutdown: read no more frames

	wlock chan struct{} // one writer at a time
	sem   chan struct{} // calls in flight, capacity MaxClientRequests

	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	lastRecv    atomic.Int64 // Server.now() of the last inbound frame

	cred    PeerCred
	hasCred bool
	tlsCS   *tls.ConnectionState
	dn      string

	mu        sync.Mutex
	value     any
	reading   bool // past setup, in the read loop
	finishing bool // the reader is waiting for workers: no more wg.Add
	connected bool // OnConnect accepted the connection
	kaStop    chan struct{}
	wg        sync.WaitGroup // workers and the keepalive goroutine

	closeOnce sync.Once
	log       logLimiter
}

func newConn(s *Server, nc net.Conn, l *listener) *Conn {
	c := &Conn{
		srv:   s,
		lst:   l,
		id:    s.nextID.Add(1),
		nc:    nc,
		raw:   nc,
		wlock: make(chan struct{}, 1),
		sem:   make(chan struct{}, s.opts.MaxClientRequests),
	}
	c.wlock <- struct{}{} // held until the transport is ready (TLS handshake done)
	c.anonHeld.Store(s.anonSlots != nil)
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	switch {
	case l != nil:
		c.transport = l.transport
		c.readOnly.Store(l.readOnly)
	case isUnix(nc):
		c.transport = TransportUnix
	default:
		c.transport = TransportTCP
	}
	if c.unix = isUnix(nc); c.unix {
		if cred, err := peerCred(nc); err == nil {
			c.cred, c.hasCred = cred, true
		}
	}
	c.lastRecv.Store(s.now())
	c.log.init(s)
	return c
}

func isUnix(nc net.Conn) bool {
	_, ok := nc.(*net.UnixConn)
	return ok
}

// ID returns the connection's number, unique within the server, starting at 1.
func (c *Conn) ID() uint64 { return c.id }

// Server returns the server the connection belongs to.
func (c *Conn) Server() *Server { return c.srv }

// Transport returns the kind of socket the connection arrived on.
func (c *Conn) Transport() Transport { return c.transport }

// RemoteAddr returns the peer's address (for a unix socket usually empty).
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// LocalAddr returns the address of the listener the connection arrived on.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// ReadOnly reports whether the connection is read-only: it arrived on a
// read-only listener, or SetReadOnly was called. It can never go back to
// read-write (RELIABILITY tests 27, 59).
func (c *Conn) ReadOnly() bool { return c.readOnly.Load() }

// SetReadOnly makes the connection read-only for the rest of its life, as
// CONNECT_OPEN with VIR_CONNECT_RO does. There is no way to clear it.
func (c *Conn) SetReadOnly() { c.readOnly.Store(true) }

// Opened reports whether SetOpened was called.
func (c *Conn) Opened() bool { return c.opened.Load() }

// SetOpened marks the connection as no longer anonymous: the fake libvirtd
// calls it when CONNECT_OPEN succeeds. It frees the connection's slot of
// Options.MaxAnonymousClients. Calling it again does nothing.
func (c *Conn) SetOpened() {
	if c.opened.Swap(true) {
		return
	}
	c.releaseAnon()
}

func (c *Conn) releaseAnon() {
	if c.anonHeld.Swap(false) {
		<-c.srv.anonSlots
	}
	c.srv.st.anonymous.Add(-1)
}

func (c *Conn) releaseSlots() {
	if !c.opened.Swap(true) {
		c.releaseAnon()
	}
	<-c.srv.clientSlots
}

// Value returns the value stored with SetValue, or nil.
func (c *Conn) Value() any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.value
}

// SetValue stores v with the connection: the session state of whoever
// handles its calls (the fake libvirtd keeps its open hypervisor there).
func (c *Conn) SetValue(v any) {
	c.mu.Lock()
	c.value = v
	c.mu.Unlock()
}

// PeerCred returns the peer's uid, gid and pid from SO_PEERCRED. ok is false
// for connections that are not over unix sockets, or where the system does
// not report them.
func (c *Conn) PeerCred() (cred PeerCred, ok bool) { return c.cred, c.hasCred }

// TLSState returns the TLS connection state, or nil for a connection without
// TLS. It is set once the handshake and certificate checks have passed.
func (c *Conn) TLSState() *tls.ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tlsCS
}

// ClientDN returns the distinguished name of the TLS client certificate,
// written as libvirt writes it for tls_allowed_dn_list (RDNs in certificate
// order: "C=UK,CN=libvirt"), or "" without TLS.
func (c *Conn) ClientDN() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dn
}

// Context returns a context that is cancelled when the connection ends, with
// the reason as its cause (context.Cause): ErrConnClosed for a normal close,
// ErrKeepaliveTimeout, ErrProtocol, ErrWriteTimeout, ErrPeerRejected, or the
// read error. Handlers receive it as their ctx; register per-connection
// cleanup (event callbacks) with context.AfterFunc on it.
func (c *Conn) Context() context.Context { return c.ctx }

// InFlight returns the number of calls of this connection that are being
// handled or whose reply is being written.
func (c *Conn) InFlight() int { return int(c.inFlight.Load()) }

// MaxInFlight returns the most calls this connection ever had in flight. It
// never exceeds Options.MaxClientRequests (test 29).
func (c *Conn) MaxInFlight() int { return int(c.maxInFlight.Load()) }

// Close closes the connection at once: the socket is closed, handlers'
// contexts are cancelled, and replies not yet written are dropped. It does
// not wait for the handlers (it may be called from one); Server.Close and
// Shutdown do. Closing twice does nothing.
func (c *Conn) Close() error {
	c.closeWith(ErrConnClosed)
	return nil
}

// closeWith closes the connection once, recording why.
func (c *Conn) closeWith(cause error) {
	c.closeOnce.Do(func() {
		c.cancel(cause)
		c.raw.Close() // the socket itself: no TLS close_notify that could block
	})
}

func (c *Conn) closed() bool { return c.ctx.Err() != nil }

// Send writes one frame with header h and payload msg (nil for an empty
// payload) to the client: an event (type MESSAGE; libvirtd gives events
// serial 1, FACTS S1) or any other frame the caller builds. It blocks until
// the frame is written, ctx ends, or the connection closes (ErrConnClosed).
// ctx bounds the wait for the connection's writer; once a frame has started
// it is written whole, or the connection is closed, so the stream never
// carries half a frame. A client that does not read is closed after
// Options.WriteTimeout.
func (c *Conn) Send(ctx context.Context, h protocol.Header, msg protocol.Message) error {
	if c.closed() {
		return ErrConnClosed
	}
	bp := getBuf()
	defer putBuf(bp)
	b, err := protocol.AppendFrame((*bp)[:0], &h, msg)
	if err != nil {
		return err
	}
	*bp = b
	return c.write(ctx, b)
}

// write writes b under the write lock. A write that makes no progress for
// WriteTimeout closes the connection.
func (c *Conn) write(ctx context.Context, b []byte) error {
	select {
	case c.wlock <- struct{}{}:
	case <-c.ctx.Done():
		return ErrConnClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.wlock }()
	if c.closed() {
		return ErrConnClosed
	}
	wt := c.srv.opts.WriteTimeout
	for len(b) > 0 {
		chunk := b
		if wt > 0 {
			// A deadline per chunk: a slow reader that keeps reading is
			// not a client that never reads.
			chunk = b[:min(len(b), writeChunk)]
			c.raw.SetWriteDeadline(time.Now().Add(wt))
		}
		n, err := c.nc.Write(chunk)
		b = b[n:]
		if err != nil {
			if isTimeout(err) {
				c.srv.st.writeTimeouts.Add(1)
				c.logf(slog.LevelWarn, "client did not read for the write timeout; closing", "timeout", wt)
				c.closeWith(ErrWriteTimeout)
			} else {
				c.closeWith(ErrConnClosed)
			}
			return ErrConnClosed
		}
	}
	return nil
}

const writeChunk = 256 << 10

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// drain starts a graceful close: no new frame is read, calls in flight
// finish, then the connection closes.
func (c *Conn) drain() {
	c.draining.Store(true)
	c.mu.Lock()
	reading := c.reading
	c.mu.Unlock()
	if !reading {
		// Still in setup (TLS handshake): nothing in flight, close now.
		c.closeWith(ErrServerClosed)
		return
	}
	// Wake the reader; connReader refuses further reads.
	c.raw.SetReadDeadline(time.Unix(1, 0))
}

// connReader is what the FrameReader reads from: the transport, unless the
// connection is draining.
type connReader struct{ c *Conn }

var errDraining = errors.New("server: draining")

func (r connReader) Read(p []byte) (int, error) {
	if r.c.draining.Load() {
		return 0, errDraining
	}
	return r.c.nc.Read(p)
}

func (r connReader) SetReadDeadline(t time.Time) error {
	if r.c.draining.Load() {
		return nil // keep the deadline drain set
	}
	return r.c.nc.SetReadDeadline(t)
}

// serve runs the connection: setup, then the read loop, then cleanup.
func (c *Conn) serve() {
	defer c.finish()
	if !c.setup() {
		return
	}
	c.readLoop()
}

// setup checks the peer and runs the TLS handshake and OnConnect.
func (c *Conn) setup() bool {
	s := c.srv
	if c.unix {
		if !s.opts.AllowAnyUID && !c.uidAllowed() {
			s.st.rejected.Add(1)
			if c.hasCred {
				c.logf(slog.LevelWarn, "peer uid not allowed; closing", "uid", c.cred.UID, "pid", c.cred.PID)
			} else {
				c.logf(slog.LevelWarn, "peer credentials unavailable; closing")
			}
			c.closeWith(ErrPeerRejected)
			return false
		}
	}
	if l, ok := c.listenerTLS(); ok {
		if !c.tlsSetup(l) {
			s.st.rejected.Add(1)
			return false
		}
	}
	<-c.wlock // the transport is ready: writes may start
	if s.opts.OnConnect != nil {
		if err := s.opts.OnConnect(c); err != nil {
			s.st.rejected.Add(1)
			c.logf(slog.LevelInfo, "connection refused by OnConnect", "err", err)
			c.closeWith(ErrPeerRejected)
			return false
		}
	}
	c.mu.Lock()
	c.connected = true
	c.reading = !c.draining.Load()
	ok := c.reading
	c.mu.Unlock()
	return ok && !c.closed()
}

func (c *Conn) uidAllowed() bool {
	if !c.hasCred {
		return false
	}
	for _, uid := range c.srv.opts.AllowedUIDs {
		if uid == c.cred.UID {
			return true
		}
	}
	return false
}

// readLoop reads frames until the connection ends. Before each frame it takes
// a slot of c.sem, so with MaxClientRequests calls in flight it stops reading
// the socket until a reply has gone out (libvirtd's back-pressure, L9).
func (c *Conn) readLoop() {
	fr := protocol.NewFrameReader(connReader{c})
	if ft := c.srv.opts.FrameTimeout; ft > 0 {
		fr.FrameTimeout = ft
	}
	var f protocol.Frame // one per connection: handleFrame's pointers into it must not escape per frame
	for {
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		var err error
		f, err = fr.ReadFrame()
		if err != nil {
			<-c.sem
			c.readFailed(err)
			return
		}
		c.lastRecv.Store(c.srv.now())
		c.srv.st.frames.Add(1)
		if !c.handleFrame(&f) {
			<-c.sem
		}
	}
}

// readFailed closes the connection after a read error, logging libvirt's
// text for a bad length word (FACTS §1).
func (c *Conn) readFailed(err error) {
	s := c.srv
	var fe *protocol.FrameError
	var te *protocol.FrameTimeoutError
	switch {
	case errors.Is(err, errDraining) || (c.draining.Load() && isTimeout(err)):
		return // graceful shutdown: finish closes after the workers
	case errors.As(err, &fe):
		s.st.badFrames.Add(1)
		c.logf(slog.LevelError, lengthErrorText(fe.Length), "length", fe.Length)
		c.closeWith(fmt.Errorf("%w: %w", ErrProtocol, err))
	case errors.As(err, &te):
		s.st.frameTimeouts.Add(1)
		c.logf(slog.LevelWarn, "frame not complete within the frame timeout; closing", "timeout", te.Timeout, "received", te.Received)
		c.closeWith(fmt.Errorf("%w: %w", ErrProtocol, err))
	case errors.Is(err, io.EOF), c.closed():
		c.closeWith(ErrConnClosed)
	case errors.Is(err, io.ErrUnexpectedEOF):
		c.logf(slog.LevelInfo, "connection closed inside a frame")
		c.closeWith(ErrConnClosed)
	default:
		if !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
			c.logf(slog.LevelInfo, "read failed", "err", err)
		}
		c.closeWith(err)
	}
}

// lengthErrorText is what libvirtd logs for a length word it refuses
// (virnetmessage.c, virnetserverclient.c; FACTS §1). The texts say "from
// server" on the server side too: the code is shared.
func lengthErrorText(n uint32) string {
	switch {
	case n > protocol.FrameMax:
		return fmt.Sprintf("packet %d bytes received from server too large, want %d", n-protocol.LengthWordSize, protocol.MessageMax)
	case n == 0 || n == protocol.LengthWordSize:
		return "unexpected zero/negative length request 0"
	case n < protocol.LengthWordSize:
		return fmt.Sprintf("packet %d bytes received from server too small, want %d", n, protocol.LengthWordSize)
	default:
		return "Unable to decode message header"
	}
}

// handleFrame acts on one frame. It reports whether runCall took over the
// frame's slot of c.sem (on a worker, or here for an inline call).
func (c *Conn) handleFrame(f *protocol.Frame) bool {
	s := c.srv
	h := &f.Header
	if h.Program == protocol.ProgramKeepalive && h.Version == protocol.KeepaliveVersion && h.Type == protocol.TypeMessage {
		// virKeepAliveCheckMessage: PING gets a PONG whether or not
		// keepalive was started (d14); PONG and unknown procedures are
		// ignored.
		if h.Procedure == protocol.KeepaliveProcPing {
			if c.write(c.ctx, pongFrame) == nil {
				s.st.pongsSent.Add(1)
			}
		}
		return false
	}
	switch h.Type {
	case protocol.TypeCall:
	case protocol.TypeCallWithFDs:
		// libvirtd would read a file-descriptor count and receive the
		// descriptors with SCM_RIGHTS; fd passing is not supported here,
		// and the stream cannot be resynchronised, so the connection ends.
		c.logf(slog.LevelWarn, "CALL_WITH_FDS is not supported; closing", "header", h.String())
		c.closeWith(fmt.Errorf("%w: fd passing not supported", ErrProtocol))
		return false
	default:
		// REPLY, MESSAGE, STREAM, STREAM_HOLE or an unknown type from a
		// client: dropped, the connection stays (d12, d34, d35).
		s.st.framesDropped.Add(1)
		if ok, sup := c.logAllowed(slog.LevelDebug); ok {
			c.logEmit(slog.LevelDebug, sup, "dropped a frame a client should not send", "header", h.String())
		}
		return false
	}
	t := s.handlers.Load()
	var msg [64]byte
	if !t.program(h.Program, h.Version) {
		c.replyRPCError(h, appendCannotFindProgram(msg[:0], h))
		return false
	}
	if h.Status != protocol.StatusOK {
		c.replyRPCError(h, appendUnexpectedStatus(msg[:0], h))
		return false
	}
	handler := t.procs[procKey{h.Program, h.Version, h.Procedure}]
	if handler == nil {
		c.replyRPCError(h, appendUnknownProcedure(msg[:0], h))
		return false
	}
	if auth := s.opts.Authorize; auth != nil {
		if err := auth(c, h); err != nil {
			c.replyErr(h, err)
			return false
		}
	}
	inline := s.opts.Inline != nil && s.opts.Inline(h)
	call := getCall()
	call.Header, call.Conn = *h, c
	var bp *[]byte
	switch {
	case len(f.Payload) == 0:
	case inline:
		// The frame's buffer is not read into again before the call ends.
		call.Payload = f.Payload
	default:
		bp = getPayload(len(f.Payload))
		copy(*bp, f.Payload)
		call.Payload = *bp
	}
	n := c.inFlight.Add(1)
	storeMax(&c.maxInFlight, n)
	storeMax(&s.st.maxInFlight, n)
	s.st.inFlight.Add(1)
	s.st.calls.Add(1)
	c.wg.Add(1)
	if inline {
		s.st.inlineCalls.Add(1)
		c.runCall(call, handler, nil) // gives the slot back itself
		return true
	}
	s.runTask(task{c: c, call: call, h: handler, bp: bp})
	return true
}

// runCall runs one call on a worker goroutine (runTask) and writes the
// reply; only then does it give back the call's slot, so the reader resumes.
func (c *Conn) runCall(call *Call, h Handler, bp *[]byte) {
	defer c.wg.Done()
	bufp := getBuf()
	defer func() {
		putBuf(bufp)
		if bp != nil {
			putBuf(bp)
		}
		putCall(call)
		c.inFlight.Add(-1)
		c.srv.st.inFlight.Add(-1)
		<-c.sem
	}()
	frame, ok := c.execute(call, h, bufp)
	if !ok {
		return
	}
	if frame != nil {
		*bufp = frame
		c.write(c.ctx, frame)
	}
	for _, f := range call.after {
		f()
	}
}

// execute runs the handler and encodes its reply into *bufp. A panic in the
// handler or in the reply's encoder closes the connection (ok false), as
// net/http does.
func (c *Conn) execute(call *Call, h Handler, bufp *[]byte) (frame []byte, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.st.handlerPanics.Add(1)
			c.srv.opts.Logger.Error("handler panicked; closing the connection",
				"conn", c.id, "header", call.Header.String(), "panic", r, "stack", stack())
			c.closeWith(fmt.Errorf("server: handler panicked: %v", r))
			frame, ok = nil, false
		}
	}()
	ret, err := h(c.ctx, call)
	call.Payload = nil
	return c.encodeReply(&call.Header, ret, err, (*bufp)[:0]), true
}

// encodeReply encodes the reply to the call with header h: OK with ret, an
// error reply, or nothing (nil) for ErrNoReply.
func (c *Conn) encodeReply(h *protocol.Header, ret protocol.Message, err error, b []byte) []byte {
	if err == nil {
		rh := h.Reply(protocol.StatusOK)
		out, eerr := protocol.AppendFrame(b, &rh, ret)
		if eerr == nil {
			return out
		}
		c.logf(slog.LevelError, "reply does not encode; sending an error instead", "header", h.String(), "err", eerr)
		err = EncodeError()
	}
	pe, send := c.replyCause(h, err)
	if !send {
		return nil
	}
	return c.encodeError(h, pe, b)
}

// replyCause maps a handler or Authorize error to the remote_error to send.
func (c *Conn) replyCause(h *protocol.Header, err error) (*protocol.Error, bool) {
	if errors.Is(err, ErrNoReply) {
		return nil, false
	}
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe == nil {
		c.logf(slog.LevelWarn, "handler failed without a libvirt error", "header", h.String(), "err", err)
		pe = GenericError()
	}
	return pe, true
}

func (c *Conn) encodeError(h *protocol.Header, pe *protocol.Error, b []byte) []byte {
	rh := h.Reply(protocol.StatusError)
	out, err := protocol.AppendFrame(b, &rh, pe)
	if err != nil {
		// libvirtd logs "Failed to serialize remote error" and the client
		// gets EOF, no reply: seen with a CONNECT_OPEN name of 4 MiB, whose
		// "no connection driver available for …" exceeds REMOTE_STRING_MAX.
		c.logf(slog.LevelError, "Failed to serialize remote error; closing the connection", "header", h.String(), "err", err)
		c.closeWith(fmt.Errorf("server: error reply does not encode: %w", err))
		return nil
	}
	c.srv.st.errorReplies.Add(1)
	return out
}

// replyError writes an error reply from the reader goroutine.
func (c *Conn) replyError(h *protocol.Header, pe *protocol.Error) {
	bp := getBuf()
	if *bp = c.encodeError(h, pe, (*bp)[:0]); len(*bp) > 0 {
		c.write(c.ctx, *bp)
	}
	putBuf(bp)
}

// replyRPCError writes, from the reader goroutine, the error reply libvirtd's
// RPC layer sends (rpcError(msg)) without building a protocol.Error, so a
// stream of bad calls allocates nothing per call.
func (c *Conn) replyRPCError(h *protocol.Header, msg []byte) {
	bp := getBuf()
	rh := h.Reply(protocol.StatusError)
	*bp = appendRPCErrorFrame(*bp, &rh, msg)
	c.srv.st.errorReplies.Add(1)
	c.write(c.ctx, *bp)
	putBuf(bp)
}

// replyErr writes the reply for an error from Authorize.
func (c *Conn) replyErr(h *protocol.Header, err error) {
	if pe, send := c.replyCause(h, err); send {
		c.replyError(h, pe)
	}
}

// finish runs when the reader has returned: it waits for the calls in
// flight, closes the connection and releases its slots.
func (c *Conn) finish() {
	c.mu.Lock()
	c.finishing = true
	kaStop := c.kaStop
	c.kaStop = nil
	connected := c.connected
	c.mu.Unlock()
	if kaStop != nil {
		close(kaStop)
	}
	c.wg.Wait() // a draining connection's replies go out here
	c.closeWith(ErrConnClosed)
	if connected && c.srv.opts.OnDisconnect != nil {
		c.srv.opts.OnDisconnect(c)
	}
	c.srv.removeConn(c) // last: frees the slots, then Shutdown may return
}

// Keepalive frames: KEEPALIVE_PROGRAM, version 1, type MESSAGE, serial 0,
// status OK, empty payload (FACTS §2).
var (
	pingFrame = keepaliveFrame(protocol.KeepaliveProcPing)
	pongFrame = keepaliveFrame(protocol.KeepaliveProcPong)
)

func keepaliveFrame(proc protocol.Procedure) []byte {
	h := protocol.Header{Program: protocol.ProgramKeepalive, Version: protocol.KeepaliveVersion, Procedure: proc, Type: protocol.TypeMessage}
	b, _ := protocol.AppendFrame(nil, &h, nil)
	return b
}
