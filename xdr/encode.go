package xdr

import "math"

// Pad returns the number of zero bytes that follow n bytes of opaque data or
// string to reach a multiple of 4.
func Pad(n int) int { return -n & 3 }

// PaddedLen returns n rounded up to a multiple of 4: the wire size of n bytes
// of fixed-length opaque data.
func PaddedLen(n int) int { return n + Pad(n) }

// StringSize returns the wire size of a string or variable-length opaque
// value of n bytes: the 4-byte length, the bytes and the padding.
func StringSize(n int) int { return 4 + PaddedLen(n) }

// AppendUint32 appends an unsigned int.
func AppendUint32(b []byte, v uint32) []byte {
	return append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AppendInt32 appends an int.
func AppendInt32(b []byte, v int32) []byte { return AppendUint32(b, uint32(v)) }

// AppendEnum appends an enum value. XDR enums are signed 32-bit integers.
func AppendEnum(b []byte, v int32) []byte { return AppendUint32(b, uint32(v)) }

// AppendUint64 appends an unsigned hyper.
func AppendUint64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AppendInt64 appends a hyper.
func AppendInt64(b []byte, v int64) []byte { return AppendUint64(b, uint64(v)) }

// AppendFloat64 appends a double (IEEE 754 binary64).
func AppendFloat64(b []byte, v float64) []byte { return AppendUint64(b, math.Float64bits(v)) }

// AppendBool appends a bool as 1 or 0.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return AppendUint32(b, 1)
	}
	return AppendUint32(b, 0)
}

// AppendOptional appends the discriminant of optional data (an XDR pointer):
// 1 when the value follows, 0 when it is absent. The caller appends the value
// itself when present is true.
func AppendOptional(b []byte, present bool) []byte { return AppendBool(b, present) }

var zeros [4]byte

// AppendFixedOpaque appends fixed-length opaque data: the bytes of p and zero
// padding to a multiple of 4, with no length prefix.
func AppendFixedOpaque(b []byte, p []byte) []byte {
	b = append(b, p...)
	return append(b, zeros[:Pad(len(p))]...)
}

// AppendOpaque appends variable-length opaque data: the length of p, its bytes
// and zero padding. The caller makes sure len(p) fits the field's maximum.
func AppendOpaque(b []byte, p []byte) []byte {
	b = AppendUint32(b, uint32(len(p)))
	return AppendFixedOpaque(b, p)
}

// AppendString appends a string: its length, its bytes (no terminating NUL)
// and zero padding. The caller makes sure len(s) fits the field's maximum.
func AppendString(b []byte, s string) []byte {
	b = AppendUint32(b, uint32(len(s)))
	b = append(b, s...)
	return append(b, zeros[:Pad(len(s))]...)
}

// AppendArray appends a variable-length array: the element count followed by
// each element as appendElem encodes it. The caller makes sure len(s) fits
// the field's maximum.
func AppendArray[T any](b []byte, s []T, appendElem func([]byte, T) []byte) []byte {
	b = AppendUint32(b, uint32(len(s)))
	return AppendFixedArray(b, s, appendElem)
}

// AppendFixedArray appends a fixed-length array: each element as appendElem
// encodes it, with no count. The caller makes sure len(s) is the array's
// declared length.
func AppendFixedArray[T any](b []byte, s []T, appendElem func([]byte, T) []byte) []byte {
	for _, v := range s {
		b = appendElem(b, v)
	}
	return b
}
