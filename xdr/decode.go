package xdr

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
)

// A Decoder reads XDR values from a byte slice. It never reads past the end
// of the slice and never allocates more than the bytes really present justify.
//
// Errors are sticky: after the first failure every method returns the zero
// value and leaves the cursor where the failure happened, and Err reports the
// first failure as an *Error. A message decoder can therefore read all its
// fields and check Err once at the end.
//
// The zero Decoder decodes an empty input; use Reset to point it at data. A
// Decoder is not safe for concurrent use.
type Decoder struct {
	buf []byte
	off int
	err error

	// When shared is set, String appends each string to arena and returns
	// a substring of it.
	shared bool
	arena  strings.Builder
}

// NewDecoder returns a Decoder that reads b. Values returned by String and
// Opaque do not alias b.
func NewDecoder(b []byte) *Decoder {
	return &Decoder{buf: b}
}

// Reset makes d read b from its start and clears any error and shared
// strings. Reusing a Decoder value avoids allocating one per message.
func (d *Decoder) Reset(b []byte) {
	d.buf, d.off, d.err, d.shared = b, 0, nil, false
	d.arena = strings.Builder{}
}

// Err returns the first error met, or nil. The error is an *Error unless it
// was set with Fail.
func (d *Decoder) Err() error { return d.err }

// Fail records err as the decoder's error if none is recorded yet, so that
// message decoders can report semantic failures (a count that does not match
// another field, say) through the same sticky error.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int { return d.off }

// Len returns the number of unread bytes.
func (d *Decoder) Len() int { return len(d.buf) - d.off }

// ShareStrings makes every later String call copy its bytes into one
// shared buffer, allocated now with room for capacity bytes (it grows if
// that is too little), and return a substring of it, instead of allocating
// each string. A message holding many strings (16,384 domain names, say)
// then costs one allocation instead of one per string; in exchange, every
// returned string keeps the whole buffer alive. A capacity of d.Len() is
// always enough.
func (d *Decoder) ShareStrings(capacity int) {
	if d.err != nil || d.shared {
		return
	}
	d.shared = true
	d.arena.Grow(max(capacity, 0))
}

// Rest returns the unread bytes without consuming them. The slice aliases
// the input; it lets a message decoder look ahead (to size a buffer, say).
func (d *Decoder) Rest() []byte { return d.buf[d.off:] }

// Skip consumes n bytes, which a message decoder has read through Rest. It
// fails with ErrShort, as any read, when fewer than n bytes are left.
func (d *Decoder) Skip(field string, n int) {
	if d.err == nil && n >= 0 && n <= d.Len() {
		d.off += n
		return
	}
	d.short(field, uint64(max(n, 0)))
}

// short records an ErrShort for a need-byte item at the cursor.
func (d *Decoder) short(field string, need uint64) {
	if d.err == nil {
		d.err = &Error{Field: field, Offset: d.off, Len: need, Max: uint64(d.Len()), Err: ErrShort}
	}
}

func (d *Decoder) fail(field string, off int, v, limit uint64, err error) {
	if d.err == nil {
		d.err = &Error{Field: field, Offset: off, Len: v, Max: limit, Err: err}
	}
}

// Uint32 reads an unsigned int.
func (d *Decoder) Uint32(field string) uint32 {
	if d.err == nil && len(d.buf)-d.off >= 4 {
		v := binary.BigEndian.Uint32(d.buf[d.off:])
		d.off += 4
		return v
	}
	d.short(field, 4)
	return 0
}

// Int32 reads an int.
func (d *Decoder) Int32(field string) int32 { return int32(d.Uint32(field)) }

// Enum reads an enum value. XDR enums are signed 32-bit integers; whether the
// value is one the enum declares is for the caller to decide, as rpcgen's
// xdr_enum does not check it either.
func (d *Decoder) Enum(field string) int32 { return int32(d.Uint32(field)) }

// Uint64 reads an unsigned hyper.
func (d *Decoder) Uint64(field string) uint64 {
	if d.err == nil && len(d.buf)-d.off >= 8 {
		v := binary.BigEndian.Uint64(d.buf[d.off:])
		d.off += 8
		return v
	}
	d.short(field, 8)
	return 0
}

// Int64 reads a hyper.
func (d *Decoder) Int64(field string) int64 { return int64(d.Uint64(field)) }

// Float64 reads a double.
func (d *Decoder) Float64(field string) float64 { return math.Float64frombits(d.Uint64(field)) }

// Uint8 reads an rpcgen unsigned char, which travels as a 4-byte word. A word
// above 255 is an ErrRange error.
func (d *Decoder) Uint8(field string) uint8 {
	off := d.off
	v := d.Uint32(field)
	if v > math.MaxUint8 {
		d.fail(field, off, uint64(v), math.MaxUint8, ErrRange)
		return 0
	}
	return uint8(v)
}

