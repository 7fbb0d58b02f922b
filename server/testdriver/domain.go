package testdriver

import (
	"slices"

	"github.com/virtwire/virtwire/protocol"
)

// State reasons the test driver sets (virDomain*Reason in libvirt-domain.h).
const (
	reasonRunningBooted     = 1 // VIR_DOMAIN_RUNNING_BOOTED
	reasonRunningUnpaused   = 5 // VIR_DOMAIN_RUNNING_UNPAUSED
	reasonPausedUser        = 1 // VIR_DOMAIN_PAUSED_USER
	reasonShutoffShutdown   = 1 // VIR_DOMAIN_SHUTOFF_SHUTDOWN
	reasonShutoffDestroyed  = 2 // VIR_DOMAIN_SHUTOFF_DESTROYED
	reasonShutoffSaved      = 5 // VIR_DOMAIN_SHUTOFF_SAVED
	detailStartedBooted     = 0 // VIR_DOMAIN_EVENT_STARTED_BOOTED
	detailSuspendedPaused   = 0 // VIR_DOMAIN_EVENT_SUSPENDED_PAUSED
	detailResumedUnpaused   = 0 // VIR_DOMAIN_EVENT_RESUMED_UNPAUSED
	detailStoppedShutdown   = 0 // VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN
	detailStoppedDestroyed  = 1 // VIR_DOMAIN_EVENT_STOPPED_DESTROYED
	detailStoppedSaved      = 4 // VIR_DOMAIN_EVENT_STOPPED_SAVED
	detailDefinedAdded      = 0 // VIR_DOMAIN_EVENT_DEFINED_ADDED
	detailUndefinedRemoved  = 0 // VIR_DOMAIN_EVENT_UNDEFINED_REMOVED
	detailCrashedPanicked   = 0 // VIR_DOMAIN_EVENT_CRASHED_PANICKED
	detailPMSuspendedMemory = 0 // VIR_DOMAIN_EVENT_PMSUSPENDED_MEMORY
)

// domainDef is the part of a domain definition that has a live and a
// persistent copy in libvirt (vm->def and vm->newDef).
type domainDef struct {
	title, description string
	memory, curMemory  uint64
	vcpus, curVcpus    int
}

// domainObj is a domain of a running node, virDomainObj.
type domainObj struct {
	name        string
	uuid        protocol.UUID
	id          int32
	state       protocol.DomainState
	reason      int32
	persistent  bool
	autostart   bool
	managedSave bool
	onPoweroff  LifecycleAction
	snapshots   []Snapshot
	checkpoints []string
	// genUUID marks a domain that had no UUID: each copy of the node
	// gets a fresh random one, as each libvirt parse of the file does.
	genUUID bool
	// def is the current definition: the live one while the domain is
	// active, the persistent one otherwise. newDef is the persistent
	// definition while a persistent domain is active, nil otherwise.
	def, newDef *domainDef
}

// newDomainObj builds the object for d. uuid replaces a zero d.UUID.
func newDomainObj(d *Domain, uuid protocol.UUID) *domainObj {
	def := &domainDef{
		title: d.Title, description: d.Description,
		memory: d.MemoryKiB, curMemory: d.CurrentMemoryKiB,
		vcpus: d.VCPUs, curVcpus: d.CurrentVCPUs,
	}
	if def.memory == 0 {
		def.memory = 1 << 20
	}
	if def.curMemory == 0 || def.curMemory > def.memory {
		def.curMemory = def.memory
	}
	if def.vcpus <= 0 {
		def.vcpus = 1
	}
	if def.curVcpus <= 0 || def.curVcpus > def.vcpus {
		def.curVcpus = def.vcpus
	}
	o := &domainObj{
		name: d.Name, uuid: uuid, id: -1,
		state: d.State, reason: d.Reason,
		persistent: !d.Transient, autostart: d.Autostart, managedSave: d.ManagedSave,
		onPoweroff:  d.OnPoweroff,
		snapshots:   slices.Clone(d.Snapshots),
		checkpoints: slices.Clone(d.Checkpoints),
		def:         def,
	}
	if o.persistent && o.active() {
		c := *def
		o.newDef = &c
	}
	return o
}

// clone returns a deep copy of o.
func (o *domainObj) clone() *domainObj {
	c := *o
	c.snapshots = slices.Clone(o.snapshots)
	c.checkpoints = slices.Clone(o.checkpoints)
	d := *o.def
	c.def = &d
	if o.newDef != nil {
		n := *o.newDef
		c.newDef = &n
	}
	return &c
}

// active is virDomainObjIsActive: the domain has an ID.
func (o *domainObj) active() bool { return o.state != protocol.DomainShutoff }

// ref is the domain as the protocol names it.
func (o *domainObj) ref() protocol.NonnullDomain {
	return protocol.NonnullDomain{Name: o.name, UUID: o.uuid, ID: o.id}
}

// attrs is what the ListAllDomains filter looks at.
func (o *domainObj) attrs() protocol.DomainAttrs {
	return protocol.DomainAttrs{
		Active: o.active(), Persistent: o.persistent, State: o.state,
		ManagedSave: o.managedSave, Autostart: o.autostart,
		HasSnapshot: len(o.snapshots) > 0, HasCheckpoint: len(o.checkpoints) > 0,
	}
}

// persistentDef is virDomainObjGetPersistentDef.
func (o *domainObj) persistentDef() *domainDef {
	if o.newDef != nil {
		return o.newDef
	}
	return o.def
}

// export returns o as a Domain value.
func (o *domainObj) export() Domain {
	return Domain{
		Name: o.name, UUID: o.uuid, ID: o.id, State: o.state, Reason: o.reason,
		Transient: !o.persistent, Autostart: o.autostart, ManagedSave: o.managedSave,
		Snapshots: slices.Clone(o.snapshots), Checkpoints: slices.Clone(o.checkpoints),
		MemoryKiB: o.def.memory, CurrentMemoryKiB: o.def.curMemory,
		VCPUs: o.def.vcpus, CurrentVCPUs: o.def.curVcpus,
		Title: o.def.title, Description: o.def.description,
		OnPoweroff: o.onPoweroff,
	}
}

// lifecycleEvent is one VIR_DOMAIN_EVENT_ID_LIFECYCLE event.
type lifecycleEvent struct {
	dom    protocol.NonnullDomain
	event  protocol.DomainEventType
	detail int32
}

func (o *domainObj) event(ev protocol.DomainEventType, detail int32) lifecycleEvent {
	return lifecycleEvent{dom: o.ref(), event: ev, detail: detail}
}
