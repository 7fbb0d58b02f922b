package testdriver

import (
	"slices"
	"sync"

	"github.com/virtwire/virtwire/protocol"
)

// nodeState is one running instance of a node: what a libvirt test driver
// connection (testDriver) holds. File nodes get one per connection,
// test:///default one shared by its connections.
type nodeState struct {
	mu     sync.Mutex
	info   NodeInfo
	doms   []*domainObj // node order
	byUUID map[protocol.UUID]*domainObj
	byName map[string]*domainObj
	nextID int32
	// cbs are the event callbacks registered on this state, in order;
	// nextCallbackID numbers them.
	cbs            []*connCallback
	nextCallbackID int32
}

// newNodeState builds a running node from n, which must be valid: every
// active domain gets the next ID, in node order, and every zero UUID a random
// one.
func newNodeState(n *Node) *nodeState {
	s := &nodeState{
		info:   n.Info.withDefaults(),
		byUUID: make(map[protocol.UUID]*domainObj, len(n.Domains)),
		byName: make(map[string]*domainObj, len(n.Domains)),
		nextID: 1,
	}
	for i := range n.Domains {
		d := &n.Domains[i]
		u := d.UUID
		if u == (protocol.UUID{}) {
			for u == (protocol.UUID{}) || s.byUUID[u] != nil {
				u = randomUUID()
			}
		}
		o := newDomainObj(d, u)
		o.genUUID = d.UUID == (protocol.UUID{})
		if o.active() {
			o.id = s.nextID
			s.nextID++
		}
		s.add(o)
	}
	return s
}

// clone returns a copy of s for another session: same domains and IDs, the
// same UUIDs except fresh random ones for domains that had none, no event
// callbacks.
func (s *nodeState) clone() *nodeState {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &nodeState{
		info:   s.info,
		byUUID: make(map[protocol.UUID]*domainObj, len(s.doms)),
		byName: make(map[string]*domainObj, len(s.doms)),
		nextID: s.nextID,
	}
	for _, o := range s.doms {
		o = o.clone()
		if o.genUUID {
			o.uuid = randomUUID()
			for s.byUUID[o.uuid] != nil || c.byUUID[o.uuid] != nil {
				o.uuid = randomUUID()
			}
		}
		c.add(o)
	}
	return c
}

func (s *nodeState) add(o *domainObj) {
	s.doms = append(s.doms, o)
	s.byUUID[o.uuid] = o
	s.byName[o.name] = o
}

func (s *nodeState) remove(o *domainObj) {
	if i := slices.Index(s.doms, o); i >= 0 {
		s.doms = slices.Delete(s.doms, i, i+1)
	}
	delete(s.byUUID, o.uuid)
	delete(s.byName, o.name)
}

// find is testDomObjFromDomain: a lookup by UUID whose error quotes the
// name the client sent. Callers hold s.mu.
func (s *nodeState) find(d *protocol.NonnullDomain) (*domainObj, *protocol.Error) {
	if o := s.byUUID[d.UUID]; o != nil {
		return o, nil
	}
	return nil, errNoDomainUUID(d)
}

// startState is testDomainStartState: the domain runs with a new ID, a
// persistent domain keeps its configuration apart from the live
// definition, and any managed save image is gone.
func (s *nodeState) startState(o *domainObj, reason int32) {
	o.state, o.reason = protocol.DomainRunning, reason
	o.id = s.nextID
	s.nextID++
	if o.persistent && o.newDef == nil {
		c := *o.def
		o.newDef = &c
	}
	o.managedSave = false
}

// shutdownState is testDomainShutdownState: the live definition is dropped
// for the persistent one, which has no ID. A transient domain keeps its
// definition, ID included, until the caller removes it.
func (s *nodeState) shutdownState(o *domainObj, reason int32) {
	if o.newDef != nil {
		o.def, o.newDef = o.newDef, nil
		o.id = -1
	}
	o.state, o.reason = protocol.DomainShutoff, reason
}

// stopped finishes a stop: the event (a transient domain still shows its
// old ID in it, as in libvirtd), then a transient domain leaves the node.
func (s *nodeState) stopped(o *domainObj, detail int32) lifecycleEvent {
	ev := o.event(protocol.DomainEventStopped, detail)
	if !o.persistent {
		s.remove(o)
		o.id = -1
	}
	return ev
}

// The operations below are the test driver's (src/test/test_driver.c), with
// its checks in its order. Each holds s.mu for its whole run.

