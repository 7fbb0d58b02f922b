package client

import (
	"context"
	"errors"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// readerBackoff is how long the reader goroutine leaves the read role to
// callers after one of them gave it back (or after the reader delivered a
// reply): calls made one after the other read their own replies, with no
// hand-off between goroutines, and on an idle connection the reader still
// sees PINGs, events and the daemon hanging up within this delay.
const readerBackoff = 2 * time.Millisecond

// readLoop is the reader goroutine. It takes the read role when no caller
// has used it for readerBackoff, and then reads frames until one of them is
// a reply, which hands the role back to the callers. It ends with the
// connection. Every frame counts as a sign of life for keepalive. A frame
// that breaks the protocol ends the connection with a *ProtocolError, as
// libvirt's client closes it (L11).
func (c *Conn) readLoop() {
	defer close(c.readerDone)
	timer := time.NewTimer(readerBackoff)
	defer timer.Stop()
	for {
		kicked := false
		for !kicked {
			wait := readerBackoff - (time.Since(c.start) - time.Duration(c.lastRelease.Load()))
			if wait <= 0 {
				break
			}
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-c.kick:
				kicked = true
			case <-c.done:
				return
			}
		}
		select {
		case <-c.role:
		case <-c.done:
			return
		default:
			// A caller is reading; look again later.
			c.lastRelease.Store(int64(time.Since(c.start)))
			continue
		}
		for {
			f, err := c.fr.ReadFrame()
			if err != nil {
				c.fail(readError(err))
				return
			}
			reply := c.received(&f)
			if perr := c.dispatch(&f); perr != nil {
				c.fail(perr)
				return
			}
			if reply {
				break
			}
		}
		c.releaseRole()
	}
}

// received notes the arrival of a frame for keepalive and reports whether
// it is a reply, after which the reader gives the role back to callers.
func (c *Conn) received(f *protocol.Frame) bool {
	c.lastRecv.Store(int64(time.Since(c.start)))
	t := f.Header.Type
	return f.Header.Program != protocol.ProgramKeepalive && (t == protocol.TypeReply || t == protocol.TypeReplyWithFDs)
}

