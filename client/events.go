package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/virtwire/virtwire/protocol"
)

// DefaultEventBuffer is the default capacity of an event channel
// (RELIABILITY.md test 39).
const DefaultEventBuffer = 1024

// LifecycleEvent is one domain lifecycle event, the payload of
// REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE (318) without its callback ID.
type LifecycleEvent struct {
	Dom    protocol.NonnullDomain
	Event  protocol.DomainEventType
	Detail int32
}

// EventSubscription is one registered event callback
// (CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY). Its events arrive on a
// bounded channel; when the channel is full, further events are dropped and
// counted rather than queued without limit, so a slow consumer never stalls
// the connection (RELIABILITY.md test 39). The channel is closed exactly
// once: by Close, or when the connection ends.
type EventSubscription struct {
	c          *Conn
	callbackID int32
	ch         chan LifecycleEvent
	dropped    atomic.Uint64

	mu     sync.Mutex // guards sends on ch against its closing
	closed bool
}

// Events returns the channel the events arrive on, in the order the daemon
// sent them.
func (s *EventSubscription) Events() <-chan LifecycleEvent { return s.ch }

// CallbackID returns the callback ID the daemon assigned.
func (s *EventSubscription) CallbackID() int32 { return s.callbackID }

// Dropped returns how many events were dropped because the channel was full.
func (s *EventSubscription) Dropped() uint64 { return s.dropped.Load() }

// Close deregisters the callback (CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY)
// and closes the channel. On a connection that has ended it only closes the
// channel. Calling it again does nothing.
func (s *EventSubscription) Close(ctx context.Context) error {
	c := s.c
	c.mu.Lock()
	registered := c.subs[s.callbackID] == s
	if registered {
		delete(c.subs, s.callbackID)
	}
	c.mu.Unlock()
	var err error
	if registered {
		err = c.call(ctx, protocol.ProcConnectDomainEventCallbackDeregisterAny,
			&protocol.ConnectDomainEventCallbackDeregisterAnyArgs{Value: s.callbackID}, nil, nil)
		if errors.Is(err, ErrConnClosed) {
			err = nil
		}
	}
	s.closeChannel()
	return err
}

func (s *EventSubscription) closeChannel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

func (s *EventSubscription) deliver(ev LifecycleEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.dropped.Add(1)
	}
}

// SubscribeLifecycle registers for domain lifecycle events
// (VIR_DOMAIN_EVENT_ID_LIFECYCLE) of dom, or of every domain when dom is
// nil, as libvirt's virConnectDomainEventRegisterAny does over the remote
// driver. Events are delivered on the subscription's channel, whose capacity
// is set by WithEventBuffer.
//
// If ctx ends before the daemon answers, the daemon may still have
// registered the callback; its events are then dropped.
func (c *Conn) SubscribeLifecycle(ctx context.Context, dom *protocol.NonnullDomain) (*EventSubscription, error) {
	s := &EventSubscription{c: c, ch: make(chan LifecycleEvent, c.opts.eventBuffer)}
	var ret protocol.ConnectDomainEventCallbackRegisterAnyRet
	args := &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: protocol.DomainEventIDLifecycle, Dom: dom}
	err := c.call(ctx, protocol.ProcConnectDomainEventCallbackRegisterAny, args, &ret, func() {
		// In the reader, before the next frame: an event right after the
		// reply finds the subscription.
		s.callbackID = ret.Value
		c.mu.Lock()
		dead := c.dead != nil
		if !dead {
			c.subs[ret.Value] = s
		}
		c.mu.Unlock()
		if dead {
			s.closeChannel()
		}
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// dispatchEvent delivers an event MESSAGE. Events of procedures nobody
// subscribed to, for unknown callback IDs, with a status other than OK or
// that do not decode are dropped, as libvirt's client drops them.
func (c *Conn) dispatchEvent(f *protocol.Frame) {
	if f.Header.Procedure != protocol.ProcDomainEventCallbackLifecycle || f.Header.Status != protocol.StatusOK {
		return
	}
	var m protocol.DomainEventCallbackLifecycleMsg
	if _, err := protocol.Unmarshal(f.Payload, &m); err != nil {
		return
	}
	c.mu.Lock()
	s := c.subs[m.CallbackID]
	c.mu.Unlock()
	if s != nil {
		s.deliver(LifecycleEvent{Dom: m.Msg.Dom, Event: m.Msg.Event, Detail: m.Msg.Detail})
	}
}
