package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Conn is one open connection to a libvirt daemon: the remote driver's
// virConnect. It is safe for concurrent use by any number of goroutines;
// their calls are multiplexed on the one socket and each reply is matched to
// its call by serial number, since libvirtd answers out of order (FACTS S3).
//
// Whoever holds the connection's read role reads frames, routes replies and
// events and decodes each reply into its caller's ret value (a frame is only
// valid until the next read). A caller waiting for its reply takes the role
// when it is free and reads for itself, so a call costs no hand-off between
// goroutines; the reader goroutine takes the role when no caller has read for
// a moment, so an idle connection still sees PINGs, events and the daemon
// hanging up. A control goroutine answers the server's keepalive PINGs at
// once and, when client keepalive is on, sends PINGs and declares a silent
// server dead. Both goroutines end before Close returns, and when the
// connection dies on its own.
type Conn struct {
	nc       net.Conn
	fr       *protocol.FrameReader
	uri      *URI
	opts     options
	readOnly bool
	local    bool // a unix socket
	tls      bool

	// The write side: wsem is held while a frame is written from wbuf.
	wsem chan struct{}
	wbuf []byte

	mu        sync.Mutex
	serial    uint32                        // the next serial to try
	pending   map[uint32]*call              // calls waiting for their reply
	abandoned map[uint32]protocol.Procedure // cancelled calls whose reply may still come
	subs      map[int32]*EventSubscription  // event callbacks by callback ID
	dead      *ConnError                    // set once, when the connection ends

	done        chan struct{} // closed when dead is set
	readerDone  chan struct{}
	role        chan struct{} // holds a token while nobody has the read role (reader.go)
	kick        chan struct{} // asks the reader goroutine to take the role now
	lastRelease atomic.Int64  // when a caller last gave the role back, in ns since start
	ctlDone     chan struct{}
	pongReq     chan struct{}   // the reader asks the control goroutine for a PONG
	kaStart     chan kaSettings // starts client keepalive after the open
	lastRecv    atomic.Int64    // time of the last frame received, in ns since start
	writeWindow atomic.Int64    // with client keepalive, the bound of one write, in ns
	start       time.Time
	closing     atomic.Bool // Close has begun: the end's cause is net.ErrClosed
	closeOnce   sync.Once
	closeErr    error
}

// call is one outstanding RPC.
type call struct {
	proc protocol.Procedure
	ret  protocol.Message // decoded by the reader; nil for a void ret
	// onReply runs in the reader after ret decoded, before the next frame
	// is read (event registration uses it so no event is missed).
	onReply func()
	result  chan error // buffered; receives exactly one value
}

type kaSettings struct {
	interval time.Duration
	count    int
}

// newConn starts the goroutines of a connection over nc. The caller then
// runs the session handshake.
func newConn(nc net.Conn, u *URI, o options) *Conn {
	c := &Conn{
		nc:         nc,
		fr:         protocol.NewFrameReader(nc),
		uri:        u,
		opts:       o,
		readOnly:   o.readOnly,
		wsem:       make(chan struct{}, 1),
		pending:    map[uint32]*call{},
		abandoned:  map[uint32]protocol.Procedure{},
		subs:       map[int32]*EventSubscription{},
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		role:       make(chan struct{}, 1),
		kick:       make(chan struct{}, 1),
		ctlDone:    make(chan struct{}),
		pongReq:    make(chan struct{}, 1),
		kaStart:    make(chan kaSettings, 1),
		start:      time.Now(),
	}
	c.local = u.Transport == TransportUnix
	_, c.tls = nc.(*tls.Conn)
	if o.frameTimeout > 0 {
		c.fr.FrameTimeout = o.frameTimeout
	}
	c.role <- struct{}{}
	go c.readLoop()
	go c.controlLoop()
	return c
}

// Done returns a channel that is closed when the connection has ended,
// whether by Close, by the daemon or by a fault; Err then tells why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err returns nil while the connection is open, and afterwards the
// *ConnError every call gets (it wraps ErrConnClosed and the cause).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead == nil {
		return nil
	}
	return c.dead
}

