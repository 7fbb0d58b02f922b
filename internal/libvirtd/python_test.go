package libvirtd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// captured is one entry of testdata/c_py_flags_results.json, a copy of
// captures/c_py_flags/results.json (python-libvirt against libvirtd 9.0.0
// with setup/node.xml).
type captured struct {
	Label   string     `json:"label"`
	Flags   uint32     `json:"flags"`
	OK      bool       `json:"ok"`
	Domains []PyDomain `json:"domains"`
	PyError
}

func loadCaptured(t *testing.T) []captured {
	t.Helper()
	b, err := os.ReadFile("testdata/c_py_flags_results.json")
	if err != nil {
		t.Fatal(err)
	}
	var out []captured
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedDomains(ds []PyDomain) []PyDomain {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b PyDomain) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func strp(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestPythonMatchesCapture replays every flags value of the c_py_flags
// capture through the helper and compares with what was recorded. The
// order of domains is arbitrary per daemon (FACTS S4), so sets are
// compared; errors are compared field by field.
func TestPythonMatchesCapture(t *testing.T) {
	RequirePython(t)
	d := Start(t, WithFile("testdata/node.xml"))
	var want []captured
	for _, c := range loadCaptured(t) {
		if strings.Contains(c.Label, "after setAutostart") {
			continue // state changed by the capture's own setAutostart calls
		}
		want = append(want, c)
	}
	flags := make([]uint32, len(want))
	for i, c := range want {
		flags[i] = c.Flags
	}
	got, err := PyListAllDomains(t.Context(), d.URI(d.File("node.xml")), false, flags)
	if err != nil {
		t.Fatalf("PyListAllDomains: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d results; want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Flags != w.Flags {
			t.Errorf("result %d: flags %#x; want %#x", i, g.Flags, w.Flags)
			continue
		}
		if w.OK {
			if g.Error != nil {
				t.Errorf("flags %#x (%s): error %v; want %d domains", w.Flags, w.Label, g.Error, len(w.Domains))
			} else if !slices.Equal(sortedDomains(g.Domains), sortedDomains(w.Domains)) {
				t.Errorf("flags %#x (%s): domains %v; want %v", w.Flags, w.Label, g.Domains, w.Domains)
			}
			continue
		}
		if g.Error == nil {
			t.Errorf("flags %#x (%s): domains %v; want error %q", w.Flags, w.Label, g.Domains, strp(w.Message))
			continue
		}
		e := g.Error
		if e.Code != w.Code || e.Domain != w.Domain || e.Level != w.Level || e.Int1 != w.Int1 || e.Int2 != w.Int2 ||
			strp(e.Message) != strp(w.Message) || strp(e.Str1) != strp(w.Str1) || strp(e.Str2) != strp(w.Str2) || strp(e.Str3) != strp(w.Str3) {
			t.Errorf("flags %#x (%s): error %+v\nwant %+v", w.Flags, w.Label, *e, w.PyError)
		}
	}
	// The one the brief names explicitly: 1<<16, the first undefined bit.
	i := slices.Index(flags, 0x10000)
	if i < 0 || got[i].Error == nil || strp(got[i].Error.Message) != "unsupported flags (0x10000) in function testConnectListAllDomains" {
		t.Errorf("flags 0x10000: %+v; want the unsupported-flags error", got[i])
	}
}

// TestPythonAllFlags sends every 16-bit flags value through one python
// process. All are defined bits, so none may fail; setting both bits of a
// pair must equal setting neither (FACTS §12).
func TestPythonAllFlags(t *testing.T) {
	RequirePython(t)
	d := Start(t, WithFile("testdata/node.xml"))
	flags := make([]uint32, 1<<16)
	for i := range flags {
		flags[i] = uint32(i)
	}
	all := map[PyDomain]bool{}
	for _, c := range loadCaptured(t) {
		if c.Flags == 0 {
			for _, dom := range c.Domains {
				all[dom] = true
			}
		}
	}
	byFlags := make([][]PyDomain, len(flags))
	n := 0
	err := PyListAllDomainsFunc(t.Context(), d.ROURI(d.File("node.xml")), true, flags, func(r PyResult) error {
		if r.Error != nil {
			return fmt.Errorf("flags %#x: %w", r.Flags, r.Error)
		}
		for _, dom := range r.Domains {
			if !all[dom] {
				t.Errorf("flags %#x: unknown domain %+v", r.Flags, dom)
			}
		}
		byFlags[r.Flags] = sortedDomains(r.Domains)
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("PyListAllDomainsFunc: %v", err)
	}
	if n != len(flags) {
		t.Fatalf("%d results; want %d", n, len(flags))
	}
	if len(byFlags[0]) != 8 {
		t.Errorf("flags 0: %d domains; want 8", len(byFlags[0]))
	}
	pairs := []uint32{0x3, 0xc, 0x300, 0xc00, 0x3000, 0xc000}
	for f := range uint32(1 << 16) {
		for _, p := range pairs {
			if f&p == p && !slices.Equal(byFlags[f], byFlags[f&^p]) {
				t.Errorf("flags %#x gave %v but %#x gave %v", f, byFlags[f], f&^p, byFlags[f&^p])
			}
		}
	}
}

func TestPythonEmptyNodeAndErrors(t *testing.T) {
	RequirePython(t)
	empty, err := os.ReadFile("testdata/node.xml")
	if err != nil {
		t.Fatal(err)
	}
	// A node with its domains cut out, as setup/node-empty.xml.
	s := string(empty)
	s = s[:strings.Index(s, "  <domain")] + "</node>\n"
	d := Start(t, WithFileData("empty.xml", []byte(s)))
	got, err := PyListAllDomains(t.Context(), d.URI("empty.xml"), false, []uint32{0, 3})
	if err != nil {
		t.Fatalf("PyListAllDomains(empty): %v", err)
	}
	if len(got) != 2 || len(got[0].Domains) != 0 || got[0].Error != nil || len(got[1].Domains) != 0 {
		t.Errorf("empty node: %+v; want two empty lists", got)
	}

	// An open failure comes back as a *PyError.
	_, err = PyListAllDomains(t.Context(), d.URI("/nonexistent/node.xml"), false, []uint32{0})
	var pe *PyError
	if !errors.As(err, &pe) || pe.Code != 27 || pe.Domain != 12 || !strings.Contains(strp(pe.Message), "failed to parse xml document '/nonexistent/node.xml'") {
		t.Errorf("open of a missing file: %v; want *PyError code 27 (XML_ERROR) domain 12 (TEST)", err)
	}

	// A cancelled context stops the run.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := PyListAllDomains(ctx, d.URI("empty.xml"), false, []uint32{0}); err == nil {
		t.Errorf("PyListAllDomains with a cancelled context: nil error")
	}
}
