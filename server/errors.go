package server

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// Errors returned by the server and its connections. Test for them with
// errors.Is.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close, and by
	// the Listen methods once the server is closed.
	ErrServerClosed = errors.New("server: server closed")
	// ErrConnClosed is returned by Conn.Send and Conn.StartKeepalive on a
	// connection that has been closed (or is being closed).
	ErrConnClosed = errors.New("server: connection closed")
	// ErrNoReply, returned by a Handler, sends nothing: the handler has
	// answered by other means, or deliberately leaves the call unanswered.
	ErrNoReply = errors.New("server: no reply")
	// ErrInsecureListen is returned when asked to listen on a non-loopback
	// address without TLS client certificates and Options.InsecureListen is
	// not set (RELIABILITY test 57).
	ErrInsecureListen = errors.New("server: refusing a non-loopback listener without TLS client certificates")
	// ErrSocketInUse is returned by ListenUnix when something already
	// listens on the socket path.
	ErrSocketInUse = errors.New("server: unix socket in use")
	// ErrNotSocket is returned by ListenUnix when the path exists and is not
	// a socket; the server never removes such a file.
	ErrNotSocket = errors.New("server: path exists and is not a socket")
	// ErrPeerRejected is the cause given to Conn.Context when a connection
	// is refused before any frame: a unix peer whose uid is not allowed, or a
	// TLS client whose certificate or DN failed the checks.
	ErrPeerRejected = errors.New("server: peer rejected")
	// ErrKeepaliveTimeout is the cause given to Conn.Context when keepalive
	// closed a silent client (FACTS §8).
	ErrKeepaliveTimeout = errors.New("server: keepalive timeout")
	// ErrProtocol is the cause given to Conn.Context when the client broke
	// the framing (bad length word, stalled frame) and was disconnected.
	ErrProtocol = errors.New("server: protocol error")
	// ErrWriteTimeout is the cause given to Conn.Context when a client
	// stopped reading for Options.WriteTimeout.
	ErrWriteTimeout = errors.New("server: write timeout")
)

// Texts of the errors libvirtd's RPC layer raises (virnetserver.c,
// virnetserverprogram.c, virnetmessage.c; FACTS §3). All are
// virReportError(VIR_ERR_RPC, ...) in VIR_FROM_RPC.
const (
	textDecodePayload = "Unable to decode message payload"
	textEncodePayload = "Unable to encode message payload"
	textNoVirError    = "Library function returned error but did not set virError"
)

// rpcError is virReportError(VIR_ERR_RPC, "%s", text) as libvirtd raises it
// from its RPC layer: code 39, domain 7, str1 "%s", str2 the text.
func rpcError(text string) *protocol.Error {
	return protocol.NewError(protocol.FromRPC, protocol.ErrRPC, text)
}

// appendCannotFindProgram appends the text of the reply to a CALL for an
// unknown program or version. libvirt formats both with %d, so a program
// above 2^31 prints as a negative number.
func appendCannotFindProgram(b []byte, h *protocol.Header) []byte {
	b = append(b, "Cannot find program "...)
	b = strconv.AppendInt(b, int64(int32(h.Program)), 10)
	b = append(b, " version "...)
	return strconv.AppendInt(b, int64(int32(h.Version)), 10)
}

// appendUnknownProcedure appends the text of the reply to a CALL for a
// procedure the program does not have (0, negative numbers and event
// procedures included).
func appendUnknownProcedure(b []byte, h *protocol.Header) []byte {
	return strconv.AppendInt(append(b, "unknown procedure: "...), int64(h.Procedure), 10)
}

// appendUnexpectedStatus appends the text of the reply to a CALL whose
// status is not OK. libvirt formats the status with %u.
func appendUnexpectedStatus(b []byte, h *protocol.Header) []byte {
	return strconv.AppendUint(append(b, "Unexpected message status "...), uint64(uint32(h.Status)), 10)
}

// appendRPCErrorFrame appends a whole REPLY/ERROR frame with header h
// carrying rpcError(msg), encoded directly (no allocation): code 39, domain
// 7, message msg, level 2, dom NULL, str1 "%s", str2 msg, str3 NULL,
// int1 = int2 = -1, net NULL.
func appendRPCErrorFrame(b []byte, h *protocol.Header, msg []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = protocol.AppendHeader(b, h)
	b = xdr.AppendInt32(b, int32(protocol.ErrRPC))
	b = xdr.AppendInt32(b, int32(protocol.FromRPC))
	b = xdr.AppendOptional(b, true)
	b = xdr.AppendOpaque(b, msg)
	b = xdr.AppendInt32(b, int32(protocol.LevelError))
	b = xdr.AppendOptional(b, false) // dom
	b = xdr.AppendOptional(b, true)
	b = xdr.AppendString(b, "%s")
	b = xdr.AppendOptional(b, true)
	b = xdr.AppendOpaque(b, msg)
	b = xdr.AppendOptional(b, false) // str3
	b = xdr.AppendInt32(b, -1)
	b = xdr.AppendInt32(b, -1)
	b = xdr.AppendOptional(b, false) // net
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// DecodeError returns the error libvirtd replies when a call's payload does
// not decode: code 39 (VIR_ERR_RPC), domain 7 (VIR_FROM_RPC), "Unable to
// decode message payload" (FACTS §3, d16, d21). Call.Decode returns it.
func DecodeError() *protocol.Error { return rpcError(textDecodePayload) }

// EncodeError returns the error sent instead of a reply whose payload cannot
// be encoded (a field over its .x limit, or a frame over 32 MiB): code 39,
// domain 7, "Unable to encode message payload".
func EncodeError() *protocol.Error { return rpcError(textEncodePayload) }

// GenericError returns the error libvirtd sends when a call failed without
// setting a virError: code 1 (VIR_ERR_INTERNAL_ERROR), domain 7, "Library
// function returned error but did not set virError", str1-3 NULL, int1 =
// int2 = 0 (virnetmessage.c virNetMessageSaveError). A Handler error that is
// not a *protocol.Error is sent as this.
func GenericError() *protocol.Error {
	return &protocol.Error{
		Code:    protocol.ErrInternalError,
		Domain:  protocol.FromRPC,
		Message: protocol.Some(textNoVirError),
		Level:   protocol.LevelError,
	}
}
