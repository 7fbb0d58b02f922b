package server

import (
	"context"
	"log/slog"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// Call is one CALL frame being handled. The server recycles it: it is valid
// only until the handler has returned and the AfterReply functions have run.
// A handler must not keep it, nor hand it to a goroutine that outlives it.
type Call struct {
	// Header is the call's header. The reply echoes its program, version,
	// procedure and serial; serials are never checked (FACTS §3, d26).
	Header protocol.Header
	// Payload is the encoded arguments. It is valid only until the handler
	// returns; decode it (Decode) or copy it to keep it.
	Payload []byte
	// Conn is the connection the call arrived on.
	Conn *Conn

	after []func()
}

// Decode decodes the call's payload into m. On failure it returns the
// *protocol.Error libvirtd replies, "Unable to decode message payload" (code
// 39, domain 7), which a handler can return as it is. Bytes after the
// arguments are accepted, as libvirt accepts them (FACTS S11), and counted in
// Stats.TrailingBytes; with Options.StrictPayload they are a decode error.
func (c *Call) Decode(m protocol.Message) error {
	st := &c.Conn.srv.st
	st.decodes.Add(1)
	trailing, err := protocol.Unmarshal(c.Payload, m)
	if err != nil {
		st.decodeErrors.Add(1)
		if ok, sup := c.Conn.logAllowed(slog.LevelDebug); ok {
			c.Conn.logEmit(slog.LevelDebug, sup, "call payload does not decode", "header", c.Header.String(), "err", err)
		}
		return DecodeError()
	}
	if trailing > 0 {
		st.trailingBytes.Add(uint64(trailing))
		if c.Conn.srv.opts.StrictPayload {
			st.decodeErrors.Add(1)
			if ok, sup := c.Conn.logAllowed(slog.LevelDebug); ok {
				c.Conn.logEmit(slog.LevelDebug, sup, "call payload has trailing bytes", "header", c.Header.String(), "trailing", trailing)
			}
			return DecodeError()
		}
	}
	return nil
}

// AfterReply registers f to run once the reply has been written (or has
// failed to be), on the call's goroutine and before the call's in-flight slot
// is released. The fake libvirtd uses it to send an event after the reply
// that caused it, as libvirtd's order on the wire is (FACTS §6(e)).
func (c *Call) AfterReply(f func()) { c.after = append(c.after, f) }

// Handler handles one call. ctx is the connection's context, cancelled when
// the connection ends.
//
// Its results decide the reply:
//   - (ret, nil): REPLY with status OK and ret encoded as the payload (nil
//     ret: an empty payload). If ret does not encode, EncodeError is sent.
//   - (_, err) with a *protocol.Error in err's chain: REPLY with status ERROR
//     carrying that error.
//   - (_, ErrNoReply): nothing is sent.
//   - (_, any other error): REPLY/ERROR with GenericError, as libvirtd sends
//     when a function fails without setting a virError; err is logged.
//
// A handler that panics has its connection closed (the server survives).
type Handler func(ctx context.Context, call *Call) (protocol.Message, error)

// HandleTyped registers fn for a procedure whose arguments are a PA: it
// decodes the payload with Call.Decode before calling fn, and replies
// "Unable to decode message payload" (39/7) if that fails, without calling
// fn. The decoded arguments do not alias the payload.
func HandleTyped[A any, PA interface {
	*A
	protocol.Message
}](s *Server, prog protocol.Program, vers uint32, proc protocol.Procedure, fn func(ctx context.Context, c *Conn, args PA) (protocol.Message, error)) {
	s.Handle(prog, vers, proc, func(ctx context.Context, call *Call) (protocol.Message, error) {
		args := PA(new(A))
		if err := call.Decode(args); err != nil {
			return nil, err
		}
		return fn(ctx, call.Conn, args)
	})
}

// RawReply is a reply payload that is already encoded: a handler returns
// it to send the bytes as they are (a replayer, a benchmark's echo). It is
// for sending only; DecodeXDR consumes nothing.
type RawReply []byte

// AppendBinary appends the bytes of r.
func (r RawReply) AppendBinary(b []byte) ([]byte, error) { return append(b, r...), nil }

// DecodeXDR does nothing: RawReply is not decoded.
func (RawReply) DecodeXDR(*xdr.Decoder) {}