// releaseRole gives the read role back and starts the reader goroutine's
// back-off. With bytes of a further frame already buffered, it asks the
// reader goroutine to take the role at once.
func (c *Conn) releaseRole() {
	c.lastRelease.Store(int64(time.Since(c.start)))
	buffered := c.fr.Buffered() > 0
	c.role <- struct{}{}
	if buffered {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// readFor reads frames for cl's caller, who holds the read role, until cl
// has its result, and gives the role back. It reports ok false, with the
// role given back and nothing else done, if ctx ended first; the caller then
// gives up the call. A frame that arrives in part before ctx ends stays
// buffered for whoever reads next.
func (c *Conn) readFor(ctx context.Context, cl *call) (err error, ok bool) {
	select {
	case err := <-cl.result: // the previous reader delivered it
		c.releaseRole()
		return err, true
	default:
	}
	var interrupted chan struct{}
	stop := func() bool { return true }
	if ctx.Done() != nil {
		interrupted = make(chan struct{})
		stop = context.AfterFunc(ctx, func() {
			_ = c.nc.SetReadDeadline(aLongTimeAgo)
			close(interrupted)
		})
	}
	// cancelled reports whether ctx's interruption ran, and if so waits
	// for it and restores the read deadline for the next reader.
	cancelled := func() bool {
		if stop() {
			return false
		}
		<-interrupted
		var t time.Time
		if c.fr.FrameTimeout > 0 && c.fr.Buffered() > 0 {
			t = time.Now().Add(c.fr.FrameTimeout) // a frame is under way
		}
		_ = c.nc.SetReadDeadline(t)
		return true
	}
	for {
		f, rerr := c.fr.ReadFrame()
		if rerr != nil {
			if cancelled() && isTimeout(rerr) {
				c.releaseRole()
				return nil, false
			}
			c.fail(readError(rerr))
			return <-cl.result, true
		}
		c.received(&f)
		if perr := c.dispatch(&f); perr != nil {
			cancelled()
			c.fail(perr)
			return <-cl.result, true
		}
		select {
		case err := <-cl.result:
			cancelled()
			c.releaseRole()
			return err, true
		default:
		}
	}
}

// readError turns a read failure into the cause of the connection's end:
// a bad length word is a protocol violation (the stream is out of step);
// anything else (io.EOF when the daemon hung up, io.ErrUnexpectedEOF when it
// did so inside a frame, a reset…) is kept as it is.
func readError(err error) error {
	var fe *protocol.FrameError
	if errors.As(err, &fe) {
		return &ProtocolError{Reason: "bad length word", Err: err}
	}
	return err
}

// dispatch routes one frame. It returns a non-nil error only for a
// violation that ends the connection.
func (c *Conn) dispatch(f *protocol.Frame) error {
	h := &f.Header
	if h.Program == protocol.ProgramKeepalive && h.Version == protocol.KeepaliveVersion && h.Type == protocol.TypeMessage {
		// virKeepAliveCheckMessage: answer PING, take PONG as a sign of
		// life, ignore other procedures.
		if h.Procedure == protocol.KeepaliveProcPing {
			select {
			case c.pongReq <- struct{}{}:
			default: // a PONG is already on its way; one answers both
			}
		}
		return nil
	}
	switch h.Type {
	case protocol.TypeReply, protocol.TypeReplyWithFDs:
		return c.dispatchReply(f)
	case protocol.TypeMessage:
		if h.Program != protocol.ProgramRemote || h.Version != protocol.ProtocolVersion {
			return &ProtocolError{Reason: "event from an unknown program", Header: hdr(h)}
		}
		c.dispatchEvent(f)
		return nil
	case protocol.TypeStream, protocol.TypeStreamHole:
		// libvirt's client drops stream data for a stream it does not have;
		// this client never opens one.
		return nil
	}
	return &ProtocolError{Reason: "unexpected message type from the server", Header: hdr(h)}
}

func hdr(h *protocol.Header) *protocol.Header {
	c := *h
	return &c
}

// dispatchReply hands a reply to its call, decoding it into the call's ret.
func (c *Conn) dispatchReply(f *protocol.Frame) error {
	h := &f.Header
	if h.Program != protocol.ProgramRemote || h.Version != protocol.ProtocolVersion {
		return &ProtocolError{Reason: "no call waiting for a reply from this program and version", Header: hdr(h)}
	}
	c.mu.Lock()
	cl, ok := c.pending[h.Serial]
	if !ok {
		proc, late := c.abandoned[h.Serial]
		if late && proc == h.Procedure {
			delete(c.abandoned, h.Serial)
			c.mu.Unlock()
			return nil // the caller gave up; drop the reply
		}
		c.mu.Unlock()
		if late {
			return &ProtocolError{Reason: "reply for another procedure than the call's", Header: hdr(h)}
		}
		return &ProtocolError{Reason: "no call waiting for a reply with this serial", Header: hdr(h)}
	}
	if cl.proc != h.Procedure {
		c.mu.Unlock()
		return &ProtocolError{Reason: "reply for another procedure than the call's", Header: hdr(h)}
	}
	delete(c.pending, h.Serial)
	c.mu.Unlock()

	switch h.Status {
	case protocol.StatusOK:
		var err error
		if cl.ret != nil {
			if _, derr := protocol.Unmarshal(f.Payload, cl.ret); derr != nil {
				err = &ProtocolError{Reason: "Unable to decode message payload", Header: hdr(h), Err: derr}
			}
		}
		if err == nil && cl.onReply != nil {
			cl.onReply()
		}
		cl.result <- err
	case protocol.StatusError:
		e := new(protocol.Error)
		if _, derr := protocol.Unmarshal(f.Payload, e); derr != nil {
			cl.result <- &ProtocolError{Reason: "Unable to decode message payload", Header: hdr(h), Err: derr}
			return nil
		}
		if isUnknownProcedure(e) {
			e.Code = protocol.ErrNoSupport
		}
		cl.result <- e
	default:
		cl.result <- &ProtocolError{Reason: "Unexpected message status " + h.Status.String(), Header: hdr(h)}
	}
	return nil
}
