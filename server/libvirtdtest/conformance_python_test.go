package libvirtdtest_test

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
)

// pySweep lists with every 16-bit flag value and a few with unknown bits
// (FACTS S6), and returns the results with domains sorted by name.
func pySweep(t *testing.T, uri string) []libvirtd.PyResult {
	t.Helper()
	flags := sweepFlags(1<<16, 1<<30, 1<<30|1, 1<<31, 0xffffffff, 0xffff0003)
	res, err := libvirtd.PyListAllDomains(context.Background(), uri, false, flags)
	if err != nil {
		t.Fatalf("python listAllDomains on %s: %v", uri, err)
	}
	for _, r := range res {
		slices.SortFunc(r.Domains, func(a, b libvirtd.PyDomain) int { return cmp.Compare(a.Name, b.Name) })
	}
	return res
}

func pyErrEqual(a, b *libvirtd.PyError) bool {
	if a == nil || b == nil {
		return a == b
	}
	s := func(p *string) string {
		if p == nil {
			return "\x00NULL"
		}
		return *p
	}
	return a.Code == b.Code && a.Domain == b.Domain && a.Level == b.Level && s(a.Message) == s(b.Message) &&
		s(a.Str1) == s(b.Str1) && s(a.Str2) == s(b.Str2) && s(a.Str3) == s(b.Str3) && a.Int1 == b.Int1 && a.Int2 == b.Int2
}

// TestConformancePython: python-libvirt's listAllDomains gives the same
// domains (as sets) for all 65,536 flag values, and the same error for
// unknown bits, from the fake as from libvirtd 9.0.
func TestConformancePython(t *testing.T) {
	libvirtd.RequirePython(t)
	for _, node := range []string{"testdata/node.xml", "testdata/node-virsh.xml", "testdata/node-empty.xml"} {
		t.Run(baseName(node), func(t *testing.T) {
			p := startPair(t, node)
			real := pySweep(t, p.real.URI(p.node))
			fake := pySweep(t, p.fake.URI)
			if len(real) != len(fake) {
				t.Fatalf("%d results from libvirtd, %d from the fake", len(real), len(fake))
			}
			bad, errs, nonEmpty := 0, 0, 0
			for i := range real {
				r, f := real[i], fake[i]
				if r.Error != nil {
					errs++
				} else if len(r.Domains) > 0 {
					nonEmpty++
				}
				if r.Flags != f.Flags || !slices.Equal(r.Domains, f.Domains) || !pyErrEqual(r.Error, f.Error) {
					if bad++; bad <= 5 {
						t.Errorf("flags %#x:\n real %+v %v\n fake %+v %v", r.Flags, r.Domains, r.Error, f.Domains, f.Error)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d flag values differ", bad, len(real))
			}
			// The sweep is only meaningful if it saw both lists and errors.
			if errs != 6 || node != "testdata/node-empty.xml" && nonEmpty == 0 {
				t.Errorf("libvirtd gave %d errors and %d non-empty lists", errs, nonEmpty)
			}
		})
	}
}