// URI returns the URI the connection was opened with. For a probe it is
// the URI the daemon reported (CONNECT_GET_URI), as libvirt does.
func (c *Conn) URI() *URI { return c.uri }

// ReadOnly reports whether the connection was opened read-only.
func (c *Conn) ReadOnly() bool { return c.readOnly }

// Call makes one REMOTE_PROGRAM call: it encodes args (nil for a void
// payload), waits for the reply and decodes it into ret (nil to ignore the
// payload), which must not be touched until Call returns. It is the generic
// form of the typed methods and can call any procedure.
//
// A daemon's error reply is returned as a *protocol.Error, with
// {VIR_ERR_RPC, "unknown procedure…"} changed to VIR_ERR_NO_SUPPORT as
// libvirt's client does (FACTS §3). On a read-only connection a procedure
// that protocol.LookupProc marks as a write is refused before anything is
// sent, with libvirt's "operation forbidden: read only access prevents …"
// (FACTS S10).
//
// When ctx ends first, Call returns ctx.Err() at once; its serial is given
// up and a late reply is dropped, and the connection stays usable (unless
// the call's frame was only partly written, which leaves the stream
// unusable and ends the connection).
func (c *Conn) Call(ctx context.Context, proc protocol.Procedure, args, ret protocol.Message) error {
	if c.readOnly {
		if info, ok := protocol.LookupProc(proc); ok && info.Write {
			return readOnlyError(info.API)
		}
	}
	return c.call(ctx, proc, args, ret, nil)
}

// readOnlyError is the error libvirt's virCheckReadOnlyGoto raises in the
// public API function api (FACTS S10).
func readOnlyError(api string) error {
	return protocol.NewError(protocol.FromDomain, protocol.ErrOperationDenied, "read only access prevents "+api)
}

func (c *Conn) call(ctx context.Context, proc protocol.Procedure, args, ret protocol.Message, onReply func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cl := &call{proc: proc, ret: ret, onReply: onReply, result: make(chan error, 1)}
	c.mu.Lock()
	if c.dead != nil {
		c.mu.Unlock()
		return c.dead
	}
	serial := c.nextSerial()
	c.pending[serial] = cl
	c.mu.Unlock()

	h := protocol.Header{
		Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion, Procedure: proc,
		Type: protocol.TypeCall, Serial: serial, Status: protocol.StatusOK,
	}
	if err := c.send(ctx, &h, args); err != nil {
		if c.forget(serial, false) {
			return err // nothing useful went out; the call never happened
		}
		return <-cl.result // the connection failed and answered the call
	}
	for {
		select {
		case err := <-cl.result:
			return err
		case <-c.role:
			if err, ok := c.readFor(ctx, cl); ok {
				return err
			}
			// ctx ended while this caller was reading.
			if c.forget(serial, true) {
				return ctx.Err()
			}
			return <-cl.result
		case <-ctx.Done():
			if c.forget(serial, true) {
				return ctx.Err()
			}
			// Whoever reads has already taken the reply and is decoding it
			// (or the connection just failed): the result is moments away.
			return <-cl.result
		}
	}
}

// nextSerial returns a serial no outstanding or abandoned call uses. Serials
// start at 0 as libvirt's do (FACTS S2). Called with c.mu held.
func (c *Conn) nextSerial() uint32 {
	for {
		s := c.serial
		c.serial++
		if _, busy := c.pending[s]; busy {
			continue
		}
		if _, busy := c.abandoned[s]; busy {
			continue
		}
		return s
	}
}

// forget removes a pending call, remembering its serial as abandoned when
// a reply may still arrive. It reports false if the call was no longer
// pending (the reader or a failure already took it).
func (c *Conn) forget(serial uint32, abandon bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := c.pending[serial]
	if !ok {
		return false
	}
	delete(c.pending, serial)
	if abandon && c.dead == nil {
		c.abandoned[serial] = cl.proc
	}
	return true
}

// aLongTimeAgo is a deadline in the past, to interrupt a blocked I/O call.
var aLongTimeAgo = time.Unix(1, 0)

