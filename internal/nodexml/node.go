package nodexml

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
)

// State is a domain state, virDomainState, as <test:runstate> takes it
// (FACTS §5, include/libvirt/libvirt-domain.h).
type State int

// Domain states. The test driver starts every domain whose runstate is not
// Shutoff, so all others are active and get an ID (FACTS §12, §13).
const (
	NoState     State = 0
	Running     State = 1
	Blocked     State = 2
	Paused      State = 3
	Shutdown    State = 4
	Shutoff     State = 5
	Crashed     State = 6
	PMSuspended State = 7
)

var stateNames = [...]string{"nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"}

// String returns libvirt's name for s ("running", "shutoff", …) or the
// number for values outside 0..7.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Snapshot is one <test:domainsnapshot>. The test driver requires all four
// fields; without a nested <domain> it logs "parsing older snapshot that
// lacks domain", which is harmless.
type Snapshot struct {
	// Name is the snapshot's name, unique within its domain.
	Name string
	// CreationTime is <creationTime>, seconds since the epoch.
	CreationTime int64
	// State is <state>, e.g. "running" or "shutoff".
	State string
	// Current is <active>1</active>: the domain's current snapshot.
	Current bool
}

// Domain is one <domain type='test'> of a node.
type Domain struct {
	// Name is the domain's unique name.
	Name string
	// UUID is the domain's unique UUID.
	UUID [16]byte
	// MemoryKiB is <memory> in KiB.
	MemoryKiB uint64
	// VCPUs is <vcpu>.
	VCPUs int
	// State is <test:runstate>.
	State State
	// Transient is <test:transient/>: the domain is not persistent.
	Transient bool
	// ManagedSave is <test:hasmanagedsave>: valid only with State Shutoff.
	ManagedSave bool
	// Snapshots are the <test:domainsnapshot> elements.
	Snapshots []Snapshot
}

// UUIDString formats d.UUID as libvirt does: 8-4-4-4-12 lowercase hex.
func (d Domain) UUIDString() string {
	u := d.UUID
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Active reports whether the test driver starts d, i.e. its state is not
// Shutoff. Crashed and pmsuspended domains are active (FACTS §12).
func (d Domain) Active() bool { return d.State != Shutoff }

// Node is a test-driver node: fixed host data and a list of domains.
type Node struct {
	// Domains in file order; the order decides the IDs (see [Node.IDs]).
	Domains []Domain
}

// IDs returns the ID the test driver gives each domain when it loads the
// file: 1, 2, 3, … in file order for active domains, -1 for shut-off ones
// (FACTS §13, nextDomID starts at 1).
func (n *Node) IDs() []int {
	ids := make([]int, len(n.Domains))
	next := 1
	for i, d := range n.Domains {
		if d.Active() {
			ids[i] = next
			next++
		} else {
			ids[i] = -1
		}
	}
	return ids
}

// Errors returned (wrapped) by [Node.Validate].
var (
	ErrBadState           = errors.New("runstate must be 0..7")
	ErrTransientShutoff   = errors.New("a transient domain cannot be shut off")
	ErrManagedSaveRunning = errors.New("a managed-save image needs a shut-off domain")
	ErrDuplicateName      = errors.New("duplicate domain name")
	ErrDuplicateUUID      = errors.New("duplicate domain UUID")
	ErrEmptyName          = errors.New("empty name")
	ErrTooManyCurrent     = errors.New("more than one current snapshot")
)

// Validate checks n against the rules the test driver applies when it
// loads a node file (FACTS §13) and returns the first violation, wrapped
// with the domain's index and name.
func (n *Node) Validate() error {
	names := make(map[string]bool, len(n.Domains))
	uuids := make(map[[16]byte]bool, len(n.Domains))
	for i, d := range n.Domains {
		fail := func(err error) error { return fmt.Errorf("nodexml: domain %d %q: %w", i, d.Name, err) }
		switch {
		case d.Name == "":
			return fail(ErrEmptyName)
		case names[d.Name]:
			return fail(ErrDuplicateName)
		case uuids[d.UUID]:
			return fail(ErrDuplicateUUID)
		case d.State < 0 || d.State > PMSuspended:
			return fail(ErrBadState)
		case d.Transient && d.State == Shutoff:
			return fail(ErrTransientShutoff)
		case d.ManagedSave && d.State != Shutoff:
			return fail(ErrManagedSaveRunning)
		}
		names[d.Name], uuids[d.UUID] = true, true
		snaps := map[string]bool{}
		current := 0
		for _, s := range d.Snapshots {
			if s.Name == "" {
				return fail(fmt.Errorf("snapshot: %w", ErrEmptyName))
			}
			if snaps[s.Name] {
				return fail(fmt.Errorf("snapshot %q: %w", s.Name, ErrDuplicateName))
			}
			snaps[s.Name] = true
			if s.Current {
				current++
			}
		}
		if current > 1 {
			return fail(ErrTooManyCurrent)
		}
	}
	return nil
}

const (
	nodeHeader = `<?xml version="1.0"?>
<node>
  <cpu>
    <mhz>2000</mhz>
    <model>i686</model>
    <active>4</active>
    <nodes>1</nodes>
    <sockets>1</sockets>
    <cores>4</cores>
    <threads>1</threads>
  </cpu>
  <memory>8388608</memory>
`
	nodeFooter = "</node>\n"
	testNS     = "http://libvirt.org/schemas/domain/test/1.0"
)

// WriteTo writes n as node XML to w. It writes what n holds, valid or not;
// call [Node.Validate] first to refuse files the daemon would reject.
func (n *Node) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64*1024)
	bw.WriteString(nodeHeader)
	for _, d := range n.Domains {
		writeDomain(bw, d)
	}
	bw.WriteString(nodeFooter)
	err := bw.Flush()
	return cw.n, err
}

