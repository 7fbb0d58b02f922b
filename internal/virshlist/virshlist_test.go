package virshlist

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
)

// node describes domains to put in a test-driver node XML; the test driver
// gives IDs 1, 2, … in order to the ones that are not shut off.
type node struct {
	name        string
	state       protocol.DomainState
	managedSave bool
	title       string
}

func uuidFor(i int) protocol.UUID {
	var u protocol.UUID
	for j := range u {
		u[j] = byte(0x10*(i+1) + j%7)
	}
	return u
}

func nodeXML(doms []node) string {
	var sb strings.Builder
	sb.WriteString("<node>\n")
	for i, d := range doms {
		fmt.Fprintf(&sb, "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>\n<name>")
		xml.EscapeText(&sb, []byte(d.name))
		fmt.Fprintf(&sb, "</name>\n<uuid>%s</uuid>\n", uuidFor(i))
		if d.title != "" {
			sb.WriteString("<title>")
			xml.EscapeText(&sb, []byte(d.title))
			sb.WriteString("</title>\n")
		}
		fmt.Fprintf(&sb, "<memory>131072</memory><vcpu>1</vcpu><os><type>hvm</type></os>\n<test:runstate>%d</test:runstate>\n", d.state)
		if d.managedSave {
			sb.WriteString("<test:hasmanagedsave>yes</test:hasmanagedsave>\n")
		}
		sb.WriteString("</domain>\n")
	}
	sb.WriteString("</node>\n")
	return sb.String()
}

func rowsFor(doms []node) []Row {
	var rows []Row
	next := int32(1)
	for i, d := range doms {
		r := Row{Name: d.name, UUID: uuidFor(i), ID: -1, State: d.state, ManagedSave: d.managedSave, Title: d.title}
		if d.state != protocol.DomainShutoff {
			r.ID = next
			next++
		}
		rows = append(rows, r)
	}
	return rows
}

var nodes = map[string][]node{
	"mixed": {
		{"alpha", protocol.DomainRunning, false, "Alpha title"},
		{"verylongdomainname-xyz", protocol.DomainRunning, false, ""},
		{"Bravo", protocol.DomainShutoff, false, "tab\there"},
		{"charlie", protocol.DomainShutoff, true, `back\x slash`},
		{"delta", protocol.DomainPaused, false, "gé 中文 😀 \u0301x"},
		{"echo", protocol.DomainCrashed, false, ""},
		{"foxtrot", protocol.DomainPMSuspended, false, ""},
		{"golf", protocol.DomainShutdown, false, ""},
		{"hotel", protocol.DomainBlocked, false, ""},
		{"india", protocol.DomainNoState, false, ""},
		{"ALPHA2", protocol.DomainShutoff, false, ""},
	},
	"empty": nil,
}

var optionSets = []struct {
	args []string
	opts Options
	all  bool
}{
	{[]string{"--all"}, Options{}, true},
	{nil, Options{}, false},
	{[]string{"--all", "--title"}, Options{Title: true}, true},
	{[]string{"--title"}, Options{Title: true}, false},
	{[]string{"--all", "--managed-save"}, Options{ManagedSave: true}, true},
	{[]string{"--all", "--name"}, Options{Name: true}, true},
	{[]string{"--all", "--uuid"}, Options{UUID: true}, true},
	{[]string{"--all", "--id"}, Options{ID: true}, true},
	{[]string{"--all", "--id", "--name"}, Options{ID: true, Name: true}, true},
	{[]string{"--all", "--name", "--uuid", "--id"}, Options{ID: true, Name: true, UUID: true}, true},
	{[]string{"--all", "--name", "--title"}, Options{Name: true, Title: true}, true},
	{[]string{"--all", "--table"}, Options{}, true},
}

// TestMatchesVirsh prints each node with each option set and requires the
// bytes virsh 9.0 prints for the same domains (test driver in process).
func TestMatchesVirsh(t *testing.T) {
	libvirtd.RequireVirsh(t)
	dir := t.TempDir()
	for name, doms := range nodes {
		path := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(path, []byte(nodeXML(doms)), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, set := range optionSets {
			for _, quiet := range []bool{false, true} {
				args := append([]string{"-c", "test://" + path}, set.args...)
				if quiet {
					args = append([]string{"-q"}, args...)
				}
				// virsh's global options come before the command.
				args = append(args[:len(args)-len(set.args)], append([]string{"list"}, set.args...)...)
				want := runVirsh(t, args)
				var rows []Row
				for _, r := range rowsFor(doms) {
					if set.all || r.ID != -1 {
						rows = append(rows, r)
					}
				}
				Sort(rows)
				opts := set.opts
				opts.Quiet = quiet
				var got bytes.Buffer
				if err := Write(&got, rows, opts); err != nil {
					t.Fatal(err)
				}
				if got.String() != want {
					t.Errorf("%s: virsh %s:\n got %q\nwant %q", name, strings.Join(args, " "), got.String(), want)
				}
			}
		}
	}
}

func runVirsh(t *testing.T, args []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, libvirtd.VirshPath(), args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C.UTF-8", "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_CACHE_HOME=" + home, "XDG_RUNTIME_DIR=" + home, "LIBVIRT_AUTOSTART=0"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("virsh %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

func TestSort(t *testing.T) {
	rows := []Row{
		{Name: "b", ID: -1}, {Name: "x", ID: 10}, {Name: "A", ID: -1}, {Name: "y", ID: 2},
		{Host: "h2", Name: "z", ID: 1}, {Name: "c", ID: -1},
	}
	Sort(rows)
	var got []string
	for _, r := range rows {
		got = append(got, r.Host+"/"+r.Name)
	}
	if want := "/y,/x,/A,/b,/c,h2/z"; strings.Join(got, ",") != want {
		t.Errorf("Sort = %s, want %s", strings.Join(got, ","), want)
	}
}

func TestHostColumn(t *testing.T) {
	rows := []Row{{Host: "qemu+tls://a/system", Name: "web", ID: 3, State: protocol.DomainRunning}, {Host: "b", Name: "db", ID: -1, State: protocol.DomainShutoff}}
	var buf bytes.Buffer
	Write(&buf, rows, Options{Host: true})
	want := " Host                  Id   Name   State\n" +
		"---------------------------------------------\n" +
		" qemu+tls://a/system   3    web    running\n" +
		" b                     -    db     shut off\n\n"
	if buf.String() != want {
		t.Errorf("got\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	Write(&buf, rows, Options{Host: true, Name: true})
	if want := "qemu+tls://a/system web\nb db\n\n"; buf.String() != want {
		t.Errorf("plain with hosts = %q, want %q", buf.String(), want)
	}
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"abc": 3, "中文": 4, "é": 1, "e\u0301": 1, "😀": 2, `\x09`: 4, "\u00ad": 1} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
	if got := sanitize("a\tb\\xc\\q\x7f"); got != `a\x09b\x5cxc\q\x7f` {
		t.Errorf("sanitize = %q", got)
	}
}
