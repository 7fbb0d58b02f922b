package testdriver

import (
	"fmt"

	"github.com/virtwire/virtwire/protocol"
)

// The errors below are the ones libvirtd 9.0 sends, field for field: code,
// domain, message, str1-3, int1-2 (FACTS §9). Each was checked against a
// live daemon by this package's conformance tests.

// errNotOpen is remoteGetHypervisorConn's error for a call before
// CONNECT_OPEN succeeded (FACTS S15, d11).
func errNotOpen() *protocol.Error {
	return protocol.NewError(protocol.FromRPC, protocol.ErrInternalError, "hypervisor connection not open")
}

// errAlreadyOpen is the reply to a second CONNECT_OPEN (d19). libvirtd also
// drops the connection it had open.
func errAlreadyOpen() *protocol.Error {
	return protocol.NewError(protocol.FromRPC, protocol.ErrInternalError, "connection already open")
}

// errNullName is the reply to CONNECT_OPEN with a NULL name on a daemon
// that has only the test driver (d23b).
func errNullName() *protocol.Error {
	return protocol.NewError(protocol.FromRPC, protocol.ErrInternalError, "connection not open")
}

// errNoConnect is VIR_ERR_NO_CONNECT for an open name no driver takes. An
// empty name prints as "<null>", in str2 too (i2).
func errNoConnect(name string) *protocol.Error {
	if name == "" {
		name = "<null>"
	}
	return protocol.NewError(protocol.FromNone, protocol.ErrNoConnect, name)
}

// errNoPath is testOpen's refusal of test:/// (i4).
func errNoPath() *protocol.Error {
	return protocol.NewError(protocol.FromTest, protocol.ErrInvalidArg, "testOpen: supply a path or use test:///default")
}

// errReadOnly is virCheckReadOnlyGoto's error in a public API (FACTS S10).
func errReadOnly(api string) *protocol.Error {
	return protocol.NewError(protocol.FromDomain, protocol.ErrOperationDenied, "read only access prevents "+api)
}

// errNoDomainUUID is testDomObjFromDomain's error: the domain is looked up
// by UUID and the name the client sent is only quoted (FACTS §6 d20).
func errNoDomainUUID(d *protocol.NonnullDomain) *protocol.Error {
	return protocol.Errorf(protocol.FromTest, protocol.ErrNoDomain,
		"no domain with matching uuid '%s' (%s)", d.UUID, d.Name)
}

// errNoDomain is the lookups' bare "Domain not found" (str2 NULL).
func errNoDomain() *protocol.Error {
	return protocol.NewError(protocol.FromTest, protocol.ErrNoDomain, "")
}

// errNotRunning is virDomainObjCheckActive's error.
func errNotRunning() *protocol.Error {
	return protocol.NewError(protocol.FromDomain, protocol.ErrOperationInvalid, "domain is not running")
}

// errTestInternal is virReportError(VIR_ERR_INTERNAL_ERROR) in the test
// driver.
func errTestInternal(format string, args ...any) *protocol.Error {
	return protocol.Errorf(protocol.FromTest, protocol.ErrInternalError, format, args...)
}

// errInvalidArg is virReportInvalidArg / virCheck*Arg in a public API of
// libvirt-domain.c: the raw message, str1 the function, str2 the argument,
// int1 = int2 = 0.
func errInvalidArg(function, arg, message string) *protocol.Error {
	return &protocol.Error{
		Code: protocol.ErrInvalidArg, Domain: protocol.FromDomain, Level: protocol.LevelError,
		Message: protocol.Some(message), Str1: protocol.Some(function), Str2: protocol.Some(arg),
	}
}

// errMustBeNull and errMustNotBeNull are virCheckNullArg and
// virCheckNonNullArg.
func errMustBeNull(function, arg string) *protocol.Error {
	return errInvalidArg(function, arg, fmt.Sprintf("%s in %s must be NULL", arg, function))
}

