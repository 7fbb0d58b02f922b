package libvirtdtest_test

import (
	"testing"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
	"github.com/virtwire/virtwire/server/testdriver"
)

func zeros(n int) protocol.RawPayload { return make(protocol.RawPayload, n) }

func feature(f int32) *protocol.ConnectSupportsFeatureArgs {
	return &protocol.ConnectSupportsFeatureArgs{Feature: protocol.Feature(f)}
}

// dom is a domain of testdata/node.xml: its UUID is the byte b 16 times.
func dom(name string, b byte, id int32) protocol.NonnullDomain {
	var u protocol.UUID
	for i := range u {
		u[i] = b
	}
	return protocol.NonnullDomain{Name: name, UUID: u, ID: id}
}

// The domains of testdata/node.xml (FACTS §6).
var (
	alpha    = dom("alpha", 0x11, 1)
	bravo    = dom("bravo", 0x22, 2)
	charlie  = dom("charlie", 0x33, -1)
	delta    = dom("delta", 0x44, -1)
	echo     = dom("echo", 0x55, 3)
	foxtrot  = dom("foxtrot", 0x66, 4)
	golf     = dom("golf", 0x77, -1)
	hotel    = dom("hotel", 0x88, 5)
	ghost    = dom("ghost", 0x00, 7)
	nodeDoms = []protocol.NonnullDomain{alpha, bravo, charlie, delta, echo, foxtrot, golf, hotel}
)

func domArgs(d protocol.NonnullDomain) *protocol.DomainArgs { return &protocol.DomainArgs{Dom: d} }

func domFlags(d protocol.NonnullDomain, f uint32) *protocol.DomainFlagsArgs {
	return &protocol.DomainFlagsArgs{Dom: d, Flags: f}
}

func i32(v int32) *protocol.Int32Value { return &protocol.Int32Value{Value: v} }

func meta(d protocol.NonnullDomain, typ int32, uri *string, flags uint32) *protocol.DomainGetMetadataArgs {
	a := &protocol.DomainGetMetadataArgs{Dom: d, Type: protocol.MetadataType(typ), Flags: flags}
	if uri != nil {
		a.URI = protocol.Some(*uri)
	}
	return a
}

func setMeta(d protocol.NonnullDomain, typ int32, value, key, uri *string, flags uint32) *protocol.DomainSetMetadataArgs {
	a := &protocol.DomainSetMetadataArgs{Dom: d, Type: protocol.MetadataType(typ), Flags: flags}
	for _, f := range []struct {
		p *string
		o *protocol.OptionalString
	}{{value, &a.Metadata}, {key, &a.Key}, {uri, &a.URI}} {
		if f.p != nil {
			*f.o = protocol.Some(*f.p)
		}
	}
	return a
}

func str(s string) *string { return &s }

func register(ev int32, d *protocol.NonnullDomain) *protocol.ConnectDomainEventCallbackRegisterAnyArgs {
	return &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: protocol.DomainEventID(ev), Dom: d}
}

func listAll(need int32, flags uint32) *protocol.ConnectListAllDomainsArgs {
	return &protocol.ConnectListAllDomainsArgs{NeedResults: need, Flags: protocol.ListDomainsFlags(flags)}
}

func children(d protocol.NonnullDomain, need int32, flags uint32) *protocol.DomainListAllChildrenArgs {
	return &protocol.DomainListAllChildrenArgs{Dom: d, NeedResults: need, Flags: flags}
}

func snapNames(d protocol.NonnullDomain, max int32, flags uint32) *protocol.DomainSnapshotListNamesArgs {
	return &protocol.DomainSnapshotListNamesArgs{Dom: d, MaxNames: max, Flags: flags}
}

func tparam(field string, t protocol.TypedParamType) protocol.TypedParam {
	return protocol.TypedParam{Field: field, Type: t, S: "x", UL: 1, L: 1}
}

func identity(params ...protocol.TypedParam) *protocol.ConnectSetIdentityArgs {
	return &protocol.ConnectSetIdentityArgs{Params: params}
}

var _ = testing.Short

func libvirtdtestFault(e *protocol.Error) libvirtdtest.Fault { return libvirtdtest.Fault{Error: e} }

func appendDom(b []byte, d protocol.NonnullDomain) []byte {
	b, _ = d.AppendBinary(b)
	return b
}

type testdriverNode = testdriver.Node

func parseNodeXML(data []byte) (*testdriver.Node, error) { return testdriver.ParseNodeXML(data, nil) }
