package testdriver

import (
	"slices"

	"github.com/virtwire/virtwire/protocol"
)

// eventIDLast is VIR_DOMAIN_EVENT_ID_LAST in libvirt 9.0: event IDs 0..26
// can be registered.
const eventIDLast = 27

// eventQueueLen bounds the events waiting to be written to one connection
// (RELIABILITY test 39). Events past it are dropped and counted.
const eventQueueLen = 1024

// callback is one event registration as the daemon records it for a
// client (daemonClientEventCallback): its ID and event.
type callback struct {
	id      int32
	eventID int32
}

// connCallback is one registration with a node's event state
// (virObjectEventCallback): IDs come from the node's counter, so
// connections sharing test:///default share it too.
type connCallback struct {
	id      int32
	ss      *session
	eventID int32
	dom     *protocol.UUID // nil: every domain
	// legacy registrations (CONNECT_DOMAIN_EVENT_REGISTER and
	// _REGISTER_ANY) get the legacy messages, without a callback ID.
	legacy bool
}

// outEvent is one MESSAGE to write.
type outEvent struct {
	proc protocol.Procedure
	msg  protocol.Message
}

// register adds an event callback, with libvirtd's checks: the event ID
// range, then virObjectEventCallbackListAddID's duplicate rule (same
// connection, same event, same domain filter). A failed registration takes
// no ID.
func (ss *session) register(st *nodeState, eventID int32, dom *protocol.NonnullDomain, legacy bool) (int32, *protocol.Error) {
	if eventID < 0 || eventID >= eventIDLast {
		return 0, errUnsupportedEvent(eventID)
	}
	var filter *protocol.UUID
	if dom != nil {
		u := dom.UUID
		filter = &u
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, cb := range st.cbs {
		if cb.ss != ss || cb.eventID != eventID {
			continue
		}
		if cb.dom == nil && filter == nil || cb.dom != nil && filter != nil && *cb.dom == *filter {
			return 0, errAlreadyTracked()
		}
	}
	cb := &connCallback{id: st.nextCallbackID, ss: ss, eventID: eventID, dom: filter, legacy: legacy}
	st.nextCallbackID++
	st.cbs = append(st.cbs, cb)
	ss.callbacks = append(ss.callbacks, &callback{id: cb.id, eventID: eventID})
	return cb.id, nil
}

// deregister removes the daemon's record i after removing the
// registration with that ID from the node the connection has open now;
// a record left over from a connection a failed second CONNECT_OPEN
// dropped has none there. Callers hold ss.mu.
func (ss *session) deregisterLocked(st *nodeState, i int) *protocol.Error {
	id := ss.callbacks[i].id
	st.mu.Lock()
	defer st.mu.Unlock()
	j := slices.IndexFunc(st.cbs, func(cb *connCallback) bool { return cb.id == id && cb.ss == ss })
	if j < 0 {
		return errCallbackGone(id)
	}
	st.cbs = slices.Delete(st.cbs, j, j+1)
	ss.callbacks = slices.Delete(ss.callbacks, i, i+1)
	return nil
}

// deregisterID is CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY.
func (ss *session) deregisterID(st *nodeState, id int32) *protocol.Error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	i := slices.IndexFunc(ss.callbacks, func(cb *callback) bool { return cb.id == id })
	if i < 0 {
		return errCallbackNotRegistered(id)
	}
	return ss.deregisterLocked(st, i)
}

// deregisterEvent is the legacy CONNECT_DOMAIN_EVENT_DEREGISTER(_ANY): the
// first callback for the event goes, whichever way it was registered.
func (ss *session) deregisterEvent(st *nodeState, eventID int32) *protocol.Error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	i := slices.IndexFunc(ss.callbacks, func(cb *callback) bool { return cb.eventID == eventID })
	if i < 0 {
		return errEventNotRegistered(eventID)
	}
	return ss.deregisterLocked(st, i)
}

// send queues one event message for the connection.
func (ss *session) send(ev outEvent) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if !ss.closed {
		ss.enqueue(ev)
	}
}

// enqueue hands a message to the connection's event writer, starting it on
// first use. Callers hold ss.mu.
func (ss *session) enqueue(ev outEvent) {
	if ss.queue == nil {
		ss.queue = make(chan outEvent, eventQueueLen)
		ss.drv.wg.Add(1)
		go ss.writeEvents(ss.queue)
	}
	select {
	case ss.queue <- ev:
	default:
		ss.drv.eventsDropped.Add(1)
	}
}

// writeEvents writes queued events until the connection ends. Events are
// MESSAGE frames with serial 1 (FACTS S1).
func (ss *session) writeEvents(q chan outEvent) {
	defer ss.drv.wg.Done()
	ctx := ss.conn.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-q:
			h := protocol.Header{Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion,
				Procedure: ev.proc, Type: protocol.TypeMessage, Serial: 1, Status: protocol.StatusOK}
			if ss.conn.Send(ctx, h, ev.msg) != nil {
				return
			}
		}
	}
}

// notify delivers events to the callbacks registered on the state: for
// each event, one message per matching lifecycle callback in registration
// order; 318 with the callback ID, or the legacy 107.
func (s *nodeState) notify(evs []lifecycleEvent) {
	if len(evs) == 0 {
		return
	}
	type delivery struct {
		ss  *session
		out outEvent
	}
	var out []delivery
	s.mu.Lock()
	for _, ev := range evs {
		for _, cb := range s.cbs {
			if cb.eventID != int32(protocol.DomainEventIDLifecycle) || cb.dom != nil && *cb.dom != ev.dom.UUID {
				continue
			}
			m := protocol.DomainEventLifecycleMsg{Dom: ev.dom, Event: ev.event, Detail: ev.detail}
			o := outEvent{proc: protocol.ProcDomainEventLifecycle, msg: &m}
			if !cb.legacy {
				o = outEvent{proc: protocol.ProcDomainEventCallbackLifecycle,
					msg: &protocol.DomainEventCallbackLifecycleMsg{CallbackID: cb.id, Msg: m}}
			}
			out = append(out, delivery{cb.ss, o})
		}
	}
	s.mu.Unlock()
	for _, d := range out {
		d.ss.send(d.out)
	}
}

// dropCallbacks removes a connection's registrations from the state, as
// closing a libvirt connection does.
func (s *nodeState) dropCallbacks(ss *session) {
	s.mu.Lock()
	s.cbs = slices.DeleteFunc(s.cbs, func(cb *connCallback) bool { return cb.ss == ss })
	s.mu.Unlock()
}
