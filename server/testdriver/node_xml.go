package testdriver

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/virtwire/virtwire/protocol"
)

// TestNamespace is the XML namespace of the test driver's extensions to
// domain XML (<test:runstate> and friends).
const TestNamespace = "http://libvirt.org/schemas/domain/test/1.0"

// maxNodeFile bounds a node file or a file it includes.
const maxNodeFile = 64 << 20

// LoadNodeXML reads a test-driver node file, as libvirtd's test:///path
// does: see ParseNodeXML. Files named by file="…" attributes are read from
// the node file's directory.
func LoadNodeXML(path string) (*Node, error) {
	data, err := readLimited(os.DirFS(filepath.Dir(path)), filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("testdriver: %w", err)
	}
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("testdriver: %w", err)
	}
	defer root.Close()
	n, err := parseNode(data, root.FS())
	if err != nil {
		return nil, fmt.Errorf("testdriver: %s: %w", path, err)
	}
	return n, nil
}

// ParseNodeXML parses a test-driver node file (FACTS §13) as libvirtd 9.0
// does. It reads <cpu> and <memory> for the host, and for each <domain> its
// type, <name>, <uuid>, <title>, <description>, <memory>, <currentMemory>
// (with units), <vcpu> (and its current attribute), <os><type>,
// <on_poweroff>, and the test namespace's <test:runstate> (default 1),
// <test:transient/>, <test:hasmanagedsave> (any element counts, whatever
// its content) and <test:domainsnapshot> elements. The rest of a domain
// definition is ignored.
//
// files, if not nil, resolves file="…" attributes on <domain> and
// <test:domainsnapshot>, which name a file holding the element; an
// os.Root's FS refuses names that leave its directory, also through
// symbolic links. With a nil files, such attributes are an error.
//
// Errors carry the *protocol.Error libvirtd reports for the same file, when
// the fake checks the same thing (errors.As).
func ParseNodeXML(data []byte, files fs.FS) (*Node, error) {
	n, err := parseNode(data, files)
	if err != nil {
		return nil, fmt.Errorf("testdriver: %w", err)
	}
	return n, nil
}

func readLimited(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxNodeFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxNodeFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxNodeFile)
	}
	return data, nil
}

// xmlErr is a VIR_ERR_XML_ERROR from the domain parser.
func xmlErr(domain protocol.ErrorDomain, format string, args ...any) error {
	return protocol.Errorf(domain, protocol.ErrXMLError, format, args...)
}

// element is a node of a tiny DOM: enough for the XPath expressions the
// test driver evaluates.
type element struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*element
	content  []any // *element and string, in document order
}

func (e *element) attr(local string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element with the given namespace and name.
func (e *element) child(space, local string) *element {
	for _, c := range e.children {
		if c.name.Space == space && c.name.Local == local {
			return c
		}
	}
	return nil
}

func (e *element) all(space, local string) []*element {
	var out []*element
	for _, c := range e.children {
		if c.name.Space == space && c.name.Local == local {
			out = append(out, c)
		}
	}
	return out
}

// String is XPath string(): the element's text, descendants included.
func (e *element) String() string {
	var b strings.Builder
	var walk func(*element)
	walk = func(e *element) {
		for _, c := range e.content {
			switch c := c.(type) {
			case string:
				b.WriteString(c)
			case *element:
				walk(c)
			}
		}
	}
	walk(e)
	return b.String()
}

// childString is virXPathString("string(./space:local[1])"): "" when the
// element is absent or empty.
func (e *element) childString(space, local string) string {
	if c := e.child(space, local); c != nil {
		return c.String()
	}
	return ""
}

// parseXML builds the DOM of a document.
func parseXML(data []byte) (*element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*element
	var root *element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, protocol.Errorf(protocol.FromXML, protocol.ErrXMLDetail, "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &element{name: t.Name, attrs: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
				p.content = append(p.content, e)
			} else if root == nil {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.content = append(p.content, string(t))
			}
		}
	}
	if root == nil {
		return nil, protocol.Errorf(protocol.FromXML, protocol.ErrXMLDetail, "Document is empty")
	}
	return root, nil
}

// include resolves a file="…" attribute: the element is replaced by the
// root of that file, which must be named local.
func include(e *element, files fs.FS, local string) (*element, error) {
	name, ok := e.attr("file")
	if !ok {
		return e, nil
	}
	if files == nil {
		return nil, fmt.Errorf("file=%q: no directory to read it from", name)
	}
	data, err := readLimited(files, filepath.ToSlash(filepath.Clean(name)))
	if err != nil {
		return nil, fmt.Errorf("file=%q: %w", name, err)
	}
	inc, err := parseXML(data)
	if err != nil {
		return nil, fmt.Errorf("file=%q: %w", name, err)
	}
	if inc.name.Local != local {
		return nil, xmlErr(protocol.FromXML, "expecting root element of '%s', not '%s'", local, inc.name.Local)
	}
	return inc, nil
}

