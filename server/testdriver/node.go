package testdriver

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/virtwire/virtwire/protocol"
)

// Node is a test-driver host with its domains, as Go values: what a node XML
// file describes (FACTS §13). The zero value is a host with libvirt's
// default host information and no domains.
type Node struct {
	// Info is the host description NODE_GET_INFO returns. Zero fields take
	// the test driver's defaults (DefaultNodeInfo).
	Info NodeInfo
	// Domains in node order. The order decides the IDs: domains that are
	// not shut off get 1, 2, 3, … in this order, as libvirtd assigns them
	// when it loads a file.
	Domains []Domain
}

// NodeInfo is the host description of a node (virNodeInfo,
// remote_node_get_info_ret).
type NodeInfo struct {
	Model     string // CPU model, at most 31 bytes
	MemoryKiB uint64 // host memory in KiB
	CPUs      int32  // active CPUs
	MHz       int32  // CPU frequency
	Nodes     int32  // NUMA nodes
	Sockets   int32  // sockets per node
	Cores     int32  // cores per socket
	Threads   int32  // threads per core
}

// DefaultNodeInfo returns the host the test driver starts from before it
// reads a node file's <cpu> and <memory>, and what test:///default reports:
// model i686, 3 GiB, 16 CPUs at 1400 MHz, 2 nodes × 2 sockets × 2 cores × 2
// threads.
func DefaultNodeInfo() NodeInfo {
	return NodeInfo{Model: "i686", MemoryKiB: 3 * 1024 * 1024, CPUs: 16, MHz: 1400,
		Nodes: 2, Sockets: 2, Cores: 2, Threads: 2}
}

// Domain is one domain of a Node.
type Domain struct {
	// Name is unique within the node.
	Name string
	// UUID is unique within the node. The zero UUID stands for a domain
	// without <uuid>: it gets a random (version 4) UUID each time the node is
	// opened, as libvirt generates one each time it parses the file.
	UUID protocol.UUID
	// ID is the domain's ID: -1 when it is shut off. It is an output only:
	// the driver assigns IDs when it loads a node, and ignores this field
	// in a Node it is given.
	ID int32
	// State is the domain state (<test:runstate>); the zero value is
	// NOSTATE, so set it (Running is what a node file defaults to).
	// Every state but SHUTOFF makes the domain active.
	State protocol.DomainState
	// Reason is the state reason (virDomain*Reason): 0 when loaded from a
	// node, as libvirt sets it; changed by lifecycle calls.
	Reason int32
	// Transient marks a domain without a persistent configuration
	// (<test:transient/>). A transient domain cannot be shut off.
	Transient bool
	// Autostart is the autostart flag. Node files have no way to set it.
	Autostart bool
	// ManagedSave marks a managed save image (<test:hasmanagedsave>); only
	// a shut-off domain can have one.
	ManagedSave bool
	// Snapshots are the domain's snapshots (<test:domainsnapshot>), at most
	// one of them current.
	Snapshots []Snapshot
	// Checkpoints are the names of the domain's checkpoints. The test
	// driver cannot load any from XML; a Node given as Go values can have
	// them.
	Checkpoints []string
	// MemoryKiB is the maximum memory (<memory>), in KiB. Zero is invalid
	// in a node file; in a Go value it defaults to 1048576 (1 GiB).
	MemoryKiB uint64
	// CurrentMemoryKiB is the current memory (<currentMemory>); zero, or
	// more than MemoryKiB, means MemoryKiB.
	CurrentMemoryKiB uint64
	// VCPUs is the maximum number of virtual CPUs (<vcpu>); zero means 1.
	VCPUs int
	// CurrentVCPUs is the number of active virtual CPUs (<vcpu current>);
	// zero means VCPUs.
	CurrentVCPUs int
	// Title and Description are the domain's <title> and <description>;
	// empty means absent. A title cannot contain a newline.
	Title, Description string
	// OnPoweroff is what a guest shutdown does (<on_poweroff>); the zero
	// value is ActionDestroy.
	OnPoweroff LifecycleAction
}

// Snapshot is one domain snapshot (a <test:domainsnapshot> element).
type Snapshot struct {
	Name         string // unique within the domain
	Parent       string // name of the parent snapshot, or ""
	CreationTime int64  // seconds since the epoch
	// State is the domain state the snapshot holds, as libvirt spells it
	// ("running", "shutoff", "disk-snapshot", …).
	State       string
	Current     bool   // <active>1</active>: the domain's current snapshot
	Description string // <description>
}

// LifecycleAction is an <on_poweroff> action (virDomainLifecycleAction).
type LifecycleAction int

// Lifecycle actions.
const (
	ActionDestroy       LifecycleAction = iota // destroy: the domain shuts off
	ActionRestart                              // restart: the domain boots again
	ActionRestartRename                        // rename-restart
	ActionPreserve                             // preserve: the domain shuts off
)

var actionNames = [...]string{"destroy", "restart", "rename-restart", "preserve"}

// String returns libvirt's spelling of a, as used in <on_poweroff>.
func (a LifecycleAction) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("LifecycleAction(%d)", int(a))
}