func writeDomain(w *bufio.Writer, d Domain) {
	fmt.Fprintf(w, "  <domain type='test' xmlns:test='%s'>\n", testNS)
	w.WriteString("    <name>")
	xml.EscapeText(w, []byte(d.Name))
	w.WriteString("</name>\n")
	fmt.Fprintf(w, "    <uuid>%s</uuid>\n", d.UUIDString())
	fmt.Fprintf(w, "    <memory>%d</memory>\n", d.MemoryKiB)
	fmt.Fprintf(w, "    <vcpu>%d</vcpu>\n", d.VCPUs)
	w.WriteString("    <os><type>hvm</type></os>\n")
	fmt.Fprintf(w, "    <test:runstate>%d</test:runstate>\n", int(d.State))
	if d.Transient {
		w.WriteString("    <test:transient/>\n")
	}
	if d.ManagedSave {
		w.WriteString("    <test:hasmanagedsave>yes</test:hasmanagedsave>\n")
	}
	for _, s := range d.Snapshots {
		w.WriteString("    <test:domainsnapshot>\n      <name>")
		xml.EscapeText(w, []byte(s.Name))
		w.WriteString("</name>\n")
		fmt.Fprintf(w, "      <creationTime>%d</creationTime>\n", s.CreationTime)
		w.WriteString("      <state>")
		xml.EscapeText(w, []byte(s.State))
		w.WriteString("</state>\n")
		fmt.Fprintf(w, "      <active>%d</active>\n", btoi(s.Current))
		w.WriteString("    </test:domainsnapshot>\n")
	}
	w.WriteString("  </domain>\n")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Bytes returns n as node XML; see [Node.WriteTo].
func (n *Node) Bytes() []byte {
	var b bytes.Buffer
	n.WriteTo(&b) // a bytes.Buffer does not fail
	return b.Bytes()
}

// WriteFile writes n as node XML to path (mode 0644), after checking it
// with [Node.Validate].
func (n *Node) WriteFile(path string) error {
	if err := n.Validate(); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("nodexml: %w", err)
	}
	if _, err := n.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("nodexml: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("nodexml: %w", err)
	}
	return nil
}