func parseNode(data []byte, files fs.FS) (*Node, error) {
	root, err := parseXML(data)
	if err != nil {
		return nil, err
	}
	if root.name.Local != "node" {
		return nil, xmlErr(protocol.FromXML, "expecting root element of 'node', not '%s'", root.name.Local)
	}
	n := &Node{}
	if n.Info, err = parseNodeInfo(root); err != nil {
		return nil, err
	}
	for _, de := range root.all("", "domain") {
		de, err := include(de, files, "domain")
		if err != nil {
			return nil, err
		}
		d, err := parseDomain(de, files)
		if err != nil {
			return nil, err
		}
		for _, o := range n.Domains {
			if o.Name == d.Name || o.UUID == d.UUID && d.UUID != (protocol.UUID{}) {
				return nil, protocol.Errorf(protocol.FromDomain, protocol.ErrOperationFailed,
					"domain '%s' already exists with uuid %s", o.Name, o.UUID)
			}
		}
		n.Domains = append(n.Domains, d)
	}
	var id int32 = 1
	for i := range n.Domains {
		n.Domains[i].ID = -1
		if n.Domains[i].State != protocol.DomainShutoff {
			n.Domains[i].ID = id
			id++
		}
	}
	return n, nil
}

// parseLong is virXPathLong on string(path): missing or empty is "absent"
// (ok false, no error); otherwise the whole text must be a base-10 integer,
// leading white space allowed (strtol).
func parseLong(s string) (v int64, ok bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	v, err = strconv.ParseInt(strings.TrimLeftFunc(s, unicode.IsSpace), 10, 64)
	if err != nil {
		return 0, false, err
	}
	return v, true, nil
}

// parseNodeInfo is testParseNodeInfo: the defaults of DefaultNodeInfo,
// overridden by /node/cpu/* and /node/memory.
func parseNodeInfo(root *element) (NodeInfo, error) {
	info := DefaultNodeInfo()
	cpuField := func(name string) (int64, bool, error) {
		for _, cpu := range root.all("", "cpu") {
			if c := cpu.child("", name); c != nil {
				v, ok, err := parseLong(c.String())
				if err != nil {
					return 0, false, xmlErr(protocol.FromTest, "invalid node cpu %s value", name)
				}
				return v, ok, nil
			}
		}
		return 0, false, nil
	}
	for _, f := range []struct {
		name string
		dst  *int32
	}{{"nodes", &info.Nodes}, {"sockets", &info.Sockets}, {"cores", &info.Cores}, {"threads", &info.Threads}} {
		v, ok, err := cpuField(f.name)
		if err != nil {
			return info, err
		}
		if ok {
			*f.dst = int32(v)
		}
	}
	info.CPUs = info.Cores * info.Threads * info.Sockets * info.Nodes
	if v, ok, err := cpuField("active"); err != nil {
		return info, err
	} else if ok && v < int64(info.CPUs) {
		info.CPUs = int32(v)
	}
	if v, ok, err := cpuField("mhz"); err != nil {
		return info, err
	} else if ok {
		info.MHz = int32(v)
	}
	for _, cpu := range root.all("", "cpu") {
		if m := cpu.child("", "model"); m != nil {
			s := m.String()
			if len(s) > 31 {
				return info, protocol.Errorf(protocol.FromTest, protocol.ErrInternalError, "Model %s too big for destination", s)
			}
			info.Model = s
			break
		}
	}
	if m := root.child("", "memory"); m != nil {
		v, ok, err := parseLong(m.String())
		if err != nil {
			return info, xmlErr(protocol.FromTest, "invalid node memory value")
		}
		if ok {
			info.MemoryKiB = uint64(v)
		}
	}
	return info, nil
}

