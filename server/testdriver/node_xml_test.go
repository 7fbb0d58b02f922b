package testdriver

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/virtwire/virtwire/protocol"
)

func uuidOf(b byte) protocol.UUID {
	var u protocol.UUID
	for i := range u {
		u[i] = b
	}
	return u
}

// TestLoadNodeXML loads the node of the captures (FACTS §6) and checks each
// domain against the table there.
func TestLoadNodeXML(t *testing.T) {
	n, err := LoadNodeXML("testdata/node.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name        string
		id          int32
		state       protocol.DomainState
		transient   bool
		managedSave bool
		snapshots   int
		memory      uint64
		vcpus       int
	}{
		{"alpha", 1, protocol.DomainRunning, false, false, 0, 1048576, 1},
		{"bravo", 2, protocol.DomainPaused, false, false, 0, 524288, 2},
		{"charlie", -1, protocol.DomainShutoff, false, true, 0, 262144, 1},
		{"delta", -1, protocol.DomainShutoff, false, false, 1, 262144, 1},
		{"echo", 3, protocol.DomainRunning, true, false, 0, 131072, 1},
		{"foxtrot", 4, protocol.DomainCrashed, false, false, 0, 131072, 1},
		{"golf", -1, protocol.DomainShutoff, false, false, 0, 131072, 1},
		{"hotel", 5, protocol.DomainPMSuspended, false, false, 0, 131072, 1},
	}
	if len(n.Domains) != len(want) {
		t.Fatalf("got %d domains, want %d", len(n.Domains), len(want))
	}
	for i, w := range want {
		d := n.Domains[i]
		if d.Name != w.name || d.UUID != uuidOf(byte(0x11*(i+1))) || d.ID != w.id || d.State != w.state ||
			d.Transient != w.transient || d.ManagedSave != w.managedSave || len(d.Snapshots) != w.snapshots ||
			d.MemoryKiB != w.memory || d.CurrentMemoryKiB != w.memory || d.VCPUs != w.vcpus || d.Reason != 0 {
			t.Errorf("domain %d = %+v; want %+v", i, d, w)
		}
	}
	snap := Snapshot{Name: "snap1", CreationTime: 1700000000, State: "shutoff", Current: true}
	if got := n.Domains[3].Snapshots[0]; got != snap {
		t.Errorf("delta's snapshot = %+v; want %+v", got, snap)
	}
	info := NodeInfo{Model: "i686", MemoryKiB: 8388608, CPUs: 4, MHz: 2000, Nodes: 1, Sockets: 1, Cores: 4, Threads: 1}
	if n.Info != info {
		t.Errorf("info = %+v; want %+v", n.Info, info)
	}
	if err := n.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadNodeXMLEmpty(t *testing.T) {
	n, err := LoadNodeXML("testdata/node-empty.xml")
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Domains) != 0 {
		t.Errorf("got %d domains", len(n.Domains))
	}
}

const ns = ` xmlns:test='http://libvirt.org/schemas/domain/test/1.0'`

func domainXML(inner string) string {
	return `<domain type='test'` + ns + `><name>a</name><memory>1024</memory><os><type>hvm</type></os>` + inner + `</domain>`
}

