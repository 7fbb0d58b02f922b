package protocol

import "github.com/virtwire/virtwire/xdr"

type (
	// ConnectGetCapabilitiesRet is remote_connect_get_capabilities_ret
	// (REMOTE_PROC_CONNECT_GET_CAPABILITIES, 7): the capabilities XML.
	ConnectGetCapabilitiesRet = StringRet
	// ConnectGetSysinfoArgs is remote_connect_get_sysinfo_args
	// (REMOTE_PROC_CONNECT_GET_SYSINFO, 203): flags.
	ConnectGetSysinfoArgs = Uint32Value
	// ConnectGetSysinfoRet is remote_connect_get_sysinfo_ret: the sysinfo XML.
	ConnectGetSysinfoRet = StringRet
	// ConnectGetMaxVcpusRet is remote_connect_get_max_vcpus_ret: max_vcpus.
	ConnectGetMaxVcpusRet = Int32Value
	// DomainGetMaxMemoryArgs is remote_domain_get_max_memory_args
	// (REMOTE_PROC_DOMAIN_GET_MAX_MEMORY, 17).
	DomainGetMaxMemoryArgs = DomainArgs
	// DomainGetMaxMemoryRet is remote_domain_get_max_memory_ret: memory in KiB.
	DomainGetMaxMemoryRet = Uint64Ret
)

// Uint32Value is the payload of procedures whose args or ret is one unsigned
// int, such as remote_connect_get_sysinfo_args (flags).
type Uint32Value struct {
	Value uint32
}

// AppendBinary appends the value. It never fails.
func (v *Uint32Value) AppendBinary(b []byte) ([]byte, error) {
	return xdr.AppendUint32(b, v.Value), nil
}

// DecodeXDR decodes the value.
func (v *Uint32Value) DecodeXDR(d *xdr.Decoder) { v.Value = d.Uint32("value") }

// UnmarshalBinary decodes the value from b, ignoring trailing bytes.
func (v *Uint32Value) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, v); return err }

// ConnectGetMaxVcpusArgs is remote_connect_get_max_vcpus_args
// (REMOTE_PROC_CONNECT_GET_MAX_VCPUS, 5): a hypervisor type, which may be
// NULL.
type ConnectGetMaxVcpusArgs struct {
	Type OptionalString
}

// AppendBinary appends the args, failing if the type is over StringMax.
func (a *ConnectGetMaxVcpusArgs) AppendBinary(b []byte) ([]byte, error) {
	if err := checkOptionalString("type", len(b), a.Type); err != nil {
		return b, err
	}
	return appendOptionalString(b, a.Type), nil
}

// DecodeXDR decodes the args.
func (a *ConnectGetMaxVcpusArgs) DecodeXDR(d *xdr.Decoder) { a.Type = decodeOptionalString(d, "type") }

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectGetMaxVcpusArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// NodeGetInfoRet is remote_node_get_info_ret (REMOTE_PROC_NODE_GET_INFO, 6),
// always 160 bytes: model is char[32], a fixed vector of XDR chars that take
// 4 bytes each (sign-extended), then memory in KiB and six ints.
type NodeGetInfoRet struct {
	Model   [32]byte // NUL-padded
	Memory  uint64
	CPUs    int32
	MHz     int32
	Nodes   int32
	Sockets int32
	Cores   int32
	Threads int32
}

// ModelString returns Model up to its first NUL.
func (r *NodeGetInfoRet) ModelString() string {
	for i, c := range r.Model {
		if c == 0 {
			return string(r.Model[:i])
		}
	}
	return string(r.Model[:])
}

// AppendBinary appends the reply. It never fails.
func (r *NodeGetInfoRet) AppendBinary(b []byte) ([]byte, error) {
	for _, c := range r.Model {
		b = xdr.AppendInt32(b, int32(int8(c)))
	}
	b = xdr.AppendUint64(b, r.Memory)
	for _, v := range [...]int32{r.CPUs, r.MHz, r.Nodes, r.Sockets, r.Cores, r.Threads} {
		b = xdr.AppendInt32(b, v)
	}
	return b, nil
}

// DecodeXDR decodes the reply. A model word that is not a sign-extended
// byte is an xdr.ErrRange error, so that accepted input re-encodes
// identically.
func (r *NodeGetInfoRet) DecodeXDR(d *xdr.Decoder) {
	for i := range r.Model {
		off := d.Offset()
		v := d.Int32("model")
		if v < -128 || v > 127 {
			d.Fail(&xdr.Error{Field: "model", Offset: off, Len: uint64(uint32(v)), Max: 127, Err: xdr.ErrRange})
		}
		r.Model[i] = byte(int8(v))
	}
	r.Memory = d.Uint64("memory")
	r.CPUs = d.Int32("cpus")
	r.MHz = d.Int32("mhz")
	r.Nodes = d.Int32("nodes")
	r.Sockets = d.Int32("sockets")
	r.Cores = d.Int32("cores")
	r.Threads = d.Int32("threads")
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *NodeGetInfoRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

type (
	// DomainCreateArgs is remote_domain_create_args (REMOTE_PROC_DOMAIN_CREATE, 9).
	DomainCreateArgs = DomainArgs
	// DomainDestroyArgs is remote_domain_destroy_args (REMOTE_PROC_DOMAIN_DESTROY, 12).
	DomainDestroyArgs = DomainArgs
	// DomainShutdownArgs is remote_domain_shutdown_args (REMOTE_PROC_DOMAIN_SHUTDOWN, 33).
	DomainShutdownArgs = DomainArgs
	// DomainManagedSaveArgs is remote_domain_managed_save_args
	// (REMOTE_PROC_DOMAIN_MANAGED_SAVE, 182).
	DomainManagedSaveArgs = DomainFlagsArgs
	// DomainManagedSaveRemoveArgs is remote_domain_managed_save_remove_args
	// (REMOTE_PROC_DOMAIN_MANAGED_SAVE_REMOVE, 184).
	DomainManagedSaveRemoveArgs = DomainFlagsArgs
	// ConnectDomainEventRegisterRet is remote_connect_domain_event_register_ret
	// (REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER, 105): cb_registered, which
	// libvirtd 9.0 always sends as 0. DEREGISTER (106) has the same ret.
	ConnectDomainEventRegisterRet = Int32Value
	// AuthSASLInitRet is remote_auth_sasl_init_ret (REMOTE_PROC_AUTH_SASL_INIT,
	// 67): the mechanism list.
	AuthSASLInitRet = StringRet
	// AuthPolkitRet is remote_auth_polkit_ret (REMOTE_PROC_AUTH_POLKIT, 70): complete.
	AuthPolkitRet = Int32Value
)