// parseDomain reads the parts of a domain definition the fake models.
func parseDomain(e *element, files fs.FS) (Domain, error) {
	d := Domain{State: protocol.DomainRunning}
	if _, ok := e.attr("type"); !ok {
		return d, protocol.NewError(protocol.FromDomain, protocol.ErrInternalError, "missing domain type attribute")
	}
	d.Name = e.childString("", "name")
	if d.Name == "" {
		return d, protocol.NewError(protocol.FromDomain, protocol.ErrNoName, "")
	}
	if strings.Contains(d.Name, "\n") {
		return d, xmlErr(protocol.FromDomain, "name must not contain '\\n'")
	}
	if s := e.childString("", "uuid"); s != "" {
		u, err := protocol.ParseUUID(s)
		if err != nil {
			return d, xmlErr(protocol.FromDomain, "malformed uuid element")
		}
		d.UUID = u
	}
	d.Title = e.childString("", "title")
	if strings.Contains(d.Title, "\n") {
		return d, xmlErr(protocol.FromDomain, "Domain title can't contain newlines")
	}
	d.Description = e.childString("", "description")
	var err error
	if d.MemoryKiB, err = parseMemory(e.child("", "memory")); err != nil {
		return d, err
	}
	if d.CurrentMemoryKiB, err = parseMemory(e.child("", "currentMemory")); err != nil {
		return d, err
	}
	if d.MemoryKiB == 0 {
		return d, xmlErr(protocol.FromDomain, "Memory size must be specified via <memory> or in the <numa> configuration")
	}
	if d.CurrentMemoryKiB == 0 || d.CurrentMemoryKiB > d.MemoryKiB {
		d.CurrentMemoryKiB = d.MemoryKiB
	}
	if d.VCPUs, d.CurrentVCPUs, err = parseVCPU(e.child("", "vcpu")); err != nil {
		return d, err
	}
	if os := e.child("", "os"); os == nil || os.childString("", "type") == "" {
		return d, xmlErr(protocol.FromDomain, "an os <type> must be specified")
	}
	if s := e.childString("", "on_poweroff"); s != "" {
		a := -1
		for i, n := range actionNames {
			if n == s {
				a = i
			}
		}
		if a < 0 {
			return d, xmlErr(protocol.FromDomain, "Invalid on_poweroff value: '%s'", s)
		}
		d.OnPoweroff = LifecycleAction(a)
	}
	if err := parseTestNamespace(e, &d, files); err != nil {
		return d, err
	}
	return d, nil
}

// parseMemory reads a memory element with its unit attribute (virScaleInteger,
// KiB by default) and returns KiB, rounded up.
func parseMemory(e *element) (uint64, error) {
	if e == nil {
		return 0, nil
	}
	s := strings.TrimLeftFunc(e.String(), unicode.IsSpace)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, xmlErr(protocol.FromDomain, "could not parse memory element %s", e.name.Local)
	}
	unit, _ := e.attr("unit")
	scale, err := unitScale(unit)
	if err != nil {
		return 0, err
	}
	if v > math.MaxUint64/scale {
		return 0, protocol.Errorf(protocol.FromDomain, protocol.ErrOverflow, "value too large: %s%s", s, unit)
	}
	bytes := v * scale
	return bytes/1024 + min(bytes%1024, 1), nil
}

// unitScale is virScaleInteger's suffix table: b or bytes; k, KiB, M, MiB…
// powers of 1024; KB, MB… powers of 1000; case-insensitive; KiB when empty.
func unitScale(unit string) (uint64, error) {
	if unit == "" {
		return 1024, nil
	}
	l := strings.ToLower(unit)
	if l == "b" || l == "byte" || l == "bytes" {
		return 1, nil
	}
	power := strings.IndexByte("kmgtpe", l[0]) + 1
	var base uint64
	switch {
	case power == 0:
	case len(l) == 1 || l[1:] == "ib":
		base = 1024
	case l[1:] == "b":
		base = 1000
	}
	if base == 0 {
		return 0, protocol.Errorf(protocol.FromNone, protocol.ErrInvalidArg, "unknown suffix '%s'", unit)
	}
	scale := uint64(1)
	for range power {
		scale *= base
	}
	return scale, nil
}

// parseVCPU reads <vcpu current='N'>M</vcpu>; absent means one vCPU.
func parseVCPU(e *element) (max, cur int, err error) {
	if e == nil {
		return 1, 1, nil
	}
	max = 1
	if s := strings.TrimLeftFunc(e.String(), unicode.IsSpace); s != "" {
		v, err := strconv.ParseUint(s, 10, 31)
		if err != nil {
			return 0, 0, xmlErr(protocol.FromDomain, "maximum vcpus count must be an integer")
		}
		max = int(v)
	}
	if max == 0 {
		return 0, 0, protocol.NewError(protocol.FromDomain, protocol.ErrInvalidArg, "Invalid number of vcpus")
	}
	cur = max
	if s, ok := e.attr("current"); ok {
		v, err := strconv.ParseUint(strings.TrimLeftFunc(s, unicode.IsSpace), 10, 31)
		if err != nil {
			return 0, 0, xmlErr(protocol.FromDomain, "current vcpus count must be an integer")
		}
		cur = int(v)
		if cur > max {
			return 0, 0, protocol.Errorf(protocol.FromDomain, protocol.ErrInvalidArg,
				"maxvcpus must not be less than current vcpus (%d < %d)", max, cur)
		}
	}
	return max, cur, nil
}