// Uint16 reads an rpcgen unsigned short, which travels as a 4-byte word. A
// word above 65535 is an ErrRange error.
func (d *Decoder) Uint16(field string) uint16 {
	off := d.off
	v := d.Uint32(field)
	if v > math.MaxUint16 {
		d.fail(field, off, uint64(v), math.MaxUint16, ErrRange)
		return 0
	}
	return uint16(v)
}

// Bool reads a bool. Values other than 0 and 1 are an ErrBadBool error.
func (d *Decoder) Bool(field string) bool {
	off := d.off
	switch v := d.Uint32(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail(field, off, uint64(v), 1, ErrBadBool)
		return false
	}
}

// Optional reads the discriminant of optional data (an XDR pointer) and
// reports whether the value follows. Values other than 0 and 1 are an
// ErrBadOptional error.
func (d *Decoder) Optional(field string) bool {
	off := d.off
	switch v := d.Uint32(field); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail(field, off, uint64(v), 1, ErrBadOptional)
		return false
	}
}

// FixedOpaque fills dst with len(dst) bytes of fixed-length opaque data and
// skips the padding that follows. The padding's content is not checked.
func (d *Decoder) FixedOpaque(field string, dst []byte) {
	n := uint64(PaddedLen(len(dst)))
	if d.err == nil && n <= uint64(d.Len()) {
		copy(dst, d.buf[d.off:])
		d.off += int(n)
		return
	}
	d.short(field, n)
	clear(dst)
}

// length reads a length prefix, checks it against limit and checks that the
// padded body is present. It returns the body length, or ok=false after
// recording the error.
func (d *Decoder) length(field string, limit uint32) (n int, ok bool) {
	off := d.off
	v := d.Uint32(field)
	if d.err != nil {
		return 0, false
	}
	if v > limit {
		d.fail(field, off, uint64(v), uint64(limit), ErrTooLong)
		return 0, false
	}
	if padded := uint64(v) + uint64(Pad(int(v&3))); padded > uint64(d.Len()) {
		d.short(field, padded)
		return 0, false
	}
	return int(v), true
}

// String reads a string of at most limit bytes. The result does not alias the
// input: it is a new string, or, after ShareStrings, a substring of the
// shared copy.
func (d *Decoder) String(field string, limit uint32) string {
	n, ok := d.length(field, limit)
	if !ok {
		return ""
	}
	var s string
	if d.shared {
		// strings.Builder never changes bytes it has written, so the
		// substring stays valid whatever is appended later.
		start := d.arena.Len()
		d.arena.Write(d.buf[d.off : d.off+n])
		s = d.arena.String()[start:]
	} else {
		s = string(d.buf[d.off : d.off+n])
	}
	d.off += PaddedLen(n)
	return s
}

// Opaque reads variable-length opaque data of at most limit bytes and returns a
// copy of it (nil for zero bytes).
func (d *Decoder) Opaque(field string, limit uint32) []byte {
	n, ok := d.length(field, limit)
	if !ok || n == 0 {
		return nil
	}
	p := slices.Clone(d.buf[d.off : d.off+n])
	d.off += PaddedLen(n)
	return p
}

// Count reads the element count of a variable-length array. It fails unless
// the count is at most limit and count×minSize bytes are still unread, so a
// caller may size a slice by the result: the elements are really there.
// minSize is the smallest wire size of one element (at least 1 is assumed).
func (d *Decoder) Count(field string, limit uint32, minSize int) int {
	off := d.off
	v := d.Uint32(field)
	if d.err != nil {
		return 0
	}
	if v > limit {
		d.fail(field, off, uint64(v), uint64(limit), ErrTooLong)
		return 0
	}
	if need := uint64(v) * uint64(max(minSize, 1)); need > uint64(d.Len()) {
		d.short(field, need)
		return 0
	}
	return int(v)
}

// DecodeArray reads a variable-length array of at most limit elements, each of
// at least minSize bytes on the wire, decoding each element with elem and
// appending it to dst[:0]. The backing array of dst is reused when it is big
// enough. On error the elements decoded so far are returned and d.Err is set.
func DecodeArray[T any](d *Decoder, field string, limit uint32, minSize int, dst []T, elem func(*Decoder) T) []T {
	n := d.Count(field, limit, minSize)
	return DecodeFixedArray(d, n, dst, elem)
}

// DecodeFixedArray reads a fixed-length array of n elements, decoding each
// with elem and appending it to dst[:0]. n comes from the schema, not from
// the wire; it is not checked against the input size.
func DecodeFixedArray[T any](d *Decoder, n int, dst []T, elem func(*Decoder) T) []T {
	dst = slices.Grow(dst[:0], n)
	for range n {
		v := elem(d)
		if d.err != nil {
			break
		}
		dst = append(dst, v)
	}
	return dst
}
