// Package xdr implements the External Data Representation standard (RFC 4506)
// by hand, without reflection and without a code generator.
//
// Encoding is append-style: every Append function appends the XDR form of one
// value to a caller's byte slice and returns the extended slice, so encoding
// into a buffer that is already large enough allocates nothing. Encoders trust
// their caller: limits are enforced by the message types built on top of this
// package, which return an error before they append anything too long.
//
// Decoding goes through a [Decoder], a cursor over a byte slice with a sticky
// error: after the first failure every method returns zero values and
// [Decoder.Err] reports what failed, in which field, at which offset and
// against which limit. Every length prefix (strings, variable opaque data,
// variable arrays) is checked against a maximum that the caller passes in, and
// against the bytes that are really left, before anything is allocated, so a
// hostile 0xffffffff length costs nothing.
//
// Wire rules (RFC 4506 §4):
//   - int, unsigned int, enum and bool are 4 bytes big-endian; bool is 0 or 1
//     and any other value is an error ([ErrBadBool]).
//   - hyper and unsigned hyper are 8 bytes big-endian; double is IEEE 754
//     binary64, big-endian.
//   - opaque data and strings are padded with zero bytes to a multiple of 4.
//     Padding is always written as zeros; non-zero padding is tolerated when
//     decoding, as glibc's xdr routines (and so libvirt) tolerate it.
//   - variable-length data is prefixed by an unsigned 32-bit length.
//   - optional data (a pointer) is a bool discriminant followed by the value
//     when it is 1; a discriminant other than 0 or 1 is an error
//     ([ErrBadOptional]).
//
// rpcgen's unsigned char and unsigned short also travel as 4-byte words;
// [Decoder.Uint8] and [Decoder.Uint16] reject words that do not fit, which is
// stricter than glibc (it truncates) but keeps every accepted input
// re-encodable byte for byte.
package xdr
