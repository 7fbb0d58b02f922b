package testdriver

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/virtwire/virtwire/protocol"
)

// identityParams are the typed parameters CONNECT_SET_IDENTITY accepts
// (VIR_CONNECT_IDENTITY_*), sorted by name, with their types.
var identityParams = []struct {
	name string
	typ  protocol.TypedParamType
}{
	{"group-name", protocol.TypedParamString},
	{"process-id", protocol.TypedParamLLong},
	{"process-time", protocol.TypedParamULLong},
	{"sasl-user-name", protocol.TypedParamString},
	{"selinux-context", protocol.TypedParamString},
	{"unix-group-id", protocol.TypedParamULLong},
	{"unix-user-id", protocol.TypedParamULLong},
	{"user-name", protocol.TypedParamString},
	{"x509-distinguished-name", protocol.TypedParamString},
}

var typedParamNames = map[protocol.TypedParamType]string{
	protocol.TypedParamInt: "int", protocol.TypedParamUInt: "uint", protocol.TypedParamLLong: "llong",
	protocol.TypedParamULLong: "ullong", protocol.TypedParamDouble: "double",
	protocol.TypedParamBoolean: "boolean", protocol.TypedParamString: "string",
}

// validateIdentity is virTypedParamsValidate as remoteDispatchConnectSetIdentity
// applies it: the parameters are taken in name order; a name given twice,
// an unknown name or a wrong type is an error. The fake keeps no identity.
func validateIdentity(params []protocol.TypedParam) *protocol.Error {
	sorted := slices.Clone(params)
	slices.SortStableFunc(sorted, func(a, b protocol.TypedParam) int { return cmp.Compare(a.Field, b.Field) })
	for i, p := range sorted {
		if i > 0 && sorted[i-1].Field == p.Field {
			return protocol.Errorf(protocol.FromNone, protocol.ErrInvalidArg, "parameter '%s' occurs multiple times", p.Field)
		}
		k := slices.IndexFunc(identityParams, func(k struct {
			name string
			typ  protocol.TypedParamType
		}) bool {
			return k.name == p.Field
		})
		if k < 0 {
			return protocol.Errorf(protocol.FromNone, protocol.ErrArgumentUnsupported, "parameter '%s' not supported", p.Field)
		}
		if want := identityParams[k].typ; p.Type != want {
			return protocol.NewError(protocol.FromNone, protocol.ErrInvalidArg,
				fmt.Sprintf("invalid type '%s' for parameter '%s', expected '%s'", typedParamNames[p.Type], p.Field, typedParamNames[want]))
		}
	}
	return nil
}
