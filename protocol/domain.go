package protocol

import "github.com/virtwire/virtwire/xdr"

// DomainArgs is the args of the procedures that take only a domain:
// remote_domain_get_autostart_args (15), remote_domain_get_info_args (16),
// remote_domain_resume_args (28), remote_domain_suspend_args (34),
// remote_domain_is_active_args (150), remote_domain_is_persistent_args (151).
// It is also the ret of the lookups (remote_domain_lookup_by_*_ret).
type DomainArgs struct {
	Dom NonnullDomain
}

// AppendBinary appends the domain, failing if its name is over StringMax.
func (a *DomainArgs) AppendBinary(b []byte) ([]byte, error) { return a.Dom.AppendBinary(b) }

// DecodeXDR decodes the domain.
func (a *DomainArgs) DecodeXDR(d *xdr.Decoder) { a.Dom.DecodeXDR(d) }

// UnmarshalBinary decodes the domain from b, ignoring trailing bytes.
func (a *DomainArgs) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, a); return err }

// Named forms of DomainArgs.
type (
	DomainGetAutostartArgs = DomainArgs // remote_domain_get_autostart_args (DOMAIN_GET_AUTOSTART, 15)
	DomainGetInfoArgs      = DomainArgs // remote_domain_get_info_args (DOMAIN_GET_INFO, 16)
	DomainResumeArgs       = DomainArgs // remote_domain_resume_args (DOMAIN_RESUME, 28)
	DomainSuspendArgs      = DomainArgs // remote_domain_suspend_args (DOMAIN_SUSPEND, 34)
	DomainIsActiveArgs     = DomainArgs // remote_domain_is_active_args (DOMAIN_IS_ACTIVE, 150)
	DomainIsPersistentArgs = DomainArgs // remote_domain_is_persistent_args (DOMAIN_IS_PERSISTENT, 151)
	DomainLookupByIDRet    = DomainArgs // remote_domain_lookup_by_id_ret (DOMAIN_LOOKUP_BY_ID, 22)
	DomainLookupByNameRet  = DomainArgs // remote_domain_lookup_by_name_ret (DOMAIN_LOOKUP_BY_NAME, 23)
	DomainLookupByUUIDRet  = DomainArgs // remote_domain_lookup_by_uuid_ret (DOMAIN_LOOKUP_BY_UUID, 24)
)

// DomainFlagsArgs is the args of the procedures that take a domain and
// flags: remote_domain_has_managed_save_image_args (183) and
// remote_domain_get_state_args (212; the test driver accepts only flags 0).
type DomainFlagsArgs struct {
	Dom   NonnullDomain
	Flags uint32
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *DomainFlagsArgs) AppendBinary(b []byte) ([]byte, error) {
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *DomainFlagsArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainFlagsArgs) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, a); return err }

// Named forms of DomainFlagsArgs.
type (
	DomainHasManagedSaveImageArgs = DomainFlagsArgs // remote_domain_has_managed_save_image_args (183)
	DomainGetStateArgs            = DomainFlagsArgs // remote_domain_get_state_args (DOMAIN_GET_STATE, 212)
)

// DomainSetAutostartArgs is remote_domain_set_autostart_args
// (REMOTE_PROC_DOMAIN_SET_AUTOSTART, 29).
type DomainSetAutostartArgs struct {
	Dom       NonnullDomain
	Autostart int32
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *DomainSetAutostartArgs) AppendBinary(b []byte) ([]byte, error) {
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	return xdr.AppendInt32(b, a.Autostart), nil
}

// DecodeXDR decodes the args.
func (a *DomainSetAutostartArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Autostart = d.Int32("autostart")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainSetAutostartArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// DomainLookupByNameArgs is remote_domain_lookup_by_name_args
// (REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME, 23).
type DomainLookupByNameArgs struct {
	Name string
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *DomainLookupByNameArgs) AppendBinary(b []byte) ([]byte, error) {
	if err := checkString("name", len(b), a.Name, StringMax); err != nil {
		return b, err
	}
	return xdr.AppendString(b, a.Name), nil
}

// DecodeXDR decodes the args.
func (a *DomainLookupByNameArgs) DecodeXDR(d *xdr.Decoder) { a.Name = d.String("name", StringMax) }

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainLookupByNameArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// DomainLookupByUUIDArgs is remote_domain_lookup_by_uuid_args
// (REMOTE_PROC_DOMAIN_LOOKUP_BY_UUID, 24).
type DomainLookupByUUIDArgs struct {
	UUID UUID
}

// AppendBinary appends the args. It never fails.
func (a *DomainLookupByUUIDArgs) AppendBinary(b []byte) ([]byte, error) {
	return append(b, a.UUID[:]...), nil
}

// DecodeXDR decodes the args.
func (a *DomainLookupByUUIDArgs) DecodeXDR(d *xdr.Decoder) { d.FixedOpaque("uuid", a.UUID[:]) }

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainLookupByUUIDArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// DomainGetStateRet is remote_domain_get_state_ret
// (REMOTE_PROC_DOMAIN_GET_STATE, 212). The test driver reports reason 0 for
// the states its node XML sets (FACTS §13).
type DomainGetStateRet struct {
	State  DomainState
	Reason int32
}

// AppendBinary appends the reply. It never fails.
func (r *DomainGetStateRet) AppendBinary(b []byte) ([]byte, error) {
	b = xdr.AppendInt32(b, int32(r.State))
	return xdr.AppendInt32(b, r.Reason), nil
}

// DecodeXDR decodes the reply.
func (r *DomainGetStateRet) DecodeXDR(d *xdr.Decoder) {
	r.State = DomainState(d.Int32("state"))
	r.Reason = d.Int32("reason")
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *DomainGetStateRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

// DomainGetInfoRet is remote_domain_get_info_ret
// (REMOTE_PROC_DOMAIN_GET_INFO, 16): 32 bytes, since rpcgen sends the
// unsigned char state and unsigned short nrVirtCpu as 4-byte words (FACTS §4).
// Memory sizes are in KiB; CPUTime is in nanoseconds.
type DomainGetInfoRet struct {
	State     uint8
	MaxMem    uint64
	Memory    uint64
	NrVirtCPU uint16
	CPUTime   uint64
}

// AppendBinary appends the reply. It never fails.
func (r *DomainGetInfoRet) AppendBinary(b []byte) ([]byte, error) {
	b = xdr.AppendUint32(b, uint32(r.State))
	b = xdr.AppendUint64(b, r.MaxMem)
	b = xdr.AppendUint64(b, r.Memory)
	b = xdr.AppendUint32(b, uint32(r.NrVirtCPU))
	return xdr.AppendUint64(b, r.CPUTime), nil
}

// DecodeXDR decodes the reply.
func (r *DomainGetInfoRet) DecodeXDR(d *xdr.Decoder) {
	r.State = d.Uint8("state")
	r.MaxMem = d.Uint64("maxMem")
	r.Memory = d.Uint64("memory")
	r.NrVirtCPU = d.Uint16("nrVirtCpu")
	r.CPUTime = d.Uint64("cpuTime")
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *DomainGetInfoRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }
