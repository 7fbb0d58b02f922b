package protocol

import "strconv"

// DomainState is virDomainState (FACTS §5).
type DomainState int32

// Domain states.
const (
	DomainNoState     DomainState = 0 // VIR_DOMAIN_NOSTATE
	DomainRunning     DomainState = 1 // VIR_DOMAIN_RUNNING
	DomainBlocked     DomainState = 2 // VIR_DOMAIN_BLOCKED
	DomainPaused      DomainState = 3 // VIR_DOMAIN_PAUSED
	DomainShutdown    DomainState = 4 // VIR_DOMAIN_SHUTDOWN: being shut down
	DomainShutoff     DomainState = 5 // VIR_DOMAIN_SHUTOFF
	DomainCrashed     DomainState = 6 // VIR_DOMAIN_CRASHED
	DomainPMSuspended DomainState = 7 // VIR_DOMAIN_PMSUSPENDED
)

var domainStateNames = [...]string{"NOSTATE", "RUNNING", "BLOCKED", "PAUSED", "SHUTDOWN", "SHUTOFF", "CRASHED", "PMSUSPENDED"}

// String returns the state's name without its VIR_DOMAIN_ prefix, or the number.
func (s DomainState) String() string {
	if s >= 0 && int(s) < len(domainStateNames) {
		return domainStateNames[s]
	}
	return strconv.Itoa(int(s))
}

// DomainEventType is virDomainEventType, the event of a lifecycle event.
type DomainEventType int32

// Lifecycle events.
const (
	DomainEventDefined     DomainEventType = 0
	DomainEventUndefined   DomainEventType = 1
	DomainEventStarted     DomainEventType = 2
	DomainEventSuspended   DomainEventType = 3
	DomainEventResumed     DomainEventType = 4
	DomainEventStopped     DomainEventType = 5
	DomainEventShutdown    DomainEventType = 6
	DomainEventPMSuspended DomainEventType = 7
	DomainEventCrashed     DomainEventType = 8
)

var domainEventNames = [...]string{"DEFINED", "UNDEFINED", "STARTED", "SUSPENDED", "RESUMED", "STOPPED", "SHUTDOWN", "PMSUSPENDED", "CRASHED"}

// String returns the event's name without its VIR_DOMAIN_EVENT_ prefix, or the number.
func (e DomainEventType) String() string {
	if e >= 0 && int(e) < len(domainEventNames) {
		return domainEventNames[e]
	}
	return strconv.Itoa(int(e))
}

// DomainEventID is a VIR_DOMAIN_EVENT_ID_* number, for event registration.
type DomainEventID int32

// DomainEventIDLifecycle is VIR_DOMAIN_EVENT_ID_LIFECYCLE.
const DomainEventIDLifecycle DomainEventID = 0
