package protocol

import (
	"fmt"

	"github.com/virtwire/virtwire/xdr"
)

// HeaderSize is the size of the encoded Header (VIR_NET_MESSAGE_HEADER_MAX).
const HeaderSize = 24

// Header is virNetMessageHeader, the 24 bytes after every length word
// (FACTS §1).
type Header struct {
	Program   Program     // prog
	Version   uint32      // vers: 1 for every program
	Procedure Procedure   // proc
	Type      MessageType // type
	Serial    uint32      // serial: chosen by the client, echoed by replies
	Status    Status      // status
}

// AppendHeader appends the 24-byte encoding of h.
func AppendHeader(b []byte, h *Header) []byte {
	b = xdr.AppendUint32(b, uint32(h.Program))
	b = xdr.AppendUint32(b, h.Version)
	b = xdr.AppendInt32(b, int32(h.Procedure))
	b = xdr.AppendInt32(b, int32(h.Type))
	b = xdr.AppendUint32(b, h.Serial)
	return xdr.AppendInt32(b, int32(h.Status))
}

// AppendBinary appends the 24-byte encoding of h. It never fails.
func (h *Header) AppendBinary(b []byte) ([]byte, error) { return AppendHeader(b, h), nil }

// DecodeXDR decodes a header from d.
func (h *Header) DecodeXDR(d *xdr.Decoder) {
	h.Program = Program(d.Uint32("header.prog"))
	h.Version = d.Uint32("header.vers")
	h.Procedure = Procedure(d.Int32("header.proc"))
	h.Type = MessageType(d.Int32("header.type"))
	h.Serial = d.Uint32("header.serial")
	h.Status = Status(d.Int32("header.status"))
}

// UnmarshalBinary decodes the first HeaderSize bytes of b. Any field value is
// accepted: whether a program, type or status is acceptable depends on who
// reads it, and is decided there.
func (h *Header) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, h)
	return err
}

// DecodeHeader decodes the header at the start of b (the bytes after the
// length word). It is the allocation-free form of UnmarshalBinary.
func DecodeHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, &xdr.Error{Field: "header", Len: HeaderSize, Max: uint64(len(b)), Err: xdr.ErrShort}
	}
	var d xdr.Decoder
	d.Reset(b[:HeaderSize])
	var h Header
	h.DecodeXDR(&d)
	return h, nil
}

// String describes h as a transcript line does, for logs and errors.
func (h Header) String() string {
	return fmt.Sprintf("%s %s %s serial=%d status=%s", h.Program, ProcedureName(h.Program, h.Procedure), h.Type, h.Serial, h.Status)
}

// Reply returns the header of a reply to the call h: the call's program,
// version, procedure and serial with type REPLY and the given status.
func (h *Header) Reply(status Status) Header {
	return Header{Program: h.Program, Version: h.Version, Procedure: h.Procedure, Type: TypeReply, Serial: h.Serial, Status: status}
}
