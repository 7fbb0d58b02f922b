package client

import (
	"errors"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// readLoop reads frames until the connection ends. Every frame counts as a
// sign of life for keepalive. A frame that breaks the protocol ends the
// connection with a *ProtocolError, as libvirt's client closes it (L11).
func (c *Conn) readLoop() {
	defer close(c.readerDone)
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.fail(readError(err))
			return
		}
		c.lastRecv.Store(int64(time.Since(c.start)))
		if perr := c.dispatch(&f); perr != nil {
			c.fail(perr)
			return
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