func errMustNotBeNull(function, arg string) *protocol.Error {
	return errInvalidArg(function, arg, fmt.Sprintf("%s in %s must not be NULL", arg, function))
}

// errExclusiveFlags is VIR_EXCLUSIVE_FLAGS_GOTO in a public API.
func errExclusiveFlags(function, a, b string) *protocol.Error {
	return errInvalidArg(function, "ctl", fmt.Sprintf("Flags '%s' and '%s' are mutually exclusive", a, b))
}

// errRPC is virReportError(VIR_ERR_RPC, "%s", text) in the dispatcher, for
// the checks on max* arguments.
func errRPC(text string) *protocol.Error {
	return protocol.NewError(protocol.FromRPC, protocol.ErrRPC, text)
}

// errTooMany is the dispatcher's refusal of a list longer than its .x limit
// (gendispatch.pl): "Too many domains '16385' for limit '16384'".
func errTooMany(what string, n, limit int) *protocol.Error {
	return protocol.Errorf(protocol.FromRPC, protocol.ErrInternalError, "Too many %s '%d' for limit '%d'", what, n, limit)
}

// errNoMetadata is VIR_ERR_NO_DOMAIN_METADATA from virDomainObjGetMetadata.
func errNoMetadata() *protocol.Error {
	return protocol.NewError(protocol.FromDomain, protocol.ErrNoDomainMetadata, "Requested metadata element is not present")
}

// errUnknownMetadataType is virDomainObjGetMetadata's and
// virDomainDefSetMetadata's refusal of a type past ELEMENT.
func errUnknownMetadataType(t protocol.MetadataType) *protocol.Error {
	return protocol.Errorf(protocol.FromDomain, protocol.ErrInvalidArg, "unknown metadata type '%d'", int32(t))
}

// errTransientConfig is virDomainObjUpdateModificationImpact's refusal of
// AFFECT_CONFIG on a transient domain.
func errTransientConfig() *protocol.Error {
	return protocol.NewError(protocol.FromDomain, protocol.ErrOperationInvalid, "transient domains do not have any persistent config")
}

// errUnsupportedEvent is the dispatcher's refusal of an event ID past the
// last one (VIR_DOMAIN_EVENT_ID_LAST is 27 in libvirt 9.0).
func errUnsupportedEvent(id int32) *protocol.Error {
	return protocol.Errorf(protocol.FromRPC, protocol.ErrInternalError, "unsupported event ID %d", id)
}

// errAlreadyTracked is virObjectEventCallbackListAddID's refusal of a second
// callback for the same event and domain filter.
func errAlreadyTracked() *protocol.Error {
	return protocol.NewError(protocol.FromNone, protocol.ErrInvalidArg, "event callback already tracked")
}

// errCallbackNotRegistered is CALLBACK_DEREGISTER_ANY's error for an unknown
// callback ID.
func errCallbackNotRegistered(id int32) *protocol.Error {
	return protocol.Errorf(protocol.FromRPC, protocol.ErrInternalError, "domain event callback %d not registered", id)
}

// errEventNotRegistered is the legacy DEREGISTER(_ANY)'s error when no
// callback has the event ID.
func errEventNotRegistered(id int32) *protocol.Error {
	return protocol.Errorf(protocol.FromRPC, protocol.ErrInternalError, "domain event %d not registered", id)
}

// errCallbackGone is the error for deregistering a callback that belonged to
// a connection a failed second CONNECT_OPEN dropped.
func errCallbackGone(id int32) *protocol.Error {
	return protocol.Errorf(protocol.FromNone, protocol.ErrInvalidArg, "could not find event callback %d for deletion", id)
}

// errUnsupportedMetadataElement is the fake's own refusal to store
// VIR_DOMAIN_METADATA_ELEMENT, which it does not model.
func errUnsupportedMetadataElement() *protocol.Error {
	return protocol.NewError(protocol.FromTest, protocol.ErrOperationUnsupported, "metadata elements are not supported by the virtwire fake")
}