// TestParseNodeXMLErrors checks the files libvirtd 9.0 refuses, with the
// error it reports for each (seen on the wire when CONNECT_OPEN opened
// them).
func TestParseNodeXMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, xml string
		code      protocol.ErrorCode
		domain    protocol.ErrorDomain
		msg       string
	}{
		{"runstate 8", domainXML(`<test:runstate>8</test:runstate>`), protocol.ErrXMLError, protocol.FromTest, "XML error: runstate '8' out of range'"},
		{"runstate -1", domainXML(`<test:runstate>-1</test:runstate>`), protocol.ErrXMLError, protocol.FromTest, "XML error: runstate '-1' out of range'"},
		{"runstate x", domainXML(`<test:runstate>x</test:runstate>`), protocol.ErrXMLError, protocol.FromTest, "XML error: invalid runstate"},
		{"runstate trailing", domainXML(`<test:runstate>3 </test:runstate>`), protocol.ErrXMLError, protocol.FromTest, "XML error: invalid runstate"},
		{"transient shutoff", domainXML(`<test:runstate>5</test:runstate><test:transient/>`), protocol.ErrXMLError, protocol.FromTest,
			"XML error: transient domain cannot have runstate 'shutoff'"},
		{"managed save running", domainXML(`<test:hasmanagedsave>no</test:hasmanagedsave>`), protocol.ErrXMLError, protocol.FromTest,
			"XML error: domain with managedsave data can only have runstate 'shutoff'"},
		{"no type", `<domain><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain>`, protocol.ErrInternalError,
			protocol.FromDomain, "internal error: missing domain type attribute"},
		{"no name", `<domain type='test'><memory>1024</memory><os><type>hvm</type></os></domain>`, protocol.ErrNoName,
			protocol.FromDomain, "missing name information"},
		{"no os", `<domain type='test'><name>a</name><memory>1024</memory></domain>`, protocol.ErrXMLError, protocol.FromDomain,
			"XML error: an os <type> must be specified"},
		{"no memory", `<domain type='test'><name>a</name><os><type>hvm</type></os></domain>`, protocol.ErrXMLError, protocol.FromDomain,
			"XML error: Memory size must be specified via <memory> or in the <numa> configuration"},
		{"title newline", domainXML(`<title>x
y</title>`), protocol.ErrXMLError, protocol.FromDomain, "XML error: Domain title can't contain newlines"},
		{"two current", domainXML(`<test:runstate>5</test:runstate>
			<test:domainsnapshot><name>s1</name><creationTime>1</creationTime><state>shutoff</state><active>1</active></test:domainsnapshot>
			<test:domainsnapshot><name>s2</name><creationTime>2</creationTime><state>shutoff</state><active>1</active></test:domainsnapshot>`),
			protocol.ErrInternalError, protocol.FromTest, "internal error: more than one snapshot claims to be active"},
		{"snapshot without name", domainXML(`<test:domainsnapshot><creationTime>1</creationTime><state>shutoff</state><active>0</active></test:domainsnapshot>`),
			protocol.ErrXMLError, protocol.FromDomainSnapshot, "XML error: a redefined snapshot must have a name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNodeXML([]byte("<node>"+tc.xml+"</node>"), nil)
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Code != tc.code || pe.Domain != tc.domain || pe.Message.Value != tc.msg {
				t.Errorf("ParseNodeXML = %v (%#v); want code %d domain %d %q", err, pe, tc.code, tc.domain, tc.msg)
			}
		})
	}
	for _, tc := range []struct{ name, xml, msg string }{
		{"root", `<nodes/>`, "XML error: expecting root element of 'node', not 'nodes'"},
		{"model too long", `<node><cpu><model>verylongmodelnamethatexceedsthirtytwobytes</model></cpu></node>`,
			"internal error: Model verylongmodelnamethatexceedsthirtytwobytes too big for destination"},
		{"duplicate name", `<node>` + domainXML(`<uuid>11111111-1111-1111-1111-111111111111</uuid>`) + domainXML("") + `</node>`,
			"operation failed: domain 'a' already exists with uuid 11111111-1111-1111-1111-111111111111"},
		{"bad cpu", `<node><cpu><cores>four</cores></cpu></node>`, "XML error: invalid node cpu cores value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseNodeXML([]byte(tc.xml), nil)
			var pe *protocol.Error
			if !errors.As(err, &pe) || pe.Message.Value != tc.msg {
				t.Errorf("ParseNodeXML = %v; want %q", err, tc.msg)
			}
		})
	}
	if _, err := ParseNodeXML([]byte("<node><domain"), nil); err == nil {
		t.Error("ParseNodeXML accepted truncated XML")
	}
}

