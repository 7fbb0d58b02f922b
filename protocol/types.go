package protocol

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/virtwire/virtwire/xdr"
)

// Limits from remote_protocol.x and virnetprotocol.x (FACTS §1).
const (
	StringMax       = 4194304 // REMOTE_STRING_MAX: remote_nonnull_string
	DomainListMax   = 16384   // REMOTE_DOMAIN_LIST_MAX
	AuthTypeListMax = 20      // REMOTE_AUTH_TYPE_LIST_MAX
	UUIDSize        = 16      // VIR_UUID_BUFLEN: remote_uuid is opaque[16]
)

// Message is implemented by every message struct: AppendBinary appends its
// XDR form (returning an error, and appending nothing usable, when a field
// breaks a limit of the .x file) and DecodeXDR decodes it, leaving any
// failure in the decoder's sticky error.
type Message interface {
	AppendBinary(b []byte) ([]byte, error)
	DecodeXDR(d *xdr.Decoder)
}

// Unmarshal decodes payload into m. Bytes after the message are not an error,
// since libvirt ignores them too (FACTS S11); their number is returned so a
// strict caller can refuse them.
func Unmarshal(payload []byte, m Message) (trailing int, err error) {
	var d xdr.Decoder
	d.Reset(payload)
	m.DecodeXDR(&d)
	if err := d.Err(); err != nil {
		return 0, err
	}
	return d.Len(), nil
}

// Void is the empty payload of procedures without args or ret.
type Void struct{}

// AppendBinary appends nothing.
func (Void) AppendBinary(b []byte) ([]byte, error) { return b, nil }

// DecodeXDR decodes nothing.
func (Void) DecodeXDR(*xdr.Decoder) {}

// RawPayload is a payload that is already encoded, appended as it is: what a
// recorder or replayer sends.
type RawPayload []byte

// AppendBinary appends the bytes of p.
func (p RawPayload) AppendBinary(b []byte) ([]byte, error) { return append(b, p...), nil }

// UUID is remote_uuid: 16 raw bytes on the wire, no length and no padding.
type UUID [UUIDSize]byte

// String formats u as libvirt does: 8-4-4-4-12 lowercase hex digits.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}

// MarshalText formats u as String does (so JSON carries the usual form).
func (u UUID) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText parses u as ParseUUID does.
func (u *UUID) UnmarshalText(b []byte) error {
	v, err := ParseUUID(string(b))
	if err != nil {
		return err
	}
	*u = v
	return nil
}

// ErrBadUUID is returned by ParseUUID for text that is not a UUID.
var ErrBadUUID = errors.New("protocol: malformed UUID")

// ParseUUID parses 32 hex digits, which, like libvirt's virUUIDParse, may be
// separated by dashes and surrounded by spaces.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	n := 0
	for ; i < len(s) && n < 2*UUIDSize; i++ {
		c := s[i]
		if c == '-' {
			continue
		}
		v, ok := unhexDigit(c)
		if !ok {
			return UUID{}, fmt.Errorf("%w: %q", ErrBadUUID, s)
		}
		u[n/2] |= v << (4 * (1 - n%2))
		n++
	}
	for ; i < len(s); i++ {
		if s[i] != ' ' {
			return UUID{}, fmt.Errorf("%w: %q", ErrBadUUID, s)
		}
	}
	if n != 2*UUIDSize {
		return UUID{}, fmt.Errorf("%w: %q", ErrBadUUID, s)
	}
	return u, nil
}

func unhexDigit(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// OptionalString is remote_string: a remote_nonnull_string that may be NULL.
// The zero value is NULL; NULL and "" are different values on the wire, and
// both round-trip.
type OptionalString struct {
	Value string
	Valid bool // false: NULL
}

// Some returns a non-NULL OptionalString holding s.
func Some(s string) OptionalString { return OptionalString{Value: s, Valid: true} }

// String returns the value, or "<null>" for NULL, as libvirt prints a NULL
// string in messages.
func (s OptionalString) String() string {
	if !s.Valid {
		return "<null>"
	}
	return s.Value
}

// NonnullDomain is remote_nonnull_domain: a domain's name, UUID and ID. ID is
// -1 for an inactive domain. Its wire size is 4 + pad4(len(Name)) + 16 + 4.
type NonnullDomain struct {
	Name string
	UUID UUID
	ID   int32
}

// minNonnullDomainSize is the wire size of a NonnullDomain with an empty name.
const minNonnullDomainSize = 4 + UUIDSize + 4

// AppendBinary appends the domain, failing if the name is over StringMax.
func (d *NonnullDomain) AppendBinary(b []byte) ([]byte, error) {
	if len(d.Name) > StringMax {
		return b, tooLong("dom.name", len(b), len(d.Name), StringMax)
	}
	return appendNonnullDomain(b, d), nil
}

// appendNonnullDomain appends d without checking limits.
func appendNonnullDomain(b []byte, d *NonnullDomain) []byte {
	b = xdr.AppendString(b, d.Name)
	b = append(b, d.UUID[:]...)
	return xdr.AppendInt32(b, d.ID)
}

// DecodeXDR decodes the domain.
func (d *NonnullDomain) DecodeXDR(dec *xdr.Decoder) {
	d.Name = dec.String("dom.name", StringMax)
	dec.FixedOpaque("dom.uuid", d.UUID[:])
	d.ID = dec.Int32("dom.id")
}

// NonnullNetwork is remote_nonnull_network, which remote_error carries in its
// unused net field.
type NonnullNetwork struct {
	Name string
	UUID UUID
}

// checkString is the limit check message encoders make before appending.
func checkString(field string, at int, s string, limit int) error {
	if len(s) > limit {
		return tooLong(field, at, len(s), limit)
	}
	return nil
}

func tooLong(field string, at, n, limit int) error {
	return &xdr.Error{Field: field, Offset: at, Len: uint64(n), Max: uint64(limit), Err: xdr.ErrTooLong}
}

// appendOptionalString appends a remote_string.
func appendOptionalString(b []byte, s OptionalString) []byte {
	if !s.Valid {
		return xdr.AppendOptional(b, false)
	}
	b = xdr.AppendOptional(b, true)
	return xdr.AppendString(b, s.Value)
}

func decodeOptionalString(d *xdr.Decoder, field string) OptionalString {
	if !d.Optional(field) {
		return OptionalString{}
	}
	return Some(d.String(field, StringMax))
}

func checkOptionalString(field string, at int, s OptionalString) error {
	if s.Valid {
		return checkString(field, at, s.Value, StringMax)
	}
	return nil
}

// appendOptionalDomain appends a remote_domain (a NonnullDomain or NULL).
func appendOptionalDomain(b []byte, d *NonnullDomain) []byte {
	if d == nil {
		return xdr.AppendOptional(b, false)
	}
	return appendNonnullDomain(xdr.AppendOptional(b, true), d)
}

func decodeOptionalDomain(d *xdr.Decoder, field string) *NonnullDomain {
	if !d.Optional(field) {
		return nil
	}
	var dom NonnullDomain
	dom.DecodeXDR(d)
	return &dom
}

func checkOptionalDomain(field string, at int, d *NonnullDomain) error {
	if d != nil {
		return checkString(field, at, d.Name, StringMax)
	}
	return nil
}
