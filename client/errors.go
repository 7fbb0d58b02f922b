package client

import (
	"errors"
	"fmt"
	"strings"

	"github.com/virtwire/virtwire/protocol"
)

// Errors fall in three groups (see docs/client.md):
//
//   - A *protocol.Error is libvirt's own error: a daemon's error reply, or a
//     check libvirt's client makes itself (URI syntax, read-only refusal,
//     list limits, certificate verification), with libvirt's code, domain
//     and text. The connection stays usable.
//   - An error wrapping ErrConnClosed (a *ConnError) means the connection
//     is gone; every pending and later call gets the same error. Its cause
//     tells why: net.ErrClosed after Close, io.EOF when the daemon hung up,
//     a *ProtocolError, ErrKeepaliveTimeout, or a read or write error.
//   - Any other error is local to one call (ctx.Err(), an argument the
//     encoder refused, a reply that did not decode) or to Dial.

// ErrConnClosed matches (errors.Is) every error that reports the end of a
// connection. After it, Done is closed and the Conn must be replaced.
var ErrConnClosed = errors.New("client: connection closed")

// ConnError reports the end of a connection. Err is the cause.
type ConnError struct {
	Err error
}

// Error returns "client: connection closed: " and the cause.
func (e *ConnError) Error() string {
	if e.Err == nil {
		return ErrConnClosed.Error()
	}
	return "client: connection closed: " + e.Err.Error()
}

// Unwrap returns ErrConnClosed and the cause.
func (e *ConnError) Unwrap() []error { return []error{ErrConnClosed, e.Err} }

// ErrProtocol matches (errors.Is) every *ProtocolError.
var ErrProtocol = errors.New("client: protocol violation")

// ProtocolError reports a server that broke the RPC protocol. When the
// stream itself cannot be trusted any more (a reply for a serial nobody
// waits for, a second reply, a reply from another program or version or for
// another procedure, a CALL or an unknown message type from the server, a
// bad length word, a bad TLS confirmation byte) it is the cause of a
// *ConnError and the connection is closed, as libvirt's client closes it
// (RELIABILITY.md L11, tests 23-25). A reply that does not decode, or whose
// contents contradict themselves (ListAllDomains' ret ≠ the number of
// domains), fails only its own call.
type ProtocolError struct {
	Reason string           // what was wrong
	Header *protocol.Header // the offending frame's header, if any
	Err    error            // an underlying decode error, if any
}

// Error describes the violation, with the frame header if any.
func (e *ProtocolError) Error() string {
	var b strings.Builder
	b.WriteString("client: protocol violation: ")
	b.WriteString(e.Reason)
	if e.Header != nil {
		b.WriteString(" (")
		b.WriteString(e.Header.String())
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrProtocol and the underlying error.
func (e *ProtocolError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrProtocol}
	}
	return []error{ErrProtocol, e.Err}
}

// ErrKeepaliveTimeout is the cause of a *ConnError when client keepalive
// declared the server dead: nothing arrived from it for interval × (count+1).
var ErrKeepaliveTimeout = errors.New("client: keepalive timeout")

// ErrCertificateRejected reports a TLS server that closed the connection
// instead of sending the confirmation byte after the handshake: it refused
// our client certificate (none, or one it does not trust; FACTS S7).
// libvirt's client says "Unable to read TLS confirmation" here.
var ErrCertificateRejected = errors.New("client: the server rejected our TLS client certificate")

// ErrAuthNotSupported matches every *AuthError.
var ErrAuthNotSupported = errors.New("client: authentication method not supported")

// AuthError reports a daemon that requires an authentication method this
// client does not implement yet (SASL or polkit). Nothing was sent after
// AUTH_LIST.
type AuthError struct {
	Method  protocol.AuthType   // the method libvirt's client would have used
	Offered []protocol.AuthType // what AUTH_LIST offered
}

// Error names the method required and the methods offered.
func (e *AuthError) Error() string {
	names := make([]string, len(e.Offered))
	for i, t := range e.Offered {
		names[i] = t.String()
	}
	return fmt.Sprintf("client: the daemon requires %s authentication, which is not supported yet (offered: %s)",
		e.Method, strings.Join(names, ", "))
}

// Unwrap returns ErrAuthNotSupported.
func (e *AuthError) Unwrap() error { return ErrAuthNotSupported }

// ErrTransportNotSupported matches every *TransportError.
var ErrTransportNotSupported = errors.New("client: transport not supported yet")

// TransportError reports a URI whose transport (ssh, libssh, libssh2, ext)
// parses but cannot be dialed yet.
type TransportError struct {
	Transport Transport
}

// Error names the transport.
func (e *TransportError) Error() string {
	return "client: the " + e.Transport.String() + " transport is not supported yet (use unix, tcp or tls)"
}

// Unwrap returns ErrTransportNotSupported.
func (e *TransportError) Unwrap() error { return ErrTransportNotSupported }

// Error is a failure that libvirt's client reports with a virError, such as
// a socket that cannot be reached or a server certificate that fails
// verification, together with the Go error behind it. errors.As finds the
// *protocol.Error, errors.Is its code (protocol.ErrAuthFailed…) and the
// cause.
type Error struct {
	Libvirt *protocol.Error // code, domain and text as libvirt sets them
	Err     error           // the cause, may be nil
}

// Error returns libvirt's message, then the cause in parentheses unless
// the message already ends with it.
func (e *Error) Error() string {
	msg := e.Libvirt.Error()
	if e.Err == nil {
		return msg
	}
	if cause := e.Err.Error(); !strings.HasSuffix(msg, cause) {
		return msg + " (" + cause + ")"
	}
	return msg
}

// Unwrap returns the libvirt error and the cause.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Libvirt}
	}
	return []error{e.Libvirt, e.Err}
}

// systemError builds what libvirt's virReportSystemError raises: code
// VIR_ERR_SYSTEM_ERROR, the message "<text>: <strerror>", str1 "%s", str2
// the message, int1 the errno.
func systemError(domain protocol.ErrorDomain, text string, errno int, cause error) *Error {
	msg := text
	if cause != nil {
		msg += ": " + strerror(cause)
	}
	return &Error{
		Libvirt: &protocol.Error{
			Code: protocol.ErrSystemError, Domain: domain, Level: protocol.LevelError,
			Message: protocol.Some(msg), Str1: protocol.Some("%s"), Str2: protocol.Some(msg),
			Int1: int32(errno), Int2: -1,
		},
		Err: cause,
	}
}

// isUnknownProcedure reports the error an old daemon gives for a procedure
// it does not have, which libvirt's client turns into VIR_ERR_NO_SUPPORT
// (FACTS §3).
func isUnknownProcedure(e *protocol.Error) bool {
	return e.Code == protocol.ErrRPC &&
		(e.Domain == protocol.FromRPC || e.Domain == protocol.FromRemote) &&
		e.Message.Valid && strings.HasPrefix(e.Message.Value, "unknown procedure")
}