func (s *nodeState) suspend(d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error) {
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if o.state == protocol.DomainShutoff || o.state == protocol.DomainPaused {
			return nil, errTestInternal("domain '%s' not running", d.Name)
		}
		o.state, o.reason = protocol.DomainPaused, reasonPausedUser
		return []lifecycleEvent{o.event(protocol.DomainEventSuspended, detailSuspendedPaused)}, nil
	})
}

func (s *nodeState) resume(d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error) {
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if o.state != protocol.DomainPaused {
			return nil, errTestInternal("domain '%s' not paused", d.Name)
		}
		o.state, o.reason = protocol.DomainRunning, reasonRunningUnpaused
		return []lifecycleEvent{o.event(protocol.DomainEventResumed, detailResumedUnpaused)}, nil
	})
}

func (s *nodeState) create(d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error) {
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if o.state != protocol.DomainShutoff {
			return nil, errTestInternal("Domain '%s' is already running", d.Name)
		}
		s.startState(o, reasonRunningBooted)
		return []lifecycleEvent{o.event(protocol.DomainEventStarted, detailStartedBooted)}, nil
	})
}

func (s *nodeState) destroy(d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error) {
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if !o.active() {
			return nil, errNotRunning()
		}
		s.shutdownState(o, reasonShutoffDestroyed)
		return []lifecycleEvent{s.stopped(o, detailStoppedDestroyed)}, nil
	})
}

func (s *nodeState) shutdown(d *protocol.NonnullDomain) ([]lifecycleEvent, *protocol.Error) {
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if o.state == protocol.DomainShutoff {
			return nil, errTestInternal("domain '%s' not running", d.Name)
		}
		switch o.onPoweroff {
		case ActionRestart, ActionRestartRename:
			o.state, o.reason = protocol.DomainRunning, reasonRunningBooted
			return nil, nil
		}
		s.shutdownState(o, reasonShutoffShutdown)
		return []lifecycleEvent{s.stopped(o, detailStoppedShutdown)}, nil
	})
}

// Flags of DOMAIN_MANAGED_SAVE (virDomainSaveRestoreFlags).
const (
	saveBypassCache = 1 // VIR_DOMAIN_SAVE_BYPASS_CACHE
	saveRunning     = 2 // VIR_DOMAIN_SAVE_RUNNING
	savePaused      = 4 // VIR_DOMAIN_SAVE_PAUSED
)

func (s *nodeState) managedSave(d *protocol.NonnullDomain, flags uint32) ([]lifecycleEvent, *protocol.Error) {
	if err := checkFlags(flags, saveBypassCache|saveRunning|savePaused, "testDomainManagedSave"); err != nil {
		return nil, err
	}
	return s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		if !o.active() {
			return nil, errNotRunning()
		}
		if !o.persistent {
			return nil, protocol.NewError(protocol.FromTest, protocol.ErrOperationInvalid, "cannot do managed save for transient domain")
		}
		s.shutdownState(o, reasonShutoffSaved)
		o.managedSave = true
		return []lifecycleEvent{s.stopped(o, detailStoppedSaved)}, nil
	})
}

func (s *nodeState) managedSaveRemove(d *protocol.NonnullDomain, flags uint32) *protocol.Error {
	if err := checkFlags(flags, 0, "testDomainManagedSaveRemove"); err != nil {
		return err
	}
	return s.read(d, func(o *domainObj) { o.managedSave = false })
}

// update runs op on the domain d under the lock, after the lookup (find)
// whose error comes first.
func (s *nodeState) update(d *protocol.NonnullDomain, op func(o *domainObj) ([]lifecycleEvent, *protocol.Error)) ([]lifecycleEvent, *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(d)
	if err != nil {
		return nil, err
	}
	return op(o)
}

// read runs f on the domain d under the lock (update without events).
func (s *nodeState) read(d *protocol.NonnullDomain, f func(o *domainObj)) *protocol.Error {
	_, err := s.update(d, func(o *domainObj) ([]lifecycleEvent, *protocol.Error) {
		f(o)
		return nil, nil
	})
	return err
}

// checkFlags is virCheckFlags in a test driver function.
func checkFlags(flags, supported uint32, function string) *protocol.Error {
	if flags&^supported == 0 {
		return nil
	}
	return protocol.UnsupportedFlagsError(protocol.FromTest, function, flags&^supported)
}
