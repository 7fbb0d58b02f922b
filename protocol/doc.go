// Package protocol implements libvirt's RPC layer on top of package xdr: the
// length word and header of every frame, the program, procedure, type and
// status numbers, the message structs of the procedures virtwire speaks
// (above all REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS), libvirt's remote_error as
// a Go error, and the ListAllDomains filter flags with their semantics as one
// pure function. It opens no sockets.
//
// Every number and behaviour here follows libvirt 9.0 as described in the
// project's FACTS.md (cited as FACTS §n) and libvirt's remote_protocol.x
// (struct names are given in each type's doc comment).
//
// # Frames
//
// A frame is a 4-byte length word (the total size, itself included), a
// 24-byte [Header] and an XDR payload. [AppendFrame] encodes one into a
// caller's buffer; a [FrameReader] reads them from a stream, checking the
// length word (28 ≤ len ≤ 33554436) before it reads the body and growing its
// buffer only as bytes arrive.
//
// # Messages
//
// Each *Args, *Ret and *Msg type implements [Message]: AppendBinary encodes
// it (enforcing the .x limits and returning an error rather than writing an
// over-long field) and DecodeXDR decodes it from an [xdr.Decoder] with a
// hard limit on every length. [Unmarshal] decodes a whole payload and reports
// trailing bytes, which libvirt ignores (FACTS S11).
//
// # Errors
//
// A REPLY with status ERROR carries remote_error, decoded into an [*Error]
// that keeps every field (NULL apart from ""). [ErrorCode] is itself an error,
// so errors.Is(err, protocol.ErrNoDomain) works on any error that wraps an
// *Error.
package protocol
