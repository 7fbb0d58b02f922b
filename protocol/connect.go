package protocol

import "github.com/virtwire/virtwire/xdr"

// ConnectOpenArgs is remote_connect_open_args (REMOTE_PROC_CONNECT_OPEN, 1).
// Name is the URI the daemon opens, as the client built it (FACTS §10); it
// may be NULL.
type ConnectOpenArgs struct {
	Name  OptionalString
	Flags ConnectFlags
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *ConnectOpenArgs) AppendBinary(b []byte) ([]byte, error) {
	if err := checkOptionalString("name", len(b), a.Name); err != nil {
		return b, err
	}
	b = appendOptionalString(b, a.Name)
	return xdr.AppendUint32(b, uint32(a.Flags)), nil
}

// DecodeXDR decodes the args.
func (a *ConnectOpenArgs) DecodeXDR(d *xdr.Decoder) {
	a.Name = decodeOptionalString(d, "name")
	a.Flags = ConnectFlags(d.Uint32("flags"))
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectOpenArgs) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, a); return err }

// ConnectSupportsFeatureArgs is remote_connect_supports_feature_args
// (REMOTE_PROC_CONNECT_SUPPORTS_FEATURE, 60).
type ConnectSupportsFeatureArgs struct {
	Feature Feature
}

// AppendBinary appends the args. It never fails.
func (a *ConnectSupportsFeatureArgs) AppendBinary(b []byte) ([]byte, error) {
	return xdr.AppendInt32(b, int32(a.Feature)), nil
}

// DecodeXDR decodes the args.
func (a *ConnectSupportsFeatureArgs) DecodeXDR(d *xdr.Decoder) {
	a.Feature = Feature(d.Int32("feature"))
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectSupportsFeatureArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// ConnectSupportsFeatureRet is remote_connect_supports_feature_ret: 1 if
// supported, 0 if not (unknown features answer 0, not an error).
type ConnectSupportsFeatureRet struct {
	Supported int32
}

// AppendBinary appends the reply. It never fails.
func (r *ConnectSupportsFeatureRet) AppendBinary(b []byte) ([]byte, error) {
	return xdr.AppendInt32(b, r.Supported), nil
}

// DecodeXDR decodes the reply.
func (r *ConnectSupportsFeatureRet) DecodeXDR(d *xdr.Decoder) { r.Supported = d.Int32("supported") }

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *ConnectSupportsFeatureRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}

// AuthListRet is remote_auth_list_ret (REMOTE_PROC_AUTH_LIST, 66): the
// authentication types the daemon offers, at most AuthTypeListMax.
type AuthListRet struct {
	Types []AuthType
}

// AppendBinary appends the reply, failing with more than AuthTypeListMax types.
func (r *AuthListRet) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Types) > AuthTypeListMax {
		return b, tooLong("types", len(b), len(r.Types), AuthTypeListMax)
	}
	b = xdr.AppendUint32(b, uint32(len(r.Types)))
	for _, t := range r.Types {
		b = xdr.AppendInt32(b, int32(t))
	}
	return b, nil
}

