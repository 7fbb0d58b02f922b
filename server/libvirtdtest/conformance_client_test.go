package libvirtdtest_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/protocol"
)

// clientListAll dials uri with virtwire's client and lists with each flag
// value: the sorted domains, or the error's fields.
func clientListAll(t *testing.T, uri string, flags []uint32) []string {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, uri)
	if err != nil {
		t.Fatalf("client.Dial(%s): %v", uri, err)
	}
	defer c.Close()
	out := make([]string, len(flags))
	for i, f := range flags {
		doms, err := c.ListAllDomains(ctx, protocol.ListDomainsFlags(f))
		if err != nil {
			var e *protocol.Error
			if !errors.As(err, &e) {
				t.Fatalf("ListAllDomains(%#x): %v", f, err)
			}
			out[i] = fmt.Sprintf("error %+v", *e)
			continue
		}
		slices.SortFunc(doms, func(a, b protocol.NonnullDomain) int { return cmp.Compare(a.Name, b.Name) })
		out[i] = fmt.Sprint(doms)
	}
	return out
}

// TestConformanceClient: virtwire's own client gets the same
// ListAllDomains sets for all 65,536 flag values, and the same errors for
// unknown bits, from the fake as from libvirtd 9.0.
func TestConformanceClient(t *testing.T) {
	p := startPair(t, "testdata/node.xml")
	flags := sweepFlags(1<<16, 1<<30, 1<<31, 0xffffffff)
	real := clientListAll(t, p.real.URI(p.node), flags)
	fake := clientListAll(t, p.fake.URI, flags)
	compareSweep(t, flags, real, fake)
}

// sweepFlags returns every 16-bit ListAllDomains flag value, then extra
// (values with unknown bits, FACTS S6).
func sweepFlags(extra ...uint32) []uint32 {
	flags := make([]uint32, 0, 1<<16+len(extra))
	for f := range uint32(1 << 16) {
		flags = append(flags, f)
	}
	return append(flags, extra...)
}

// compareSweep reports the flag values whose results from libvirtd (real)
// and the fake differ, the first five in full.
func compareSweep(t *testing.T, flags []uint32, real, fake []string) {
	t.Helper()
	bad := 0
	for i := range flags {
		if real[i] != fake[i] {
			if bad++; bad <= 5 {
				t.Errorf("flags %#x:\n real %s\n fake %s", flags[i], real[i], fake[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d flag values differ", bad, len(flags))
	}
}