// Generate returns a node with n domains derived from seed. The same
// (n, seed) always gives the same node, and Generate(n, s) is a prefix of
// Generate(m, s) for n < m.
//
// Domain i is named "s<seed>-dom<i, 5 digits>" and gets a random version-4
// UUID. Domains 0-7 have the shapes of setup/node.xml (see the package
// documentation); later ones are drawn with roughly these odds: state
// running 35%, shutoff 35%, paused 10%, crashed 5%, pmsuspended 5%,
// nostate, blocked and shutdown 10% together; transient 1 in 8 of the
// active ones; a managed-save image 1 in 3 of the shut-off ones; one to
// three snapshots (the last one current) 1 in 6. n < 0 is treated as 0.
func Generate(n int, seed uint64) *Node {
	n = max(n, 0)
	rng := rand.New(rand.NewPCG(seed, 0x7669727477697265)) // "virtwire"
	node := &Node{Domains: make([]Domain, 0, n)}
	uuids := make(map[[16]byte]bool, n)
	for i := range n {
		d := Domain{Name: fmt.Sprintf("s%d-dom%05d", seed, i)}
		for {
			for j := range 2 {
				v := rng.Uint64()
				for k := range 8 {
					d.UUID[j*8+k] = byte(v >> (8 * k))
				}
			}
			d.UUID[6] = d.UUID[6]&0x0f | 0x40 // version 4
			d.UUID[8] = d.UUID[8]&0x3f | 0x80 // RFC 4122 variant
			if !uuids[d.UUID] {
				uuids[d.UUID] = true
				break
			}
		}
		d.MemoryKiB = 131072 << rng.IntN(4) // 128 MiB .. 1 GiB
		d.VCPUs = 1 + rng.IntN(4)
		if i < len(preset) {
			preset[i](&d)
		} else {
			randomize(rng, &d)
		}
		for j := range d.Snapshots {
			s := &d.Snapshots[j]
			s.Name = fmt.Sprintf("snap%d", j+1)
			s.CreationTime = 1700000000 + int64(i)*86400 + int64(j)*3600
			s.State = "shutoff"
			if d.Active() {
				s.State = "running"
			}
			s.Current = j == len(d.Snapshots)-1
		}
		node.Domains = append(node.Domains, d)
	}
	return node
}

// preset gives domains 0-7 the shapes of setup/node.xml (FACTS §6).
var preset = [...]func(*Domain){
	func(d *Domain) { d.State = Running },
	func(d *Domain) { d.State = Paused },
	func(d *Domain) { d.State, d.ManagedSave = Shutoff, true },
	func(d *Domain) { d.State, d.Snapshots = Shutoff, make([]Snapshot, 1) },
	func(d *Domain) { d.State, d.Transient = Running, true },
	func(d *Domain) { d.State = Crashed },
	func(d *Domain) { d.State = Shutoff },
	func(d *Domain) { d.State = PMSuspended },
}

func randomize(rng *rand.Rand, d *Domain) {
	switch r := rng.IntN(100); {
	case r < 35:
		d.State = Running
	case r < 70:
		d.State = Shutoff
	case r < 80:
		d.State = Paused
	case r < 85:
		d.State = Crashed
	case r < 90:
		d.State = PMSuspended
	case r < 94:
		d.State = NoState
	case r < 97:
		d.State = Blocked
	default:
		d.State = Shutdown
	}
	if d.Active() {
		d.Transient = rng.IntN(8) == 0
	} else {
		d.ManagedSave = rng.IntN(3) == 0
	}
	if rng.IntN(6) == 0 {
		d.Snapshots = make([]Snapshot, 1+rng.IntN(3))
	}
}