// send writes one frame. It waits for the write side with ctx, encodes into
// the shared buffer and writes the frame with one Write. An encoding error
// is returned and nothing is sent. A write that fails, or that ctx
// interrupts after part of the frame went out, ends the connection.
func (c *Conn) send(ctx context.Context, h *protocol.Header, body protocol.Message) error {
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.Err()
	}
	defer func() { <-c.wsem }()
	if c.Err() != nil {
		return c.Err()
	}
	b, err := protocol.AppendFrame(c.wbuf[:0], h, body)
	if err != nil {
		return err
	}
	if cap(b) <= maxRetainedWriteBuffer {
		c.wbuf = b
	} else {
		c.wbuf = nil // do not keep a huge buffer for the connection's life
	}

	var deadline time.Time
	window := time.Duration(c.writeWindow.Load())
	if window > 0 {
		// With client keepalive on, a write that cannot finish within the
		// keepalive window means the peer stopped reading: as dead as a
		// silent one.
		deadline = time.Now().Add(window)
	}
	_ = c.nc.SetWriteDeadline(deadline)
	var interrupted chan struct{}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		interrupted = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			_ = c.nc.SetWriteDeadline(aLongTimeAgo)
			close(interrupted)
		})
	}
	n, werr := c.nc.Write(b)
	if !stop() {
		<-interrupted // let the deadline change finish before the next writer sets its own
		if werr != nil && n == 0 && !c.tls {
			// Nothing went out: the stream is intact.
			return ctx.Err()
		}
	}
	if werr != nil {
		cause := werr
		if isTimeout(werr) {
			switch {
			case ctx.Err() != nil:
				cause = ctx.Err()
			case window > 0:
				cause = errors.Join(ErrKeepaliveTimeout, werr)
			}
		}
		c.fail(cause)
		return c.Err()
	}
	return nil
}

// maxRetainedWriteBuffer bounds the write buffer a connection keeps between
// calls.
const maxRetainedWriteBuffer = 1 << 20

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fail ends the connection once: it records the cause, closes the socket
// (which stops the reader and any blocked write), and answers every pending
// call and closes every event channel.
func (c *Conn) fail(cause error) {
	c.mu.Lock()
	if c.dead != nil {
		c.mu.Unlock()
		return
	}
	if c.closing.Load() {
		// The daemon may hang up as soon as it has answered CONNECT_CLOSE;
		// the connection still ended because of Close.
		cause = net.ErrClosed
	}
	ce := &ConnError{Err: cause}
	c.dead = ce
	pending, subs := c.pending, c.subs
	c.pending, c.abandoned, c.subs = map[uint32]*call{}, map[uint32]protocol.Procedure{}, map[int32]*EventSubscription{}
	c.mu.Unlock()
	close(c.done)
	_ = c.nc.Close()
	for _, cl := range pending {
		cl.result <- ce
	}
	for _, s := range subs {
		s.closeChannel()
	}
}

// Close ends the connection: it sends CONNECT_CLOSE and waits for its reply
// for at most the close timeout (WithCloseTimeout, 5 s by default), closes
// the socket, fails calls still pending with an error wrapping
// ErrConnClosed and net.ErrClosed, closes every event channel and waits for
// the connection's goroutines. A daemon that hung up first is not an error.
// Calling Close again returns the first result.
func (c *Conn) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.closeTimeout)
	defer cancel()
	return c.CloseContext(ctx)
}

// CloseContext is Close with ctx bounding the wait for the CONNECT_CLOSE
// reply instead of the close timeout.
func (c *Conn) CloseContext(ctx context.Context) error {
	c.closeOnce.Do(func() {
		if c.Err() == nil {
			c.closing.Store(true)
			err := c.call(ctx, protocol.ProcConnectClose, nil, nil, nil)
			if err != nil && !errors.Is(err, ErrConnClosed) {
				c.closeErr = err
			}
		}
		c.fail(net.ErrClosed)
		<-c.readerDone
		<-c.ctlDone
	})
	return c.closeErr
}

// shutdown ends a connection whose Dial failed and waits for its goroutines.
func (c *Conn) shutdown(cause error) {
	c.closeOnce.Do(func() {
		c.fail(cause)
		<-c.readerDone
		<-c.ctlDone
	})
}