// Default returns the node test:///default serves: one running, persistent
// domain "test" (UUID 6695eb01-f6a4-8304-79aa-97f2502e193f, ID 1, 8 GiB of
// which 2 GiB current, 2 vCPUs) on DefaultNodeInfo's host (FACTS §13).
func Default() *Node {
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	return &Node{
		Info: DefaultNodeInfo(),
		Domains: []Domain{{
			Name: "test", UUID: u, ID: 1, State: protocol.DomainRunning,
			MemoryKiB: 8388608, CurrentMemoryKiB: 2097152, VCPUs: 2,
		}},
	}
}

// Errors of Node.Validate, wrapped with the domain concerned; they mirror
// what libvirt's test driver refuses in a node file (FACTS §13).
var (
	ErrNoName             = errors.New("domain has no name")
	ErrDuplicateName      = errors.New("duplicate domain name")
	ErrDuplicateUUID      = errors.New("duplicate domain UUID")
	ErrBadState           = errors.New("state out of range (0..7)")
	ErrTransientShutoff   = errors.New("transient domain cannot have runstate 'shutoff'")
	ErrManagedSaveRunning = errors.New("domain with managedsave data can only have runstate 'shutoff'")
	ErrTitleNewline       = errors.New("domain title can't contain newlines")
	ErrSnapshot           = errors.New("invalid snapshot")
	ErrModelTooLong       = errors.New("CPU model longer than 31 bytes")
)

// Validate checks n against the rules libvirt's test driver applies to a
// node file and returns the first violation.
func (n *Node) Validate() error {
	if len(n.Info.Model) > 31 {
		return fmt.Errorf("testdriver: model %q: %w", n.Info.Model, ErrModelTooLong)
	}
	names := make(map[string]bool, len(n.Domains))
	uuids := make(map[protocol.UUID]bool, len(n.Domains))
	for i := range n.Domains {
		d := &n.Domains[i]
		if err := d.validate(); err != nil {
			return fmt.Errorf("testdriver: domain %d %q: %w", i, d.Name, err)
		}
		if names[d.Name] {
			return fmt.Errorf("testdriver: domain %d %q: %w", i, d.Name, ErrDuplicateName)
		}
		names[d.Name] = true
		if d.UUID != (protocol.UUID{}) {
			if uuids[d.UUID] {
				return fmt.Errorf("testdriver: domain %d %q: %w %s", i, d.Name, ErrDuplicateUUID, d.UUID)
			}
			uuids[d.UUID] = true
		}
	}
	return nil
}

func (d *Domain) validate() error {
	switch {
	case d.Name == "":
		return ErrNoName
	case d.State < 0 || d.State > protocol.DomainPMSuspended:
		return ErrBadState
	case d.Transient && d.State == protocol.DomainShutoff:
		return ErrTransientShutoff
	case d.ManagedSave && d.State != protocol.DomainShutoff:
		return ErrManagedSaveRunning
	case strings.Contains(d.Title, "\n"):
		return ErrTitleNewline
	}
	current := 0
	seen := make(map[string]bool, len(d.Snapshots))
	for _, s := range d.Snapshots {
		if s.Name == "" || seen[s.Name] {
			return fmt.Errorf("%w: empty or duplicate name %q", ErrSnapshot, s.Name)
		}
		seen[s.Name] = true
		if s.Current {
			current++
		}
	}
	if current > 1 {
		return fmt.Errorf("%w: more than one snapshot claims to be active", ErrSnapshot)
	}
	for _, s := range d.Snapshots {
		if s.Parent != "" && !seen[s.Parent] {
			return fmt.Errorf("%w: %q has unknown parent %q", ErrSnapshot, s.Name, s.Parent)
		}
	}
	return nil
}

// Clone returns a deep copy of n.
func (n *Node) Clone() *Node {
	c := &Node{Info: n.Info, Domains: slices.Clone(n.Domains)}
	for i := range c.Domains {
		c.Domains[i].Snapshots = slices.Clone(c.Domains[i].Snapshots)
		c.Domains[i].Checkpoints = slices.Clone(c.Domains[i].Checkpoints)
	}
	return c
}

// withDefaults fills zero fields with the test driver's defaults.
func (i NodeInfo) withDefaults() NodeInfo {
	d := DefaultNodeInfo()
	i.Model = cmp.Or(i.Model, d.Model)
	i.MemoryKiB = cmp.Or(i.MemoryKiB, d.MemoryKiB)
	i.MHz = cmp.Or(i.MHz, d.MHz)
	i.Nodes = cmp.Or(i.Nodes, d.Nodes)
	i.Sockets = cmp.Or(i.Sockets, d.Sockets)
	i.Cores = cmp.Or(i.Cores, d.Cores)
	i.Threads = cmp.Or(i.Threads, d.Threads)
	i.CPUs = cmp.Or(i.CPUs, i.Nodes*i.Sockets*i.Cores*i.Threads)
	return i
}

// randomUUID returns a random RFC 4122 version 4 UUID, as libvirt's
// virUUIDGenerate does.
func randomUUID() protocol.UUID {
	var u protocol.UUID
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
