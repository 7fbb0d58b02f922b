package protocol

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/virtwire/virtwire/xdr"
)

// Error is remote_error (virNetMessageError), the payload of a REPLY with
// status ERROR, as a Go error. Every field is kept, NULL apart from "", so a
// decoded error re-encodes byte for byte (FACTS §4, §9).
//
// Unwrap returns Code, so errors.Is(err, protocol.ErrNoDomain) matches.
type Error struct {
	Code    ErrorCode       // code: virErrorNumber
	Domain  ErrorDomain     // domain: virErrorDomain, where the error was raised
	Message OptionalString  // message: the text libvirt prints
	Level   ErrorLevel      // level
	Dom     *NonnullDomain  // dom: "unused", always NULL from libvirtd
	Str1    OptionalString  // str1: the message template, or a function name
	Str2    OptionalString  // str2: the detail, or "flags"
	Str3    OptionalString  // str3
	Int1    int32           // int1
	Int2    int32           // int2
	Net     *NonnullNetwork // net: "unused", always NULL from libvirtd
}

// Error returns libvirt's message, as virsh prints it after "error: ".
func (e *Error) Error() string {
	if e.Message.Valid {
		return e.Message.Value
	}
	return fmt.Sprintf("libvirt error %s (%d) from %s (%d)", e.Code.String(), int32(e.Code), e.Domain, int32(e.Domain))
}

// Unwrap returns the error code.
func (e *Error) Unwrap() error { return e.Code }

// AppendBinary appends remote_error, failing if a string is over StringMax.
func (e *Error) AppendBinary(b []byte) ([]byte, error) {
	at := len(b)
	for _, s := range []struct {
		name string
		v    OptionalString
	}{{"error.message", e.Message}, {"error.str1", e.Str1}, {"error.str2", e.Str2}, {"error.str3", e.Str3}} {
		if err := checkOptionalString(s.name, at, s.v); err != nil {
			return b, err
		}
	}
	if err := checkOptionalDomain("error.dom", at, e.Dom); err != nil {
		return b, err
	}
	if e.Net != nil {
		if err := checkString("error.net.name", at, e.Net.Name, StringMax); err != nil {
			return b, err
		}
	}
	b = xdr.AppendInt32(b, int32(e.Code))
	b = xdr.AppendInt32(b, int32(e.Domain))
	b = appendOptionalString(b, e.Message)
	b = xdr.AppendInt32(b, int32(e.Level))
	b = appendOptionalDomain(b, e.Dom)
	b = appendOptionalString(b, e.Str1)
	b = appendOptionalString(b, e.Str2)
	b = appendOptionalString(b, e.Str3)
	b = xdr.AppendInt32(b, e.Int1)
	b = xdr.AppendInt32(b, e.Int2)
	if e.Net == nil {
		return xdr.AppendOptional(b, false), nil
	}
	b = xdr.AppendOptional(b, true)
	b = xdr.AppendString(b, e.Net.Name)
	return append(b, e.Net.UUID[:]...), nil
}

// DecodeXDR decodes remote_error.
func (e *Error) DecodeXDR(d *xdr.Decoder) {
	e.Code = ErrorCode(d.Int32("error.code"))
	e.Domain = ErrorDomain(d.Int32("error.domain"))
	e.Message = decodeOptionalString(d, "error.message")
	e.Level = ErrorLevel(d.Int32("error.level"))
	e.Dom = decodeOptionalDomain(d, "error.dom")
	e.Str1 = decodeOptionalString(d, "error.str1")
	e.Str2 = decodeOptionalString(d, "error.str2")
	e.Str3 = decodeOptionalString(d, "error.str3")
	e.Int1 = d.Int32("error.int1")
	e.Int2 = d.Int32("error.int2")
	e.Net = nil
	if d.Optional("error.net") {
		var n NonnullNetwork
		n.Name = d.String("error.net.name", StringMax)
		d.FixedOpaque("error.net.uuid", n.UUID[:])
		e.Net = &n
	}
}

// UnmarshalBinary decodes remote_error from b, ignoring trailing bytes.
func (e *Error) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, e)
	return err
}

// NewError returns the error libvirt raises with virReportError(code, detail)
// in domain: the message is the code's template applied to the detail, str1
// the template and str2 the detail, int1 and int2 -1, level ERROR (FACTS §9).
// An empty detail gives the bare template as message and str1 and a NULL
// str2, as libvirt's "Domain not found" does.
//
// The template comes from Template; a code without a known template uses
// "%s", so the message is the detail itself.
func NewError(domain ErrorDomain, code ErrorCode, detail string) *Error {
	e := &Error{Code: code, Domain: domain, Level: LevelError, Int1: -1, Int2: -1}
	bare, withInfo := code.Template()
	if detail == "" {
		e.Message, e.Str1 = Some(bare), Some(bare)
		return e
	}
	e.Message = Some(strings.Replace(withInfo, "%s", detail, 1))
	e.Str1 = Some(withInfo)
	e.Str2 = Some(detail)
	return e
}

// Errorf is NewError with a formatted detail.
func Errorf(domain ErrorDomain, code ErrorCode, format string, args ...any) *Error {
	return NewError(domain, code, fmt.Sprintf(format, args...))
}

// UnsupportedFlagsError returns the error libvirt's virCheckFlags raises in
// function when flags has bits outside supported: VIR_ERR_INVALID_ARG with the
// raw message "unsupported flags (0x…) in function …" naming only the unknown
// bits, str1 the function, str2 "flags", int1 = int2 = 0 (FACTS S5, S6).
func UnsupportedFlagsError(domain ErrorDomain, function string, unknown uint32) *Error {
	return &Error{
		Code:    ErrInvalidArg,
		Domain:  domain,
		Message: Some("unsupported flags (0x" + strconv.FormatUint(uint64(unknown), 16) + ") in function " + function),
		Level:   LevelError,
		Str1:    Some(function),
		Str2:    Some("flags"),
	}
}

// CheckFlags returns nil if flags has no bit outside supported, and otherwise
// the UnsupportedFlagsError that virCheckFlags(supported) raises in function.
func CheckFlags(flags, supported uint32, domain ErrorDomain, function string) error {
	if unknown := flags &^ supported; unknown != 0 {
		return UnsupportedFlagsError(domain, function, unknown)
	}
	return nil
}

// ErrorLevel is virErrorLevel.
type ErrorLevel int32

// Error levels.
const (
	LevelNone    ErrorLevel = 0 // VIR_ERR_NONE
	LevelWarning ErrorLevel = 1 // VIR_ERR_WARNING
	LevelError   ErrorLevel = 2 // VIR_ERR_ERROR
)

// String returns the level's name without its VIR_ERR_ prefix, or the number.
func (l ErrorLevel) String() string {
	switch l {
	case LevelNone:
		return "NONE"
	case LevelWarning:
		return "WARNING"
	case LevelError:
		return "ERROR"
	}
	return strconv.Itoa(int(l))
}
