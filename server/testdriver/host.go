package testdriver

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/virtwire/virtwire/protocol"
)

// Host is a node a Driver serves, with the state of the connections that
// have it open. Its methods let a test read and change the domains while
// clients are connected; they are safe for concurrent use.
//
// A change applies to the node itself, so to every later connection, and
// to every connection that has it open (for test:///default, to the one
// state they share). Changes of state send lifecycle events to the
// connections' registered callbacks, as if a guest had changed by itself.
type Host struct {
	drv    *Driver
	name   string
	shared bool

	mu     sync.Mutex
	tmpl   *nodeState              // the node as served
	live   *nodeState              // shared node: the state while open
	refs   int                     // shared node: connections that have it open
	states map[*nodeState]struct{} // per-connection copies
}

// Name returns the CONNECT_OPEN name the node is served under.
func (h *Host) Name() string { return h.name }

// Shared reports whether connections share one state (test:///default)
// rather than each getting its own copy.
func (h *Host) Shared() bool { return h.shared }

// attach gives a connection its state of the node.
func (h *Host) attach(ss *session) *nodeState {
	h.mu.Lock()
	defer h.mu.Unlock()
	var st *nodeState
	if h.shared {
		if h.live == nil {
			h.live = h.tmpl.clone()
		}
		h.refs++
		st = h.live
	} else {
		st = h.tmpl.clone()
		h.states[st] = struct{}{}
	}
	return st
}

// detach is the end of a connection's use of st.
func (h *Host) detach(ss *session, st *nodeState) {
	st.dropCallbacks(ss)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shared {
		if h.refs--; h.refs == 0 {
			h.live = nil // libvirtd frees test:///default with its last connection
		}
		return
	}
	delete(h.states, st)
}

// current is the state a reader sees: the shared live state if any,
// otherwise the node as served.
func (h *Host) current() *nodeState {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.live != nil {
		return h.live
	}
	return h.tmpl
}

// Info returns the host information NODE_GET_INFO reports.
func (h *Host) Info() NodeInfo {
	st := h.current()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.info
}

// Domains returns the node's domains, in node order: for test:///default
// the shared state while a connection has it open, otherwise the node as a
// new connection gets it. A domain without a configured UUID shows the one
// the node holds; each connection gets its own random one.
func (h *Host) Domains() []Domain {
	st := h.current()
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]Domain, len(st.doms))
	for i, o := range st.doms {
		out[i] = o.export()
	}
	return out
}

// Domain returns the domain named name.
func (h *Host) Domain(name string) (Domain, bool) {
	st := h.current()
	st.mu.Lock()
	defer st.mu.Unlock()
	if o := st.byName[name]; o != nil {
		return o.export(), true
	}
	return Domain{}, false
}

// ErrNoSuchDomain is returned by Host methods for a name the node does not
// have.
var ErrNoSuchDomain = errors.New("testdriver: no such domain")

// each applies f to the node as served and to every open state of it,
// then sends the events each open state produced. The error is the
// served node's; open states where the domain is gone are skipped.
func (h *Host) each(f func(st *nodeState) ([]lifecycleEvent, error)) error {
	h.mu.Lock()
	states := []*nodeState{}
	if h.live != nil {
		states = append(states, h.live)
	}
	for st := range h.states {
		states = append(states, st)
	}
	tmpl := h.tmpl
	h.mu.Unlock()
	tmpl.mu.Lock()
	_, err := f(tmpl)
	tmpl.mu.Unlock()
	if err != nil {
		return err
	}
	for _, st := range states {
		st.mu.Lock()
		evs, err := f(st)
		st.mu.Unlock()
		if err == nil {
			st.notify(evs)
		}
	}
	return nil
}

func (st *nodeState) named(name string) (*domainObj, error) {
	if o := st.byName[name]; o != nil {
		return o, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSuchDomain, name)
}

