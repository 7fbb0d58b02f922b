package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// virtwire runs the command in process and returns what it printed.
func virtwire(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code = run(ctx, args, &out, &errb)
	return out.String(), errb.String(), code
}

// listArgSets are the virsh list option sets the CLI must print
// identically to virsh (FACTS §12; issue #7): every base, every filter and
// every output mode, plus read-only and quiet runs.
func listArgSets() [][]string {
	var out [][]string
	for _, b := range libvirtd.VirshListBases() {
		for _, f := range libvirtd.VirshListFilters() {
			for _, m := range libvirtd.VirshListModes() {
				out = append(out, append(append(append([]string{}, b...), f...), m...))
			}
		}
	}
	return append(out, []string{"-r", "--all"}, []string{"-r", "--all", "--title"}, []string{"-q", "--all"},
		[]string{"-q", "--all", "--title"}, []string{"--table", "--name"}, []string{"--table", "--uuid"},
		[]string{"--table", "--id"}, []string{"--all", "--state-shutoff", "--inactive"}, []string{"-r", "--inactive", "--name"})
}

// virshArgs turns CLI arguments into virsh's: -r and -q are global options
// that come before the command.
func virshArgs(args []string) []string {
	var global, rest []string
	for _, a := range args {
		if a == "-r" || a == "-q" {
			global = append(global, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(append(global, "list"), rest...)
}

// compareWithVirsh runs every option set through virsh and through
// virtwire list against uri and reports the sets whose stdout or exit
// status differ. virsh writes errors as "error: …" lines too, but its
// stderr has two lines where virtwire has one, so only stdout and the exit
// status are compared, and stderr only for being empty or not.
func compareWithVirsh(t *testing.T, name, uri string, argsets [][]string) {
	t.Helper()
	vargs := make([][]string, len(argsets))
	for i, args := range argsets {
		vargs[i] = virshArgs(args)
	}
	want := libvirtd.VirshAll(t, uri, time.Minute, vargs)
	bad := 0
	for i, args := range argsets {
		stdout, stderr, code := virtwire(t, append([]string{"list", "-c", uri}, args...)...)
		w := want[i]
		if stdout != w.Stdout || (code == 0) != (w.Exit == 0) || (stderr == "") != (w.Stderr == "") {
			if bad++; bad <= 5 {
				t.Errorf("%s: list %s:\nvirtwire (exit %d):\n%q\n%q\nvirsh (exit %d):\n%q\n%q", name, strings.Join(args, " "),
					code, stdout, stderr, w.Exit, w.Stdout, w.Stderr)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d option sets differ from virsh", name, bad, len(argsets))
	}
}

// TestListMatchesVirsh is issue #7's golden test: virtwire list and virsh
// list against the same real libvirtd 9.0 print identical bytes, on the
// node XML with every state and on an empty node.
func TestListMatchesVirsh(t *testing.T) {
	libvirtd.Require(t)
	libvirtd.RequireVirsh(t)
	node, err := captures.NodeXML("node.xml")
	if err != nil {
		t.Fatal(err)
	}
	empty, err := captures.NodeXML("node-empty.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := libvirtd.Start(t, libvirtd.WithFileData("node.xml", node), libvirtd.WithFileData("empty.xml", empty))
	argsets := listArgSets()
	compareWithVirsh(t, "node.xml", d.URI(d.File("node.xml")), argsets)
	compareWithVirsh(t, "empty node", d.URI(d.File("empty.xml")), [][]string{{}, {"--all"}, {"--all", "--title"}, {"--name"}, {"--all", "--uuid"}, {"-q", "--all"}})
	compareWithVirsh(t, "test:///default", d.DefaultURI(), [][]string{{}, {"--all", "--title"}, {"--all", "--uuid", "--name", "--id"}})
}

// TestListFallbackMatchesVirsh checks virsh's fallbacks (FACTS §12) against
// a fake libvirtd that lacks CONNECT_LIST_ALL_DOMAINS, or that refuses
// every filter bit but ACTIVE and INACTIVE: virtwire must print what virsh
// prints in both cases.
func TestListFallbackMatchesVirsh(t *testing.T) {
	libvirtd.RequireVirsh(t)
	node, err := captures.NodeXML("node.xml")
	if err != nil {
		t.Fatal(err)
	}
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXMLData(node))
	argsets := [][]string{{}, {"--all"}, {"--inactive", "--name"}, {"--all", "--persistent"}, {"--all", "--transient"},
		{"--all", "--state-running", "--state-paused"}, {"--all", "--with-managed-save"}, {"--all", "--no-autostart"},
		{"--all", "--with-snapshot"}, {"--all", "--without-checkpoint"}, {"--all", "--title"}, {"--state-other", "--uuid"}}
	srv.SetFault(protocol.ProcConnectListAllDomains, libvirtdtest.Fault{Error: protocol.NewError(protocol.FromRPC, protocol.ErrRPC, "unknown procedure: 273")})
	compareWithVirsh(t, "no ListAllDomains", srv.URI, argsets)
	srv.ClearFault(protocol.ProcConnectListAllDomains)
	srv.Handle(protocol.ProcConnectListAllDomains, func(ctx context.Context, c *server.Call, next server.Handler) (protocol.Message, error) {
		var a protocol.ConnectListAllDomainsArgs
		if err := c.Decode(&a); err != nil {
			return nil, err
		}
		if a.Flags&^3 != 0 {
			return nil, protocol.UnsupportedFlagsError(protocol.FromTest, "testConnectListAllDomains", uint32(a.Flags&^3))
		}
		return next(ctx, c)
	})
	compareWithVirsh(t, "filters refused", srv.URI, argsets)
}

// TestListJSON compares --json output with golden files.
func TestListJSON(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"demo-all-fields.json", []string{"list", "-c", "fake:///demo", "--all", "--json", "--fields", "has_snapshot,name,uuid,id,state,persistent,autostart,managed_save"}},
		{"demo-default.json", []string{"list", "-c", "fake:///demo", "--json"}},
		{"demo-names.json", []string{"list", "-c", "fake:///demo", "--inactive", "--json", "--fields", "name"}},
		{"demo-two-hosts.json", []string{"list", "-c", "fake:///demo", "-c", "fake:///default", "--all", "--json", "--fields", "name,id,state"}},
		{"demo-empty.json", []string{"list", "-c", "fake:///demo", "--transient", "--inactive", "--json"}},
	}
	for _, tt := range tests {
		stdout, stderr, code := virtwire(t, tt.args...)
		if code != 0 || stderr != "" {
			t.Errorf("%v: exit %d, stderr %q", tt.args, code, stderr)
			continue
		}
		golden := filepath.Join("testdata", tt.golden)
		if *update {
			if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if stdout != string(want) {
			t.Errorf("%v:\n got %s\nwant %s", tt.args, stdout, want)
		}
	}
}

// TestListManyHosts lists a built-in fake, a real libvirtd and an address
// nobody listens on at once: the two that answer are listed with a host
// column, the third is reported on stderr with its URI, and the exit
// status says that not every host answered.
func TestListManyHosts(t *testing.T) {
	libvirtd.Require(t)
	d := libvirtd.Start(t)
	dead := filepath.Join(t.TempDir(), "nobody-listens")
	deadURI := "test+unix:///default?socket=" + dead
	stdout, stderr, code := virtwire(t, "list", "-c", "fake:///demo", "-c", d.DefaultURI(), "-c", deadURI, "--all", "--parallel", "2", "--timeout", "20s")
	if code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	for _, want := range []string{" Host ", " fake:///demo ", " db-replica ", " " + d.DefaultURI() + " ", " test ", " running"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, dead) {
		t.Errorf("the unreachable host appears on stdout:\n%s", stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], deadURI) || !strings.HasPrefix(lines[0], "error: ") {
		t.Errorf("stderr = %q, want one error line naming %s", stderr, deadURI)
	}
	// The rows of the fake come before those of the real daemon, as given.
	if strings.Index(stdout, "fake:///demo") > strings.Index(stdout, d.DefaultURI()) {
		t.Errorf("hosts not in command-line order:\n%s", stdout)
	}
	// Everything answering: exit 0.
	if _, stderr, code := virtwire(t, "list", "-c", "fake:///demo", "-c", d.DefaultURI()); code != 0 || stderr != "" {
		t.Errorf("two good hosts: exit %d, stderr %q", code, stderr)
	}
}

// TestListErrors checks that failures are one clear line on stderr and a
// non-zero exit, never a stack trace.
func TestListErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"list", "-c", "fake:///demo", "--flags", "0x40000000"}, exitFailure, "error: unsupported flags (0x40000000) in function testConnectListAllDomains\n"},
		{[]string{"list", "-c", "qemu+ssh://host/system"}, exitFailure, "qemu+ssh://host/system"},
		{[]string{"list", "-c", "test+bogus:///default"}, exitFailure, "transport in URL not recognised"},
		{[]string{"list", "-c", "fake:///demo", "--table", "--name"}, exitUsage, "error: Options --table and --name are mutually exclusive\n"},
		{[]string{"list", "--flags", "bogus"}, exitUsage, "unknown flag"},
		{[]string{"list", "--fields", "color", "--json"}, exitUsage, "unknown --fields entry"},
		{[]string{"list", "--no-such-option"}, exitUsage, "flag provided but not defined: -no-such-option"},
		{[]string{"list", "-c", "fake:///no/such/node.xml"}, exitFailure, "no/such/node.xml"},
		{[]string{"frobnicate"}, exitUsage, "unknown command \"frobnicate\""},
	}
	for _, tt := range tests {
		stdout, stderr, code := virtwire(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("%v: a stack trace on stderr: %s", tt.args, stderr)
		}
		if code == exitFailure && strings.Count(strings.TrimSpace(stderr), "\n") > 0 && !strings.Contains(stderr, "Usage") {
			t.Errorf("%v: more than one error line: %q", tt.args, stderr)
		}
		_ = stdout
	}
}

