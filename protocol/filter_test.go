package protocol

import (
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/virtwire/virtwire/internal/captures"
)

// nodeDomain is one domain of the shared node.xml as libvirtd 9.0 reported it
// (FACTS §6 table).
type nodeDomain struct {
	name  string
	attrs DomainAttrs
}

func nodeXMLDomains(autostart ...string) []nodeDomain {
	doms := []nodeDomain{
		{"alpha", DomainAttrs{Active: true, Persistent: true, State: DomainRunning}},
		{"bravo", DomainAttrs{Active: true, Persistent: true, State: DomainPaused}},
		{"charlie", DomainAttrs{Persistent: true, State: DomainShutoff, ManagedSave: true}},
		{"delta", DomainAttrs{Persistent: true, State: DomainShutoff, HasSnapshot: true}},
		{"echo", DomainAttrs{Active: true, State: DomainRunning}},
		{"foxtrot", DomainAttrs{Active: true, Persistent: true, State: DomainCrashed}},
		{"golf", DomainAttrs{Persistent: true, State: DomainShutoff}},
		{"hotel", DomainAttrs{Active: true, Persistent: true, State: DomainPMSuspended}},
	}
	for i := range doms {
		if slices.Contains(autostart, doms[i].name) {
			doms[i].attrs.Autostart = true
		}
	}
	return doms
}

// TestFilterMatchesLibvirtd checks FilterDomains against every result of
// python-libvirt's listAllDomains sweep against libvirtd 9.0 (captures/c_py_flags),
// errors included.
func TestFilterMatchesLibvirtd(t *testing.T) {
	results, err := captures.PyFlagResults()
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		var autostart []string
		if i >= 29 { // the last two ran after setAutostart(alpha) and setAutostart(golf)
			autostart = []string{"alpha", "golf"}
		}
		got, err := FilterDomains(ListDomainsFlags(r.Flags), nodeXMLDomains(autostart...), func(d nodeDomain) DomainAttrs { return d.attrs })
		if !r.OK {
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%s: err = %v, want libvirt's error", r.Label, err)
				continue
			}
			want := &Error{Code: ErrorCode(r.Code), Domain: ErrorDomain(r.Domain), Level: ErrorLevel(r.Level),
				Message: Some(r.Message), Str1: optional(r.Str1), Str2: optional(r.Str2), Str3: optional(r.Str3), Int1: r.Int1, Int2: r.Int2}
			if !equalErrors(e, want) {
				t.Errorf("%s: error = %+v, want %+v", r.Label, e, want)
			}
			if !errors.Is(err, ErrInvalidArg) {
				t.Errorf("%s: errors.Is(err, ErrInvalidArg) = false", r.Label)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", r.Label, err)
			continue
		}
		var names, want []string
		for _, d := range got {
			names = append(names, d.name)
		}
		for _, d := range r.Domains {
			want = append(want, d.Name)
		}
		sort.Strings(names)
		sort.Strings(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s (%#x): got %v, want %v", r.Label, r.Flags, names, want)
		}
	}
}

func optional(p *string) OptionalString {
	if p == nil {
		return OptionalString{}
	}
	return Some(*p)
}

