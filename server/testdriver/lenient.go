package testdriver

import (
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// libvirtd decodes the discriminant of an XDR pointer (remote_string,
// remote_domain) with rpcgen's xdr_bool, which takes any non-zero word as
// TRUE. Package protocol is strict (0 or 1) as a client should be; the
// argument types below decode the way libvirtd does. go-libvirt depends
// on it: its CONNECT_OPEN sends the name's discriminant as 0x01000000.

func lenientOptional(d *xdr.Decoder, field string) bool { return d.Uint32(field) != 0 }

func lenientString(d *xdr.Decoder, field string) protocol.OptionalString {
	if !lenientOptional(d, field) {
		return protocol.OptionalString{}
	}
	return protocol.Some(d.String(field, protocol.StringMax))
}

// openArgs is remote_connect_open_args, decoded as libvirtd decodes it.
type openArgs struct{ protocol.ConnectOpenArgs }

// DecodeXDR decodes the arguments as libvirtd does.
func (a *openArgs) DecodeXDR(d *xdr.Decoder) {
	a.Name = lenientString(d, "name")
	a.Flags = protocol.ConnectFlags(d.Uint32("flags"))
}

// maxVcpusArgs is remote_connect_get_max_vcpus_args, decoded as libvirtd
// decodes it.
type maxVcpusArgs struct {
	protocol.ConnectGetMaxVcpusArgs
}

// DecodeXDR decodes the arguments as libvirtd does.
func (a *maxVcpusArgs) DecodeXDR(d *xdr.Decoder) { a.Type = lenientString(d, "type") }

// getMetadataArgs is remote_domain_get_metadata_args, decoded as libvirtd
// decodes it.
type getMetadataArgs struct{ protocol.DomainGetMetadataArgs }

// DecodeXDR decodes the arguments as libvirtd does.
func (a *getMetadataArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Type = protocol.MetadataType(d.Int32("type"))
	a.URI = lenientString(d, "uri")
	a.Flags = d.Uint32("flags")
}

// setMetadataArgs is remote_domain_set_metadata_args, decoded as libvirtd
// decodes it.
type setMetadataArgs struct{ protocol.DomainSetMetadataArgs }

// DecodeXDR decodes the arguments as libvirtd does.
func (a *setMetadataArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Type = protocol.MetadataType(d.Int32("type"))
	a.Metadata = lenientString(d, "metadata")
	a.Key = lenientString(d, "key")
	a.URI = lenientString(d, "uri")
	a.Flags = d.Uint32("flags")
}

// registerArgs is remote_connect_domain_event_callback_register_any_args,
// decoded as libvirtd decodes it.
type registerArgs struct {
	protocol.ConnectDomainEventCallbackRegisterAnyArgs
}

// DecodeXDR decodes the arguments as libvirtd does.
func (a *registerArgs) DecodeXDR(d *xdr.Decoder) {
	a.EventID = protocol.DomainEventID(d.Int32("eventID"))
	a.Dom = nil
	if lenientOptional(d, "dom") {
		var dom protocol.NonnullDomain
		dom.DecodeXDR(d)
		a.Dom = &dom
	}
}
