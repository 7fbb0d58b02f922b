package testdriver

import (
	"github.com/virtwire/virtwire/protocol"
)

// Flags of the snapshot listing procedures (virDomainSnapshotListFlags).
const (
	snapRoots       = 1 << 0  // VIR_DOMAIN_SNAPSHOT_LIST_ROOTS
	snapMetadata    = 1 << 1  // VIR_DOMAIN_SNAPSHOT_LIST_METADATA
	snapLeaves      = 1 << 2  // VIR_DOMAIN_SNAPSHOT_LIST_LEAVES
	snapNoLeaves    = 1 << 3  // VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES
	snapNoMetadata  = 1 << 4  // VIR_DOMAIN_SNAPSHOT_LIST_NO_METADATA
	snapInactive    = 1 << 5  // VIR_DOMAIN_SNAPSHOT_LIST_INACTIVE
	snapActive      = 1 << 6  // VIR_DOMAIN_SNAPSHOT_LIST_ACTIVE
	snapDiskOnly    = 1 << 7  // VIR_DOMAIN_SNAPSHOT_LIST_DISK_ONLY
	snapInternal    = 1 << 8  // VIR_DOMAIN_SNAPSHOT_LIST_INTERNAL
	snapExternal    = 1 << 9  // VIR_DOMAIN_SNAPSHOT_LIST_EXTERNAL
	snapTopological = 1 << 10 // VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL
	snapAll         = 1<<11 - 1

	// Flags of DOMAIN_LIST_ALL_CHECKPOINTS (virDomainCheckpointListFlags).
	checkpointAll = 0xf // ROOTS | TOPOLOGICAL | LEAVES | NO_LEAVES
)

// snapshots returns the domain's snapshots that pass the listing flags, in
// the domain's order: virDomainSnapshotObjListGetNames over the snapshots a
// node file gives the test driver, which all have metadata and are internal.
func (o *domainObj) filterSnapshots(flags uint32) []Snapshot {
	if flags&(snapMetadata|snapNoMetadata) == snapNoMetadata {
		return nil
	}
	if flags&(snapInternal|snapExternal) == snapExternal {
		return nil
	}
	hasChild := make(map[string]bool, len(o.snapshots))
	for _, s := range o.snapshots {
		if s.Parent != "" {
			hasChild[s.Parent] = true
		}
	}
	var out []Snapshot
	for _, s := range o.snapshots {
		if flags&snapRoots != 0 && s.Parent != "" {
			continue
		}
		// LEAVES and NO_LEAVES together keep nothing.
		if flags&snapLeaves != 0 && hasChild[s.Name] || flags&snapNoLeaves != 0 && !hasChild[s.Name] {
			continue
		}
		if st := flags & (snapInactive | snapActive | snapDiskOnly); st != 0 {
			var bit uint32
			switch s.State {
			case "shutoff":
				bit = snapInactive
			case "disk-snapshot":
				bit = snapDiskOnly
			default:
				bit = snapActive
			}
			if st&bit == 0 {
				continue
			}
		}
		out = append(out, s)
	}
	if flags&snapTopological != 0 {
		out = topological(out)
	}
	return out
}

// topological orders snapshots so that every parent comes before its
// children, keeping node order otherwise (VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL;
// without it libvirt's order is its hash table's, which node order stands
// for).
func topological(snaps []Snapshot) []Snapshot {
	in := make(map[string]bool, len(snaps))
	for _, s := range snaps {
		in[s.Name] = true
	}
	done := make(map[string]bool, len(snaps))
	out := make([]Snapshot, 0, len(snaps))
	for len(out) < len(snaps) {
		progress := false
		for _, s := range snaps {
			if !done[s.Name] && (s.Parent == "" || !in[s.Parent] || done[s.Parent]) {
				done[s.Name] = true
				out = append(out, s)
				progress = true
			}
		}
		if !progress { // a cycle, which Validate refuses; keep the rest as is
			for _, s := range snaps {
				if !done[s.Name] {
					out = append(out, s)
				}
			}
			break
		}
	}
	return out
}

// snapshotNum is DOMAIN_SNAPSHOT_NUM.
func (s *nodeState) snapshotNum(a *protocol.DomainFlagsArgs) (int32, *protocol.Error) {
	if err := checkFlags(a.Flags, snapAll, "testDomainSnapshotNum"); err != nil {
		return 0, err
	}
	var n int32
	err := s.read(&a.Dom, func(o *domainObj) { n = int32(len(o.filterSnapshots(a.Flags))) })
	return n, err
}

// snapshotListNames is DOMAIN_SNAPSHOT_LIST_NAMES, after the dispatcher's
// check of maxnames.
func (s *nodeState) snapshotListNames(a *protocol.DomainSnapshotListNamesArgs) ([]string, *protocol.Error) {
	if err := checkFlags(a.Flags, snapAll, "testDomainSnapshotListNames"); err != nil {
		return nil, err
	}
	names := []string{}
	err := s.read(&a.Dom, func(o *domainObj) {
		for _, sn := range o.filterSnapshots(a.Flags) {
			if len(names) >= int(a.MaxNames) {
				break
			}
			names = append(names, sn.Name)
		}
	})
	return names, err
}

// listAllSnapshots is DOMAIN_LIST_ALL_SNAPSHOTS.
func (s *nodeState) listAllSnapshots(a *protocol.DomainListAllChildrenArgs) (*protocol.DomainListAllChildrenRet, *protocol.Error) {
	if err := checkFlags(a.Flags, snapAll, "testDomainListAllSnapshots"); err != nil {
		return nil, err
	}
	ret := &protocol.DomainListAllChildrenRet{}
	err := s.read(&a.Dom, func(o *domainObj) {
		snaps := o.filterSnapshots(a.Flags)
		ret.Ret = int32(len(snaps))
		if a.NeedResults != 0 {
			ret.Children = make([]protocol.NonnullDomainChild, len(snaps))
			for i, sn := range snaps {
				ret.Children[i] = protocol.NonnullDomainChild{Name: sn.Name, Dom: o.ref()}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if ret.Ret > protocol.DomainSnapshotListMax {
		return nil, errTooMany("domain snapshots", int(ret.Ret), protocol.DomainSnapshotListMax)
	}
	return ret, nil
}

// listAllCheckpoints is DOMAIN_LIST_ALL_CHECKPOINTS. Checkpoints have no
// parents here, so each is a root and a leaf.
func (s *nodeState) listAllCheckpoints(a *protocol.DomainListAllChildrenArgs) (*protocol.DomainListAllChildrenRet, *protocol.Error) {
	if err := checkFlags(a.Flags, checkpointAll, "testDomainListAllCheckpoints"); err != nil {
		return nil, err
	}
	ret := &protocol.DomainListAllChildrenRet{}
	err := s.read(&a.Dom, func(o *domainObj) {
		var names []string
		if a.Flags&snapNoLeaves == 0 { // every checkpoint is a leaf
			names = o.checkpoints
		}
		ret.Ret = int32(len(names))
		if a.NeedResults != 0 {
			ret.Children = make([]protocol.NonnullDomainChild, len(names))
			for i, n := range names {
				ret.Children[i] = protocol.NonnullDomainChild{Name: n, Dom: o.ref()}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if ret.Ret > protocol.DomainCheckpointListMax {
		return nil, errTooMany("domain checkpoints", int(ret.Ret), protocol.DomainCheckpointListMax)
	}
	return ret, nil
}