// DecodeXDR decodes the reply.
func (r *AuthListRet) DecodeXDR(d *xdr.Decoder) {
	r.Types = xdr.DecodeArray(d, "types", AuthTypeListMax, 4, r.Types, func(d *xdr.Decoder) AuthType {
		return AuthType(d.Enum("types"))
	})
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *AuthListRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

// StringRet is the reply of the procedures whose ret is one
// remote_nonnull_string: remote_connect_get_type_ret (type, "TEST" from the
// test driver), remote_connect_get_hostname_ret (hostname) and
// remote_connect_get_uri_ret (uri).
type StringRet struct {
	Value string
}

// AppendBinary appends the reply, failing if the string is over StringMax.
func (r *StringRet) AppendBinary(b []byte) ([]byte, error) {
	if err := checkString("value", len(b), r.Value, StringMax); err != nil {
		return b, err
	}
	return xdr.AppendString(b, r.Value), nil
}

// DecodeXDR decodes the reply.
func (r *StringRet) DecodeXDR(d *xdr.Decoder) { r.Value = d.String("value", StringMax) }

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *StringRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

// Named forms of StringRet, so code reads like the .x file.
type (
	ConnectGetTypeRet     = StringRet // remote_connect_get_type_ret (CONNECT_GET_TYPE, 3)
	ConnectGetHostnameRet = StringRet // remote_connect_get_hostname_ret (CONNECT_GET_HOSTNAME, 59)
	ConnectGetURIRet      = StringRet // remote_connect_get_uri_ret (CONNECT_GET_URI, 110)
)

// Uint64Ret is the reply of the procedures whose ret is one unsigned hyper:
// remote_connect_get_version_ret (hv_ver) and remote_connect_get_lib_version_ret
// (lib_ver, 9000000 for libvirt 9.0.0).
type Uint64Ret struct {
	Value uint64
}

// AppendBinary appends the reply. It never fails.
func (r *Uint64Ret) AppendBinary(b []byte) ([]byte, error) { return xdr.AppendUint64(b, r.Value), nil }

// DecodeXDR decodes the reply.
func (r *Uint64Ret) DecodeXDR(d *xdr.Decoder) { r.Value = d.Uint64("value") }

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *Uint64Ret) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

// Named forms of Uint64Ret.
type (
	ConnectGetVersionRet    = Uint64Ret // remote_connect_get_version_ret (CONNECT_GET_VERSION, 4)
	ConnectGetLibVersionRet = Uint64Ret // remote_connect_get_lib_version_ret (CONNECT_GET_LIB_VERSION, 157)
)

// Int32Value is the payload of the many procedures whose args or ret is one
// int: remote_connect_is_secure_ret (secure), remote_domain_get_autostart_ret
// (autostart), remote_domain_is_active_ret (active),
// remote_domain_is_persistent_ret (persistent),
// remote_domain_has_managed_save_image_ret (result),
// remote_domain_lookup_by_id_args (id), remote_connect_num_of_domains_ret
// (num), the event (de)registration args and callback IDs.
type Int32Value struct {
	Value int32
}

// AppendBinary appends the value. It never fails.
func (v *Int32Value) AppendBinary(b []byte) ([]byte, error) { return xdr.AppendInt32(b, v.Value), nil }

// DecodeXDR decodes the value.
func (v *Int32Value) DecodeXDR(d *xdr.Decoder) { v.Value = d.Int32("value") }

// UnmarshalBinary decodes the value from b, ignoring trailing bytes.
func (v *Int32Value) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, v); return err }

// Named forms of Int32Value.
type (
	ConnectIsSecureRet                          = Int32Value // remote_connect_is_secure_ret (CONNECT_IS_SECURE, 149)
	DomainGetAutostartRet                       = Int32Value // remote_domain_get_autostart_ret (DOMAIN_GET_AUTOSTART, 15)
	DomainIsActiveRet                           = Int32Value // remote_domain_is_active_ret (DOMAIN_IS_ACTIVE, 150)
	DomainIsPersistentRet                       = Int32Value // remote_domain_is_persistent_ret (DOMAIN_IS_PERSISTENT, 151)
	DomainHasManagedSaveImageRet                = Int32Value // remote_domain_has_managed_save_image_ret (183)
	DomainLookupByIDArgs                        = Int32Value // remote_domain_lookup_by_id_args (DOMAIN_LOOKUP_BY_ID, 22)
	ConnectNumOfDomainsRet                      = Int32Value // remote_connect_num_of_domains_ret (CONNECT_NUM_OF_DOMAINS, 51)
	ConnectNumOfDefinedDomainsRet               = Int32Value // remote_connect_num_of_defined_domains_ret (25)
	ConnectDomainEventRegisterAnyArgs           = Int32Value // remote_connect_domain_event_register_any_args (167): eventID
	ConnectDomainEventDeregisterAnyArgs         = Int32Value // remote_connect_domain_event_deregister_any_args (168): eventID
	ConnectDomainEventCallbackRegisterAnyRet    = Int32Value // remote_connect_domain_event_callback_register_any_ret (316): callbackID
	ConnectDomainEventCallbackDeregisterAnyArgs = Int32Value // remote_connect_domain_event_callback_deregister_any_args (317): callbackID
)