// TestParseNodeXMLFields checks what libvirtd 9.0 reported for the same
// definitions: units, current memory and vCPUs, title, description, the
// namespace matched by URI, not prefix, and a runstate with leading space.
func TestParseNodeXMLFields(t *testing.T) {
	n, err := ParseNodeXML([]byte(`<node><cpu><mhz>3000</mhz></cpu>
<domain type='test'><name>b</name><memory unit='MiB'>3</memory><currentMemory unit='k'>1000</currentMemory>
<vcpu current='2'>4</vcpu><title>T1</title><description>D1</description><os><type>hvm</type></os></domain>
<domain type='test' xmlns:t='http://libvirt.org/schemas/domain/test/1.0' xmlns:test='urn:x'><name>c</name><memory>1024</memory>
<os><type>hvm</type></os><t:runstate> 3</t:runstate><test:runstate>5</test:runstate></domain>
<domain type='test'`+ns+`><name>d</name><memory unit='b'>1025</memory><os><type>hvm</type></os>
<test:runstate>5</test:runstate><test:hasmanagedsave/></domain>
</node>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, c, d := n.Domains[0], n.Domains[1], n.Domains[2]
	if b.MemoryKiB != 3072 || b.CurrentMemoryKiB != 1000 || b.VCPUs != 4 || b.CurrentVCPUs != 2 || b.Title != "T1" ||
		b.Description != "D1" || b.State != protocol.DomainRunning || b.ID != 1 {
		t.Errorf("b = %+v", b)
	}
	if c.State != protocol.DomainPaused || c.ID != 2 {
		t.Errorf("c = %+v; want paused (runstate in the test namespace, whatever its prefix), ID 2", c)
	}
	if d.MemoryKiB != 2 || !d.ManagedSave || d.ID != -1 {
		t.Errorf("d = %+v; want 2 KiB (1025 bytes rounded up), managed save, ID -1", d)
	}
	want := DefaultNodeInfo()
	want.MHz = 3000
	if n.Info != want {
		t.Errorf("info = %+v; want %+v", n.Info, want)
	}
	for _, tc := range []struct {
		xml  string
		cpus int32
	}{{`<node><cpu><active>3</active></cpu></node>`, 3}, {`<node><cpu><active>100</active></cpu></node>`, 16},
		{`<node><cpu><nodes>1</nodes><sockets>2</sockets><cores>3</cores><threads>2</threads></cpu></node>`, 12}} {
		n, err := ParseNodeXML([]byte(tc.xml), nil)
		if err != nil || n.Info.CPUs != tc.cpus {
			t.Errorf("%s: CPUs = %d, %v; want %d", tc.xml, n.Info.CPUs, err, tc.cpus)
		}
	}
}

// TestMissingUUID: a domain without <uuid> gets a random version 4 UUID,
// another one for each copy of the node, as each libvirt parse makes one.
func TestMissingUUID(t *testing.T) {
	n, err := ParseNodeXML([]byte(`<node>`+domainXML("")+`</node>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.Domains[0].UUID != (protocol.UUID{}) {
		t.Fatalf("parsed UUID = %v; want zero (generated when served)", n.Domains[0].UUID)
	}
	st := newNodeState(n)
	a, b := st.clone(), st.clone()
	ua, ub := a.doms[0].uuid, b.doms[0].uuid
	for _, u := range []protocol.UUID{st.doms[0].uuid, ua, ub} {
		if u[6]>>4 != 4 || u[8]>>6 != 2 {
			t.Errorf("UUID %v is not RFC 4122 version 4", u)
		}
	}
	if ua == ub || ua == st.doms[0].uuid {
		t.Errorf("copies share the UUID %v", ua)
	}
	if a.byUUID[ua] != a.doms[0] {
		t.Error("copy's UUID index is stale")
	}
}

// TestInclude: file="…" reads the element from a file beside the node,
// and refuses names that leave the directory, by .. or a symbolic link.
func TestInclude(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "node")
	os.MkdirAll(filepath.Join(sub, "doms"), 0o755)
	dom := `<domain type='test'><name>fromfile</name><uuid>12345678-1234-1234-1234-123456789abc</uuid><memory>2048</memory><os><type>hvm</type></os></domain>`
	os.WriteFile(filepath.Join(sub, "doms", "d.xml"), []byte(dom), 0o644)
	os.WriteFile(filepath.Join(dir, "outside.xml"), []byte(dom), 0o644)
	os.Symlink(filepath.Join(dir, "outside.xml"), filepath.Join(sub, "link.xml"))
	for _, tc := range []struct {
		file string
		ok   bool
	}{{"doms/d.xml", true}, {"./doms/../doms/d.xml", true}, {"../outside.xml", false}, {"link.xml", false},
		{filepath.Join(dir, "outside.xml"), false}, {"missing.xml", false}} {
		p := filepath.Join(sub, "node.xml")
		os.WriteFile(p, []byte(`<node><domain file='`+tc.file+`'/></node>`), 0o644)
		n, err := LoadNodeXML(p)
		if tc.ok != (err == nil) {
			t.Errorf("file=%q: err = %v; want ok %v", tc.file, err, tc.ok)
			continue
		}
		if tc.ok && (len(n.Domains) != 1 || n.Domains[0].Name != "fromfile" || n.Domains[0].MemoryKiB != 2048) {
			t.Errorf("file=%q: %+v", tc.file, n.Domains)
		}
	}
	fsys := fstest.MapFS{"snap.xml": {Data: []byte(`<domainsnapshot><name>s</name><creationTime>5</creationTime><state>running</state><active>1</active></domainsnapshot>`)}}
	n, err := ParseNodeXML([]byte(`<node>`+domainXML(`<test:domainsnapshot file='snap.xml'/>`)+`</node>`), fsys)
	if err != nil || len(n.Domains[0].Snapshots) != 1 || n.Domains[0].Snapshots[0].Name != "s" {
		t.Errorf("snapshot include: %v, %+v", err, n)
	}
	if _, err := ParseNodeXML([]byte(`<node><domain file='x.xml'/></node>`), nil); err == nil {
		t.Error("file= without a directory was accepted")
	}
}

func TestValidate(t *testing.T) {
	ok := Domain{Name: "a", State: protocol.DomainRunning}
	for _, tc := range []struct {
		name string
		edit func(n *Node)
		want error
	}{
		{"ok", func(*Node) {}, nil},
		{"no name", func(n *Node) { n.Domains[0].Name = "" }, ErrNoName},
		{"duplicate", func(n *Node) { n.Domains = append(n.Domains, ok) }, ErrDuplicateName},
		{"duplicate uuid", func(n *Node) {
			n.Domains[0].UUID = uuidOf(1)
			n.Domains = append(n.Domains, Domain{Name: "b", UUID: uuidOf(1)})
		}, ErrDuplicateUUID},
		{"state", func(n *Node) { n.Domains[0].State = 8 }, ErrBadState},
		{"transient shutoff", func(n *Node) { n.Domains[0].Transient, n.Domains[0].State = true, protocol.DomainShutoff }, ErrTransientShutoff},
		{"managed save", func(n *Node) { n.Domains[0].ManagedSave = true }, ErrManagedSaveRunning},
		{"title", func(n *Node) { n.Domains[0].Title = "a\nb" }, ErrTitleNewline},
		{"snapshot parent", func(n *Node) { n.Domains[0].Snapshots = []Snapshot{{Name: "s", Parent: "x"}} }, ErrSnapshot},
		{"model", func(n *Node) { n.Info.Model = strings.Repeat("x", 32) }, ErrModelTooLong},
	} {
		n := &Node{Domains: []Domain{ok}}
		tc.edit(n)
		if err := n.Validate(); !errors.Is(err, tc.want) {
			t.Errorf("%s: Validate = %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestDefault(t *testing.T) {
	n := Default()
	if err := n.Validate(); err != nil {
		t.Fatal(err)
	}
	d := n.Domains[0]
	if len(n.Domains) != 1 || d.Name != "test" || d.UUID.String() != "6695eb01-f6a4-8304-79aa-97f2502e193f" ||
		d.State != protocol.DomainRunning || d.MemoryKiB != 8388608 || d.CurrentMemoryKiB != 2097152 || d.VCPUs != 2 {
		t.Errorf("Default() = %+v", n)
	}
	c := n.Clone()
	c.Domains[0].Snapshots = append(c.Domains[0].Snapshots, Snapshot{Name: "x"})
	if len(n.Domains[0].Snapshots) != 0 || !slices.Equal(c.Domains[0].Checkpoints, n.Domains[0].Checkpoints) {
		t.Error("Clone shares snapshots")
	}
}