// TestHelp checks that the help of virtwire and of each command lists
// every command and every option.
func TestHelp(t *testing.T) {
	stdout, _, code := virtwire(t, "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d", code)
	}
	for name := range commands() {
		if !strings.Contains(stdout, "  "+name+" ") {
			t.Errorf("virtwire --help lacks %q:\n%s", name, stdout)
		}
		help, _, code := virtwire(t, "help", name)
		if code != 0 || !strings.Contains(help, "Usage: virtwire "+name) {
			t.Errorf("help %s: exit %d\n%s", name, code, help)
		}
		again, _, _ := virtwire(t, name, "--help")
		if again != help {
			t.Errorf("%s --help differs from help %s", name, name)
		}
	}
	help, _, _ := virtwire(t, "help", "list")
	for _, opt := range []string{"-c URI", "--all", "--inactive", "--state-running", "--state-paused", "--state-shutoff", "--state-other",
		"--persistent", "--transient", "--with-managed-save", "--without-managed-save", "--autostart", "--no-autostart",
		"--with-snapshot", "--without-snapshot", "--with-checkpoint", "--without-checkpoint", "--name", "--uuid", "--id",
		"--table", "--title", "--managed-save", "--flags BITS", "--json", "--fields FIELDS", "--parallel N", "--timeout DURATION", "-r"} {
		if !strings.Contains(help, "  "+opt) {
			t.Errorf("help list lacks %q", opt)
		}
	}
	stdout, _, code = virtwire(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "virtwire ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}
