package xdr

import (
	"errors"
	"fmt"
)

// Sentinel errors carried in [Error.Err]. Test for them with errors.Is.
var (
	// ErrShort means the input ended before the item was complete, or a
	// declared count needs more bytes than are left.
	ErrShort = errors.New("short buffer")
	// ErrTooLong means a length or count prefix exceeds the field's maximum.
	ErrTooLong = errors.New("length exceeds maximum")
	// ErrBadBool means a bool was neither 0 nor 1.
	ErrBadBool = errors.New("invalid bool")
	// ErrBadOptional means an optional-data discriminant was neither 0 nor 1.
	ErrBadOptional = errors.New("invalid optional-data discriminant")
	// ErrRange means a value does not fit its Go type (an unsigned char or
	// unsigned short word above 255 or 65535).
	ErrRange = errors.New("value out of range")
)

// Error describes a decoding failure: which field, where, and which limit.
// It is shaped like strconv.NumError: Err is one of the sentinel errors above
// and Unwrap returns it.
type Error struct {
	Field  string // the field being decoded, as the message type names it
	Offset int    // byte offset of the offending item in the decoder's input
	Len    uint64 // the declared length or count, the bytes needed, or the bad value
	Max    uint64 // the limit Len broke; for ErrShort, the bytes that were left
	Err    error  // ErrShort, ErrTooLong, ErrBadBool, ErrBadOptional or ErrRange
}

func (e *Error) Error() string {
	field := e.Field
	if field == "" {
		field = "value"
	}
	switch e.Err {
	case ErrShort:
		return fmt.Sprintf("xdr: %s: need %d bytes at offset %d, have %d: %v", field, e.Len, e.Offset, e.Max, e.Err)
	case ErrTooLong:
		return fmt.Sprintf("xdr: %s: length %d exceeds maximum %d at offset %d", field, e.Len, e.Max, e.Offset)
	case ErrBadBool, ErrBadOptional:
		return fmt.Sprintf("xdr: %s: %v %d at offset %d (want 0 or 1)", field, e.Err, e.Len, e.Offset)
	case ErrRange:
		return fmt.Sprintf("xdr: %s: value %d at offset %d exceeds %d", field, e.Len, e.Offset, e.Max)
	}
	return fmt.Sprintf("xdr: %s: %v at offset %d", field, e.Err, e.Offset)
}

// Unwrap returns the sentinel error.
func (e *Error) Unwrap() error { return e.Err }
