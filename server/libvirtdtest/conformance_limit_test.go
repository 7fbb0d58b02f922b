package libvirtdtest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/nodexml"
	"github.com/virtwire/virtwire/protocol"
)

// TestConformanceLimit: with 16,385 domains a listing of all of them is
// refused by the dispatcher ("Too many domains", FACTS §5), whether or not
// the client asked for the domains, while a smaller selection works, and
// virsh reports the refusal the same way for both. (libvirtd parses the
// file again for each connection, which takes it seconds here.)
func TestConformanceLimit(t *testing.T) {
	libvirtd.RequireVirsh(t)
	dir := t.TempDir()
	for _, n := range []int{16385} {
		path := filepath.Join(dir, "node.xml")
		if err := nodexml.Generate(n, 9).WriteFile(path); err != nil {
			t.Fatal(err)
		}
		p := startPair(t, path)
		p.compare(t, "limit", openArgs("test://"+p.node, 0), false, []step{
			{"all", protocol.ProcConnectListAllDomains, listAll(1, 0)},
			{"count all", protocol.ProcConnectListAllDomains, listAll(0, 0)},
			{"active", protocol.ProcConnectListAllDomains, listAll(1, 1)},
			{"num", protocol.ProcConnectNumOfDomains, nil},
			{"ids", protocol.ProcConnectListDomains, i32(16384)},
		})
		for _, args := range [][]string{{"list", "--all", "--name"}} {
			ro, re, rx, _ := libvirtd.Virsh(context.Background(), p.real.URI(p.node), args...)
			fo, fe, fx, _ := libvirtd.Virsh(context.Background(), p.fake.URI, args...)
			if rx != fx || re != fe || ro != fo || rx != 1 {
				t.Errorf("%d domains, virsh %v:\n real exit %d %q (%d bytes)\n fake exit %d %q (%d bytes)", n, args, rx, re, len(ro), fx, fe, len(fo))
			}
		}
	}
}
