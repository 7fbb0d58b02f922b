package testdriver

import (
	"slices"
	"testing"
)

// TestSnapshotFilters checks the listing flags on a tree given child first:
// roots, leaves, states, and parents before children with TOPOLOGICAL.
func TestSnapshotFilters(t *testing.T) {
	o := &domainObj{snapshots: []Snapshot{
		{Name: "c", Parent: "b", State: "running"},
		{Name: "b", Parent: "a", State: "shutoff"},
		{Name: "a", State: "disk-snapshot"},
		{Name: "x", State: "paused"},
	}}
	names := func(flags uint32) []string {
		var out []string
		for _, s := range o.filterSnapshots(flags) {
			out = append(out, s.Name)
		}
		return out
	}
	for _, tc := range []struct {
		flags uint32
		want  []string
	}{
		{0, []string{"c", "b", "a", "x"}},
		{snapTopological, []string{"a", "x", "b", "c"}},
		{snapRoots, []string{"a", "x"}},
		{snapLeaves, []string{"c", "x"}},
		{snapNoLeaves, []string{"b", "a"}},
		{snapLeaves | snapNoLeaves, nil},
		{snapInactive, []string{"b"}},
		{snapDiskOnly, []string{"a"}},
		{snapActive, []string{"c", "x"}},
		{snapNoMetadata, nil},
		{snapMetadata | snapNoMetadata, []string{"c", "b", "a", "x"}},
		{snapExternal, nil},
		{snapInternal, []string{"c", "b", "a", "x"}},
	} {
		if got := names(tc.flags); !slices.Equal(got, tc.want) {
			t.Errorf("flags %#x: %v; want %v", tc.flags, got, tc.want)
		}
	}
}
