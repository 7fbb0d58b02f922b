package nodexml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// parsed mirrors the node XML for reading it back with encoding/xml.
type parsed struct {
	XMLName xml.Name `xml:"node"`
	Memory  uint64   `xml:"memory"`
	Domains []struct {
		Type      string    `xml:"type,attr"`
		Name      string    `xml:"name"`
		UUID      string    `xml:"uuid"`
		Memory    uint64    `xml:"memory"`
		VCPU      int       `xml:"vcpu"`
		Runstate  int       `xml:"http://libvirt.org/schemas/domain/test/1.0 runstate"`
		Transient *struct{} `xml:"http://libvirt.org/schemas/domain/test/1.0 transient"`
		Managed   string    `xml:"http://libvirt.org/schemas/domain/test/1.0 hasmanagedsave"`
		Snapshots []struct {
			Name         string `xml:"name"`
			CreationTime int64  `xml:"creationTime"`
			State        string `xml:"state"`
			Active       int    `xml:"active"`
		} `xml:"http://libvirt.org/schemas/domain/test/1.0 domainsnapshot"`
	} `xml:"domain"`
}

func TestGenerateRoundTrip(t *testing.T) {
	for _, n := range []int{0, 10, 1000, 16384} {
		node := Generate(n, 42)
		if len(node.Domains) != n {
			t.Fatalf("Generate(%d): %d domains", n, len(node.Domains))
		}
		if err := node.Validate(); err != nil {
			t.Fatalf("Generate(%d).Validate() = %v", n, err)
		}
		var p parsed
		if err := xml.Unmarshal(node.Bytes(), &p); err != nil {
			t.Fatalf("Generate(%d): XML does not parse: %v", n, err)
		}
		if len(p.Domains) != n {
			t.Fatalf("Generate(%d): XML has %d domains", n, len(p.Domains))
		}
		for i, d := range node.Domains {
			x := p.Domains[i]
			if x.Type != "test" || x.Name != d.Name || x.UUID != d.UUIDString() || x.Memory != d.MemoryKiB || x.VCPU != d.VCPUs ||
				x.Runstate != int(d.State) || (x.Transient != nil) != d.Transient || (x.Managed != "") != d.ManagedSave ||
				len(x.Snapshots) != len(d.Snapshots) {
				t.Fatalf("Generate(%d) domain %d: XML %+v does not match %+v", n, i, x, d)
			}
			for j, s := range d.Snapshots {
				xs := x.Snapshots[j]
				if xs.Name != s.Name || xs.CreationTime != s.CreationTime || xs.State != s.State || (xs.Active == 1) != s.Current {
					t.Fatalf("domain %d snapshot %d: XML %+v does not match %+v", i, j, xs, s)
				}
			}
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := Generate(1000, 7).Bytes(), Generate(1000, 7).Bytes()
	if !bytes.Equal(a, b) {
		t.Errorf("Generate(1000, 7) differs between calls")
	}
	if c := Generate(1000, 8).Bytes(); bytes.Equal(a, c) {
		t.Errorf("Generate(1000, 7) == Generate(1000, 8)")
	}
	small, big := Generate(10, 7), Generate(1000, 7)
	for i := range small.Domains {
		if !domainEqual(small.Domains[i], big.Domains[i]) {
			t.Errorf("Generate(10, 7) domain %d is not a prefix of Generate(1000, 7)", i)
		}
	}
	if got := Generate(-3, 1); len(got.Domains) != 0 {
		t.Errorf("Generate(-3) has %d domains", len(got.Domains))
	}
	d := Generate(1, 5).Domains[0]
	if d.Name != "s5-dom00000" || d.UUID[6]>>4 != 4 || d.UUID[8]>>6 != 2 {
		t.Errorf("domain 0 = %q %s; want s5-dom00000 with a version-4 UUID", d.Name, d.UUIDString())
	}
}

func domainEqual(a, b Domain) bool {
	return a.Name == b.Name && a.UUID == b.UUID && a.MemoryKiB == b.MemoryKiB && a.VCPUs == b.VCPUs &&
		a.State == b.State && a.Transient == b.Transient && a.ManagedSave == b.ManagedSave && slices.Equal(a.Snapshots, b.Snapshots)
}

// TestGenerateMix checks that every attribute the ListAllDomains filters
// look at (FACTS §12) is present in a 10-domain node, and that a big node
// has every state.
func TestGenerateMix(t *testing.T) {
	count := func(n *Node, f func(Domain) bool) int {
		c := 0
		for _, d := range n.Domains {
			if f(d) {
				c++
			}
		}
		return c
	}
	ten := Generate(10, 1)
	for name, f := range map[string]func(Domain) bool{
		"running":       func(d Domain) bool { return d.State == Running },
		"paused":        func(d Domain) bool { return d.State == Paused },
		"shutoff":       func(d Domain) bool { return d.State == Shutoff },
		"crashed":       func(d Domain) bool { return d.State == Crashed },
		"pmsuspended":   func(d Domain) bool { return d.State == PMSuspended },
		"transient":     func(d Domain) bool { return d.Transient },
		"persistent":    func(d Domain) bool { return !d.Transient },
		"managed save":  func(d Domain) bool { return d.ManagedSave },
		"snapshot":      func(d Domain) bool { return len(d.Snapshots) > 0 },
		"no snapshot":   func(d Domain) bool { return len(d.Snapshots) == 0 },
		"inactive":      func(d Domain) bool { return !d.Active() },
		"other (state)": func(d Domain) bool { return d.State != Running && d.State != Paused && d.State != Shutoff },
	} {
		if count(ten, f) == 0 {
			t.Errorf("Generate(10): no %s domain", name)
		}
	}
	big := Generate(16384, 1)
	for s := NoState; s <= PMSuspended; s++ {
		if c := count(big, func(d Domain) bool { return d.State == s }); c == 0 {
			t.Errorf("Generate(16384): no %v domain", s)
		}
	}
}

func TestIDs(t *testing.T) {
	n := &Node{Domains: []Domain{{State: Running}, {State: Shutoff}, {State: Crashed}, {State: Shutoff}, {State: PMSuspended}}}
	if got, want := n.IDs(), []int{1, -1, 2, -1, 3}; !slices.Equal(got, want) {
		t.Errorf("IDs() = %v; want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	u := func(b byte) [16]byte { return [16]byte{b} }
	tests := []struct {
		name string
		d    []Domain
		want error
	}{
		{"ok", []Domain{{Name: "a", UUID: u(1)}, {Name: "b", UUID: u(2), State: Shutoff, ManagedSave: true}}, nil},
		{"transient shutoff", []Domain{{Name: "a", State: Shutoff, Transient: true}}, ErrTransientShutoff},
		{"managed save running", []Domain{{Name: "a", State: Running, ManagedSave: true}}, ErrManagedSaveRunning},
		{"state 8", []Domain{{Name: "a", State: 8}}, ErrBadState},
		{"state -1", []Domain{{Name: "a", State: -1}}, ErrBadState},
		{"duplicate name", []Domain{{Name: "a", UUID: u(1)}, {Name: "a", UUID: u(2)}}, ErrDuplicateName},
		{"duplicate uuid", []Domain{{Name: "a", UUID: u(1)}, {Name: "b", UUID: u(1)}}, ErrDuplicateUUID},
		{"empty name", []Domain{{}}, ErrEmptyName},
		{"two current snapshots", []Domain{{Name: "a", Snapshots: []Snapshot{{Name: "x", Current: true}, {Name: "y", Current: true}}}}, ErrTooManyCurrent},
		{"duplicate snapshot", []Domain{{Name: "a", Snapshots: []Snapshot{{Name: "x"}, {Name: "x"}}}}, ErrDuplicateName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := &Node{Domains: tt.d}
			err := n.Validate()
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Validate() = %v; want %v", err, tt.want)
			}
		})
	}
	// WriteFile refuses an invalid node and writes nothing.
	p := filepath.Join(t.TempDir(), "bad.xml")
	bad := &Node{Domains: []Domain{{Name: "a", State: Shutoff, Transient: true}}}
	if err := bad.WriteFile(p); !errors.Is(err, ErrTransientShutoff) {
		t.Errorf("WriteFile(invalid) = %v; want ErrTransientShutoff", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteFile(invalid) created %s", p)
	}
}

func TestWriteFileAndEscaping(t *testing.T) {
	n := &Node{Domains: []Domain{{Name: "a<&>'\"b", UUID: [16]byte{0xde, 0xad}, MemoryKiB: 1024, VCPUs: 1, State: Running}}}
	p := filepath.Join(t.TempDir(), "node.xml")
	if err := n.WriteFile(p); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, n.Bytes()) {
		t.Errorf("file content differs from Bytes()")
	}
	var x parsed
	if err := xml.Unmarshal(b, &x); err != nil || x.Domains[0].Name != n.Domains[0].Name {
		t.Errorf("name did not round-trip: %v %+v", err, x)
	}
	if !strings.Contains(string(b), "<uuid>dead0000-0000-0000-0000-000000000000</uuid>") {
		t.Errorf("UUID not formatted as libvirt does:\n%s", b)
	}
	if s := State(9).String(); s != "State(9)" || PMSuspended.String() != "pmsuspended" {
		t.Errorf("State strings: %q %q", s, PMSuspended.String())
	}
}

func BenchmarkGenerate16384(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n := Generate(16384, 1)
		n.WriteTo(discard{})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