func equalErrors(a, b *Error) bool {
	x, err1 := a.AppendBinary(nil)
	y, err2 := b.AppendBinary(nil)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// TestFilterSemantics checks the group rules one by one on a domain of every
// kind, independently of libvirtd's answers.
func TestFilterSemantics(t *testing.T) {
	doms := nodeXMLDomains("alpha")
	attrs := func(d nodeDomain) DomainAttrs { return d.attrs }
	count := func(f ListDomainsFlags) int {
		got, err := FilterDomains(f, doms, attrs)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		return len(got)
	}
	if count(0) != len(doms) {
		t.Errorf("no flags must not filter")
	}
	for _, g := range FilterGroups() {
		// Every bit of a group together keeps everything.
		if n := count(g.Mask()); n != len(doms) {
			t.Errorf("group %v with all its bits kept %d of %d", g, n, len(doms))
		}
		// The bits of a group partition the domains.
		total := 0
		for m := g.Mask(); m != 0; m &= m - 1 {
			total += count(m & -m)
		}
		if total != len(doms) {
			t.Errorf("group %v: its bits select %d domains in all, want %d", g, total, len(doms))
		}
	}
	// Groups combine with AND; impossible combinations are empty, not errors.
	if n := count(ListDomainsInactive | ListDomainsTransient); n != 0 {
		t.Errorf("INACTIVE|TRANSIENT kept %d", n)
	}
	if n := count(ListDomainsActive | ListDomainsPersistent | ListDomainsRunning | ListDomainsAutostart); n != 1 {
		t.Errorf("ACTIVE|PERSISTENT|RUNNING|AUTOSTART kept %d, want 1 (alpha)", n)
	}
	// Unknown bits are an error even with known bits set.
	if _, err := FilterDomains(ListDomainsActive|1<<20, doms, attrs); err == nil {
		t.Errorf("bit 20 accepted")
	}
	var e *Error
	if err := ListDomainsFlags(0xffffffff).Check(); !errors.As(err, &e) || e.Message.Value != "unsupported flags (0xffff0000) in function testConnectListAllDomains" {
		t.Errorf("0xffffffff: %v", err)
	}
}

func TestListDomainsFlagsString(t *testing.T) {
	tests := []struct {
		f    ListDomainsFlags
		want string
	}{
		{0, "0"},
		{ListDomainsActive, "ACTIVE"},
		{3, "ACTIVE|INACTIVE"},
		{ListDomainsNoCheckpoint | ListDomainsPersistent, "PERSISTENT|NO_CHECKPOINT"},
		{1<<30 | 2, "INACTIVE|0x40000000"},
		{0xffffffff, "ACTIVE|INACTIVE|PERSISTENT|TRANSIENT|RUNNING|PAUSED|SHUTOFF|OTHER|MANAGEDSAVE|NO_MANAGEDSAVE|AUTOSTART|NO_AUTOSTART|HAS_SNAPSHOT|NO_SNAPSHOT|HAS_CHECKPOINT|NO_CHECKPOINT|0xffff0000"},
		{1 << 16, "0x10000"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%#x.String() = %q, want %q", uint32(tt.f), got, tt.want)
		}
		if back, err := ParseListDomainsFlags(tt.want); err != nil || back != tt.f {
			t.Errorf("ParseListDomainsFlags(%q) = %#x, %v; want %#x", tt.want, uint32(back), err, uint32(tt.f))
		}
	}
}

func TestParseListDomainsFlags(t *testing.T) {
	tests := []struct {
		in      string
		want    ListDomainsFlags
		wantErr bool
	}{
		{"", 0, false},
		{"3", 3, false},
		{"0x4000", ListDomainsHasCheckpoint, false},
		{"active,persistent", ListDomainsActive | ListDomainsPersistent, false},
		{"VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE | no-snapshot", ListDomainsManagedSave | ListDomainsNoSnapshot, false},
		{"running+paused", ListDomainsRunning | ListDomainsPaused, false},
		{"0xffffffff", 0xffffffff, false},
		{"bogus", 0, true},
		{"0x100000000", 0, true},
		{"12abc", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseListDomainsFlags(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseListDomainsFlags(%q) = %#x, %v; want %#x, error %v", tt.in, uint32(got), err, uint32(tt.want), tt.wantErr)
		}
	}
}

func TestFilterGroups(t *testing.T) {
	var all ListDomainsFlags
	for _, g := range FilterGroups() {
		if all&g.Mask() != 0 {
			t.Errorf("group %v overlaps another", g)
		}
		all |= g.Mask()
	}
	if all != ListDomainsFiltersAll || len(FilterGroups()) != 7 {
		t.Errorf("the 7 groups cover %#x, want %#x", uint32(all), uint32(ListDomainsFiltersAll))
	}
	if GroupManagedSave.String() != "managed save" || FilterGroup(9).String() != "FilterGroup(9)" || FilterGroup(9).Mask() != 0 {
		t.Errorf("FilterGroup names")
	}
}
