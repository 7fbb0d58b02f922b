package protocol

import "github.com/virtwire/virtwire/xdr"

// DomainEventLifecycleMsg is remote_domain_event_lifecycle_msg, the payload
// of the legacy MESSAGE REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE (107). libvirtd
// sends events with serial 1 (FACTS S1).
type DomainEventLifecycleMsg struct {
	Dom    NonnullDomain
	Event  DomainEventType
	Detail int32
}

// AppendBinary appends the message, failing if the name is over StringMax.
func (m *DomainEventLifecycleMsg) AppendBinary(b []byte) ([]byte, error) {
	b, err := m.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, int32(m.Event))
	return xdr.AppendInt32(b, m.Detail), nil
}

// DecodeXDR decodes the message.
func (m *DomainEventLifecycleMsg) DecodeXDR(d *xdr.Decoder) {
	m.Dom.DecodeXDR(d)
	m.Event = DomainEventType(d.Int32("event"))
	m.Detail = d.Int32("detail")
}

// UnmarshalBinary decodes the message from b, ignoring trailing bytes.
func (m *DomainEventLifecycleMsg) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, m)
	return err
}

// DomainEventCallbackLifecycleMsg is remote_domain_event_callback_lifecycle_msg,
// the payload of the MESSAGE REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE (318):
// the callback ID the client registered and the event.
type DomainEventCallbackLifecycleMsg struct {
	CallbackID int32
	Msg        DomainEventLifecycleMsg
}

// AppendBinary appends the message, failing if the name is over StringMax.
func (m *DomainEventCallbackLifecycleMsg) AppendBinary(b []byte) ([]byte, error) {
	return m.Msg.AppendBinary(xdr.AppendInt32(b, m.CallbackID))
}

// DecodeXDR decodes the message.
func (m *DomainEventCallbackLifecycleMsg) DecodeXDR(d *xdr.Decoder) {
	m.CallbackID = d.Int32("callbackID")
	m.Msg.DecodeXDR(d)
}

// UnmarshalBinary decodes the message from b, ignoring trailing bytes.
func (m *DomainEventCallbackLifecycleMsg) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, m)
	return err
}

// ConnectDomainEventCallbackRegisterAnyArgs is
// remote_connect_domain_event_callback_register_any_args
// (REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, 316): the event ID
// and an optional domain (NULL: events of every domain).
type ConnectDomainEventCallbackRegisterAnyArgs struct {
	EventID DomainEventID
	Dom     *NonnullDomain
}

// AppendBinary appends the args, failing if the name is over StringMax.
func (a *ConnectDomainEventCallbackRegisterAnyArgs) AppendBinary(b []byte) ([]byte, error) {
	if err := checkOptionalDomain("dom", len(b), a.Dom); err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, int32(a.EventID))
	return appendOptionalDomain(b, a.Dom), nil
}

// DecodeXDR decodes the args.
func (a *ConnectDomainEventCallbackRegisterAnyArgs) DecodeXDR(d *xdr.Decoder) {
	a.EventID = DomainEventID(d.Int32("eventID"))
	a.Dom = decodeOptionalDomain(d, "dom")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectDomainEventCallbackRegisterAnyArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}
