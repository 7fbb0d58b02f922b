package protocol

import "github.com/virtwire/virtwire/xdr"

// Snapshot and checkpoint procedures that virsh's client-side filter uses
// (FACTS §12). REMOTE_DOMAIN_SNAPSHOT_LIST_MAX and
// REMOTE_DOMAIN_CHECKPOINT_LIST_MAX are both 16384 in libvirt 9.0.
const (
	DomainSnapshotListMax   = 16384
	DomainCheckpointListMax = 16384
)

type (
	// DomainSnapshotNumArgs is remote_domain_snapshot_num_args
	// (REMOTE_PROC_DOMAIN_SNAPSHOT_NUM, 187).
	DomainSnapshotNumArgs = DomainFlagsArgs
	// DomainSnapshotNumRet is remote_domain_snapshot_num_ret: num.
	DomainSnapshotNumRet = Int32Value
	// DomainSnapshotListNamesRet is remote_domain_snapshot_list_names_ret (188).
	DomainSnapshotListNamesRet = NamesRet
)

// DomainSnapshotListNamesArgs is remote_domain_snapshot_list_names_args
// (REMOTE_PROC_DOMAIN_SNAPSHOT_LIST_NAMES, 188).
type DomainSnapshotListNamesArgs struct {
	Dom      NonnullDomain
	MaxNames int32
	Flags    uint32
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *DomainSnapshotListNamesArgs) AppendBinary(b []byte) ([]byte, error) {
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, a.MaxNames)
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *DomainSnapshotListNamesArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.MaxNames = d.Int32("maxnames")
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainSnapshotListNamesArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// DomainListAllChildrenArgs is the args of the two "list all" procedures of a
// domain's children: remote_domain_list_all_snapshots_args
// (REMOTE_PROC_DOMAIN_LIST_ALL_SNAPSHOTS, 274) and
// remote_domain_list_all_checkpoints_args
// (REMOTE_PROC_DOMAIN_LIST_ALL_CHECKPOINTS, 413).
type DomainListAllChildrenArgs struct {
	Dom         NonnullDomain
	NeedResults int32
	Flags       uint32
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *DomainListAllChildrenArgs) AppendBinary(b []byte) ([]byte, error) {
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, a.NeedResults)
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *DomainListAllChildrenArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.NeedResults = d.Int32("need_results")
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainListAllChildrenArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// Named forms of DomainListAllChildrenArgs.
type (
	DomainListAllSnapshotsArgs   = DomainListAllChildrenArgs // remote_domain_list_all_snapshots_args (274)
	DomainListAllCheckpointsArgs = DomainListAllChildrenArgs // remote_domain_list_all_checkpoints_args (413)
)

// NonnullDomainChild is remote_nonnull_domain_snapshot and
// remote_nonnull_domain_checkpoint, which have the same layout: the child's
// name and its domain.
type NonnullDomainChild struct {
	Name string
	Dom  NonnullDomain
}

// DomainListAllChildrenRet is remote_domain_list_all_snapshots_ret and
// remote_domain_list_all_checkpoints_ret: at most 16384 children and ret,
// their number.
type DomainListAllChildrenRet struct {
	Children []NonnullDomainChild
	Ret      int32
}

// AppendBinary appends the reply, failing with more than 16384 children or
// a name over StringMax.
func (r *DomainListAllChildrenRet) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Children) > DomainSnapshotListMax {
		return b, tooLong("children", len(b), len(r.Children), DomainSnapshotListMax)
	}
	for i := range r.Children {
		if err := checkString("children.name", len(b), r.Children[i].Name, StringMax); err != nil {
			return b, err
		}
		if err := checkString("children.dom.name", len(b), r.Children[i].Dom.Name, StringMax); err != nil {
			return b, err
		}
	}
	b = xdr.AppendUint32(b, uint32(len(r.Children)))
	for i := range r.Children {
		b = xdr.AppendString(b, r.Children[i].Name)
		b = appendNonnullDomain(b, &r.Children[i].Dom)
	}
	return xdr.AppendInt32(b, r.Ret), nil
}

// DecodeXDR decodes the reply.
func (r *DomainListAllChildrenRet) DecodeXDR(d *xdr.Decoder) {
	r.Children = xdr.DecodeArray(d, "children", DomainSnapshotListMax, 4+minNonnullDomainSize, r.Children,
		func(d *xdr.Decoder) NonnullDomainChild {
			var c NonnullDomainChild
			c.Name = d.String("children.name", StringMax)
			c.Dom.DecodeXDR(d)
			return c
		})
	r.Ret = d.Int32("ret")
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *DomainListAllChildrenRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}

// Named forms of DomainListAllChildrenRet.
type (
	DomainListAllSnapshotsRet   = DomainListAllChildrenRet // remote_domain_list_all_snapshots_ret (274)
	DomainListAllCheckpointsRet = DomainListAllChildrenRet // remote_domain_list_all_checkpoints_ret (413)
)