// SetState changes a domain's state, with reason 0, and sends the
// lifecycle event libvirt would for the change: SUSPENDED, RESUMED,
// STARTED (from shut off; the domain gets a new ID), STOPPED (to shut off;
// a transient domain disappears), CRASHED or PMSUSPENDED. Other changes send
// no event.
func (h *Host) SetState(name string, state protocol.DomainState) error {
	if state < 0 || state > protocol.DomainPMSuspended {
		return fmt.Errorf("testdriver: %w: %d", ErrBadState, state)
	}
	return h.each(func(st *nodeState) ([]lifecycleEvent, error) {
		o, err := st.named(name)
		if err != nil {
			return nil, err
		}
		old := o.state
		if old == state {
			return nil, nil
		}
		switch {
		case old == protocol.DomainShutoff:
			st.startState(o, 0)
			o.state = state
			return []lifecycleEvent{o.event(protocol.DomainEventStarted, detailStartedBooted)}, nil
		case state == protocol.DomainShutoff:
			st.shutdownState(o, 0)
			return []lifecycleEvent{st.stopped(o, detailStoppedDestroyed)}, nil
		}
		o.state, o.reason = state, 0
		switch state {
		case protocol.DomainPaused:
			return []lifecycleEvent{o.event(protocol.DomainEventSuspended, detailSuspendedPaused)}, nil
		case protocol.DomainRunning:
			if old == protocol.DomainPaused {
				return []lifecycleEvent{o.event(protocol.DomainEventResumed, detailResumedUnpaused)}, nil
			}
		case protocol.DomainCrashed:
			return []lifecycleEvent{o.event(protocol.DomainEventCrashed, detailCrashedPanicked)}, nil
		case protocol.DomainPMSuspended:
			return []lifecycleEvent{o.event(protocol.DomainEventPMSuspended, detailPMSuspendedMemory)}, nil
		}
		return nil, nil
	})
}

// SetAutostart sets a domain's autostart flag.
func (h *Host) SetAutostart(name string, autostart bool) error {
	return h.each(func(st *nodeState) ([]lifecycleEvent, error) {
		o, err := st.named(name)
		if err == nil {
			o.autostart = autostart
		}
		return nil, err
	})
}

// Update replaces a domain's definition by what f makes of it: f gets the
// domain as Domain returns it and may change any field but Name, UUID and
// ID. The result must be valid (see Node.Validate). A domain that becomes
// active gets a new ID; one that shuts off loses its ID. No event is sent.
func (h *Host) Update(name string, f func(d *Domain)) error {
	return h.each(func(st *nodeState) ([]lifecycleEvent, error) {
		o, err := st.named(name)
		if err != nil {
			return nil, err
		}
		d := o.export()
		f(&d)
		d.Name, d.UUID = o.name, o.uuid
		if err := d.validate(); err != nil {
			return nil, fmt.Errorf("testdriver: domain %q: %w", name, err)
		}
		n := newDomainObj(&d, o.uuid)
		n.genUUID = o.genUUID
		switch {
		case n.active() && o.active():
			n.id = o.id
		case n.active():
			n.id = st.nextID
			st.nextID++
		}
		i := slices.Index(st.doms, o)
		st.doms[i] = n
		st.byUUID[n.uuid], st.byName[n.name] = n, n
		return nil, nil
	})
}

// Define adds a domain to the node, as the last one, and sends DEFINED (a
// persistent domain) and STARTED (an active one) events. An active domain
// gets the next ID. Its name and UUID (unless zero: then a random one) must
// be new.
func (h *Host) Define(d Domain) error {
	if err := d.validate(); err != nil {
		return fmt.Errorf("testdriver: domain %q: %w", d.Name, err)
	}
	return h.each(func(st *nodeState) ([]lifecycleEvent, error) {
		if st.byName[d.Name] != nil {
			return nil, fmt.Errorf("testdriver: domain %q: %w", d.Name, ErrDuplicateName)
		}
		if st.byUUID[d.UUID] != nil {
			return nil, fmt.Errorf("testdriver: domain %q: %w %s", d.Name, ErrDuplicateUUID, d.UUID)
		}
		u := d.UUID
		for u == (protocol.UUID{}) || st.byUUID[u] != nil {
			u = randomUUID()
		}
		o := newDomainObj(&d, u)
		o.genUUID = d.UUID == (protocol.UUID{})
		var evs []lifecycleEvent
		if o.active() {
			o.id = st.nextID
			st.nextID++
		}
		st.add(o)
		if o.persistent {
			evs = append(evs, o.event(protocol.DomainEventDefined, detailDefinedAdded))
		}
		if o.active() {
			evs = append(evs, o.event(protocol.DomainEventStarted, detailStartedBooted))
		}
		return evs, nil
	})
}

// Undefine removes a domain's persistent definition and sends an
// UNDEFINED event, as virDomainUndefine does: an inactive domain leaves the
// node, an active one stays, transient, until it stops.
func (h *Host) Undefine(name string) error {
	return h.each(func(st *nodeState) ([]lifecycleEvent, error) {
		o, err := st.named(name)
		if err != nil {
			return nil, err
		}
		ev := o.event(protocol.DomainEventUndefined, detailUndefinedRemoved)
		o.managedSave = false
		if o.active() {
			o.persistent = false
			o.newDef = nil
		} else {
			st.remove(o)
		}
		return []lifecycleEvent{ev}, nil
	})
}
