package nodexml

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
)

func strp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// writeNode writes Generate(n, seed) into a fresh directory.
func writeNode(t *testing.T, n int, seed uint64) (*Node, string) {
	t.Helper()
	node := Generate(n, seed)
	p := filepath.Join(t.TempDir(), "node.xml")
	if err := node.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return node, p
}

// TestDaemonLoads has the real test driver load generated nodes and checks
// each single-flag ListAllDomains result against the node's own fields:
// names, UUIDs and IDs, and every filter group (FACTS §12).
func TestDaemonLoads(t *testing.T) {
	libvirtd.RequirePython(t)
	d := libvirtd.Start(t)
	for _, n := range []int{0, 10, 1000} {
		node, path := writeNode(t, n, 3)
		ids := node.IDs()
		pred := []struct {
			flags uint32
			keep  func(Domain) bool
		}{
			{0, func(Domain) bool { return true }},
			{1, Domain.Active},
			{2, func(d Domain) bool { return !d.Active() }},
			{4, func(d Domain) bool { return !d.Transient }},
			{8, func(d Domain) bool { return d.Transient }},
			{16, func(d Domain) bool { return d.State == Running }},
			{32, func(d Domain) bool { return d.State == Paused }},
			{64, func(d Domain) bool { return d.State == Shutoff }},
			{128, func(d Domain) bool { return d.State != Running && d.State != Paused && d.State != Shutoff }},
			{256, func(d Domain) bool { return d.ManagedSave }},
			{512, func(d Domain) bool { return !d.ManagedSave }},
			{4096, func(d Domain) bool { return len(d.Snapshots) > 0 }},
			{8192, func(d Domain) bool { return len(d.Snapshots) == 0 }},
		}
		flags := make([]uint32, len(pred))
		for i, p := range pred {
			flags[i] = p.flags
		}
		got, err := libvirtd.PyListAllDomains(t.Context(), d.URI(path), false, flags)
		if err != nil {
			t.Fatalf("n=%d: PyListAllDomains: %v", n, err)
		}
		for i, p := range pred {
			var want []libvirtd.PyDomain
			for j, dom := range node.Domains {
				if p.keep(dom) {
					want = append(want, libvirtd.PyDomain{Name: dom.Name, UUID: dom.UUIDString(), ID: ids[j]})
				}
			}
			g := got[i]
			if g.Error != nil {
				t.Errorf("n=%d flags %#x: %v", n, p.flags, g.Error)
				continue
			}
			cmp := func(a, b libvirtd.PyDomain) int { return strings.Compare(a.Name, b.Name) }
			slices.SortFunc(want, cmp)
			slices.SortFunc(g.Domains, cmp)
			if !slices.Equal(g.Domains, want) {
				t.Errorf("n=%d flags %#x: daemon listed %d domains, node has %d matching\n got %v\nwant %v",
					n, p.flags, len(g.Domains), len(want), head(g.Domains), head(want))
			}
		}
	}
}

func head(ds []libvirtd.PyDomain) []libvirtd.PyDomain {
	return ds[:min(len(ds), 5)]
}

// TestDaemonLimit loads REMOTE_DOMAIN_LIST_MAX (16384) domains, which virsh
// lists, and one more, which the daemon refuses to return (FACTS §5).
func TestDaemonLimit(t *testing.T) {
	libvirtd.RequireVirsh(t)
	libvirtd.RequirePython(t)
	d := libvirtd.Start(t)

	node, path := writeNode(t, 16384, 9)
	out, errOut, code, err := libvirtd.Virsh(t.Context(), d.URI(path), "list", "--all", "--name")
	if err != nil || code != 0 {
		t.Fatalf("virsh list --all --name (16384): exit %d, %v, %s", code, err, errOut)
	}
	var got []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" {
			got = append(got, l)
		}
	}
	want := make([]string, len(node.Domains))
	for i, dom := range node.Domains {
		want[i] = dom.Name
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("virsh listed %d names; want the %d generated ones", len(got), len(want))
	}

	_, path = writeNode(t, 16385, 9)
	res, err := libvirtd.PyListAllDomains(t.Context(), d.URI(path), false, []uint32{0, 1})
	if err != nil {
		t.Fatalf("PyListAllDomains (16385): %v", err)
	}
	// Seen from libvirtd 9.0.0: VIR_ERR_INTERNAL_ERROR raised by the
	// generated dispatcher (gendispatch.pl), so the template is in str1.
	e := res[0].Error
	msg := "internal error: Too many domains '16385' for limit '16384'"
	if e == nil || e.Code != 1 || e.Domain != 7 || e.Level != 2 || strp(e.Message) != msg ||
		strp(e.Str1) != "internal error: %s" || strp(e.Str2) != "Too many domains '16385' for limit '16384'" ||
		e.Str3 != nil || e.Int1 != -1 || e.Int2 != -1 {
		t.Errorf("ListAllDomains(0) on 16385 domains: %+v; want code 1 domain 7 %q", e, msg)
	}
	// ACTIVE alone is under the limit and works on the same connection.
	if res[1].Error != nil || len(res[1].Domains) == 0 || len(res[1].Domains) > 16384 {
		t.Errorf("ListAllDomains(ACTIVE) on 16385 domains: %d domains, %v", len(res[1].Domains), res[1].Error)
	}
	_, errOut, code, err = libvirtd.Virsh(t.Context(), d.URI(path), "list", "--all", "--name")
	if err != nil || code != 1 || !strings.Contains(errOut, "error: Failed to list domains\nerror: "+msg) {
		t.Errorf("virsh list --all (16385): exit %d, %v, stderr %q", code, err, errOut)
	}
	log, _ := d.Log()
	if !strings.Contains(log, "remoteDispatchConnectListAllDomains") || !strings.Contains(log, msg) {
		t.Errorf("daemon log lacks the dispatcher error:\n%s", log[max(0, len(log)-2000):])
	}
}
