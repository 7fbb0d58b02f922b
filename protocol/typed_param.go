package protocol

import (
	"fmt"

	"github.com/virtwire/virtwire/xdr"
)

// TypedParamType is virTypedParameterType, the discriminant of
// remote_typed_param_value.
type TypedParamType int32

// Typed parameter types (VIR_TYPED_PARAM_*).
const (
	TypedParamInt     TypedParamType = 1
	TypedParamUInt    TypedParamType = 2
	TypedParamLLong   TypedParamType = 3
	TypedParamULLong  TypedParamType = 4
	TypedParamDouble  TypedParamType = 5
	TypedParamBoolean TypedParamType = 6
	TypedParamString  TypedParamType = 7
)

// ErrBadTypedParam is the error for a typed parameter whose type is not one
// of the seven of TypedParamType: remote_typed_param_value has no default
// arm, so libvirt refuses it too.
var ErrBadTypedParam = fmt.Errorf("protocol: unknown typed parameter type")

// TypedParam is remote_typed_param: a named value of one of seven types.
// Only the field that Type selects is encoded.
type TypedParam struct {
	Field string
	Type  TypedParamType
	I     int32   // INT and BOOLEAN
	UI    uint32  // UINT
	L     int64   // LLONG
	UL    uint64  // ULLONG
	D     float64 // DOUBLE
	S     string  // STRING
}

func (p *TypedParam) check(at int) error {
	if err := checkString("params.field", at, p.Field, StringMax); err != nil {
		return err
	}
	if p.Type < TypedParamInt || p.Type > TypedParamString {
		return fmt.Errorf("%w: %d in %q", ErrBadTypedParam, p.Type, p.Field)
	}
	return checkString("params.value", at, p.S, StringMax)
}

func appendTypedParam(b []byte, p TypedParam) []byte {
	b = xdr.AppendString(b, p.Field)
	b = xdr.AppendInt32(b, int32(p.Type))
	switch p.Type {
	case TypedParamInt, TypedParamBoolean:
		return xdr.AppendInt32(b, p.I)
	case TypedParamUInt:
		return xdr.AppendUint32(b, p.UI)
	case TypedParamLLong:
		return xdr.AppendInt64(b, p.L)
	case TypedParamULLong:
		return xdr.AppendUint64(b, p.UL)
	case TypedParamDouble:
		return xdr.AppendFloat64(b, p.D)
	default:
		return xdr.AppendString(b, p.S)
	}
}

func decodeTypedParam(d *xdr.Decoder) TypedParam {
	var p TypedParam
	p.Field = d.String("params.field", StringMax)
	off := d.Offset()
	p.Type = TypedParamType(d.Int32("params.type"))
	switch p.Type {
	case TypedParamInt, TypedParamBoolean:
		p.I = d.Int32("params.value")
	case TypedParamUInt:
		p.UI = d.Uint32("params.value")
	case TypedParamLLong:
		p.L = d.Int64("params.value")
	case TypedParamULLong:
		p.UL = d.Uint64("params.value")
	case TypedParamDouble:
		p.D = d.Float64("params.value")
	case TypedParamString:
		p.S = d.String("params.value", StringMax)
	default:
		d.Fail(&xdr.Error{Field: "params.type", Offset: off, Len: uint64(uint32(p.Type)), Max: uint64(TypedParamString), Err: xdr.ErrRange})
	}
	return p
}

// ConnectIdentityParamsMax is REMOTE_CONNECT_IDENTITY_PARAMS_MAX.
const ConnectIdentityParamsMax = 20

// ConnectSetIdentityArgs is remote_connect_set_identity_args
// (REMOTE_PROC_CONNECT_SET_IDENTITY, 419), which virtproxyd sends to say
// whom it forwards for.
type ConnectSetIdentityArgs struct {
	Params []TypedParam
	Flags  uint32
}

// AppendBinary appends the args, failing with more than 20 params, an
// unknown type or a string over StringMax.
func (a *ConnectSetIdentityArgs) AppendBinary(b []byte) ([]byte, error) {
	if len(a.Params) > ConnectIdentityParamsMax {
		return b, tooLong("params", len(b), len(a.Params), ConnectIdentityParamsMax)
	}
	for i := range a.Params {
		if err := a.Params[i].check(len(b)); err != nil {
			return b, err
		}
	}
	b = xdr.AppendArray(b, a.Params, appendTypedParam)
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *ConnectSetIdentityArgs) DecodeXDR(d *xdr.Decoder) {
	// The smallest param is an empty field name, the type and a 4-byte value.
	a.Params = xdr.DecodeArray(d, "params", ConnectIdentityParamsMax, 12, a.Params, decodeTypedParam)
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectSetIdentityArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}