// parseTestNamespace is testDomainDefNamespaceParse.
func parseTestNamespace(e *element, d *Domain, files fs.FS) error {
	if s := e.childString(TestNamespace, "runstate"); s != "" {
		v, err := parseUint32(s)
		if err != nil {
			return xmlErr(protocol.FromTest, "invalid runstate")
		}
		if v >= 8 {
			return xmlErr(protocol.FromTest, "runstate '%d' out of range'", int32(v))
		}
		d.State = protocol.DomainState(v)
	}
	d.Transient = e.child(TestNamespace, "transient") != nil
	d.ManagedSave = e.child(TestNamespace, "hasmanagedsave") != nil
	if d.Transient && d.State == protocol.DomainShutoff {
		return xmlErr(protocol.FromTest, "transient domain cannot have runstate 'shutoff'")
	}
	if d.ManagedSave && d.State != protocol.DomainShutoff {
		return xmlErr(protocol.FromTest, "domain with managedsave data can only have runstate 'shutoff'")
	}
	for _, se := range e.all(TestNamespace, "domainsnapshot") {
		se, err := include(se, files, "domainsnapshot")
		if err != nil {
			return err
		}
		sn, err := parseSnapshot(se)
		if err != nil {
			return err
		}
		for _, o := range d.Snapshots {
			if o.Name == sn.Name {
				return protocol.Errorf(protocol.FromDomainSnapshot, protocol.ErrInvalidArg,
					"domain snapshot %s already exists", sn.Name)
			}
			if o.Current && sn.Current {
				return errTestInternal("more than one snapshot claims to be active")
			}
		}
		d.Snapshots = append(d.Snapshots, sn)
	}
	for _, sn := range d.Snapshots {
		if sn.Parent == "" {
			continue
		}
		found := false
		for _, p := range d.Snapshots {
			found = found || p.Name == sn.Parent
		}
		if !found {
			return errTestInternal("Snapshots have inconsistent relations for domain %s", d.Name)
		}
	}
	return nil
}

// parseUint32 is virStrToLong_ui: leading white space, an optional sign, a
// base-10 number and nothing after it; "-N" wraps around as strtoul does.
func parseUint32(s string) (uint32, error) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, errors.New("not a number")
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, err
	}
	if neg {
		return uint32(-int64(v)), nil
	}
	return uint32(v), nil
}

var snapshotStates = []string{"nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "disk-snapshot"}

// parseSnapshot reads the fields of a <test:domainsnapshot> (which plays
// the role of <domainsnapshot>, parsed with the redefine rules: name,
// creationTime and state required).
func parseSnapshot(e *element) (Snapshot, error) {
	s := Snapshot{Name: e.childString("", "name"), Description: e.childString("", "description")}
	if s.Name == "" {
		return s, xmlErr(protocol.FromDomainSnapshot, "a redefined snapshot must have a name")
	}
	ct := e.childString("", "creationTime")
	if ct == "" {
		return s, xmlErr(protocol.FromDomainSnapshot, "missing creationTime from existing snapshot")
	}
	v, err := strconv.ParseInt(strings.TrimLeftFunc(ct, unicode.IsSpace), 10, 64)
	if err != nil {
		return s, xmlErr(protocol.FromDomainSnapshot, "missing creationTime from existing snapshot")
	}
	s.CreationTime = v
	s.State = e.childString("", "state")
	if s.State == "" {
		return s, xmlErr(protocol.FromDomainSnapshot, "missing state from existing snapshot")
	}
	ok := false
	for _, st := range snapshotStates {
		ok = ok || st == s.State
	}
	if !ok {
		return s, xmlErr(protocol.FromDomainSnapshot, "Invalid state '%s' in domain snapshot XML", s.State)
	}
	if p := e.child("", "parent"); p != nil {
		s.Parent = p.childString("", "name")
	}
	if a := e.childString("", "active"); a != "" {
		v, err := strconv.ParseInt(strings.TrimLeftFunc(a, unicode.IsSpace), 10, 32)
		if err != nil {
			return s, xmlErr(protocol.FromDomainSnapshot, "Could not find 'active' element")
		}
		s.Current = v != 0
	} else {
		return s, xmlErr(protocol.FromDomainSnapshot, "Could not find 'active' element")
	}
	return s, nil
}
