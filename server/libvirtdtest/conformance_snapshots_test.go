package libvirtdtest_test

import (
	"testing"

	"github.com/virtwire/virtwire/protocol"
)

// TestConformanceSnapshotTree: snapshot listing flags on a domain with a
// parent and a child snapshot (roots, leaves, topological order, states)
// answer as libvirtd's.
func TestConformanceSnapshotTree(t *testing.T) {
	p := startPair(t, "testdata/node-virsh.xml")
	u, _ := protocol.ParseUUID("a0000000-0000-4000-8000-000000000005")
	d := protocol.NonnullDomain{Name: "delta", UUID: u, ID: 3}
	var steps []step
	for f := uint32(0); f < 1<<11; f++ {
		steps = append(steps,
			step{fmtLabel("num %#x", f), protocol.ProcDomainSnapshotNum, domFlags(d, f)},
			step{fmtLabel("names %#x", f), protocol.ProcDomainSnapshotListNames, snapNames(d, 5, f)})
		if f&0x400 == 0 || f == 0x400 {
			steps = append(steps, step{fmtLabel("all %#x", f), protocol.ProcDomainListAllSnapshots, children(d, 1, f)})
		}
	}
	p.compare(t, "snapshot tree", openArgs("test://"+p.node, 0), false, steps)
}
