package libvirtdtest_test

import (
	"bytes"
	"encoding"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// pair is a real libvirtd and a fake serving the same node file under the
// same name, so the same bytes can be sent to both.
type pair struct {
	real *libvirtd.Daemon
	fake *libvirtdtest.Server
	node string // absolute path of the node file, also its name's path
}

// startPair starts both on a copy of the node file src (a testdata path).
func startPair(t *testing.T, src string, opts ...libvirtdtest.Option) *pair {
	t.Helper()
	libvirtd.Require(t)
	d := libvirtd.Start(t, libvirtd.WithFile(src))
	node := d.File(baseName(src))
	opts = append([]libvirtdtest.Option{libvirtdtest.NodeXML(node)}, opts...)
	f := libvirtdtest.NewServer(t, opts...)
	return &pair{real: d, fake: f, node: node}
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }

// step is one call of a sequence; nil args are an empty payload.
type step struct {
	label string
	proc  protocol.Procedure
	args  encoding.BinaryAppender
}

// run sends steps on one connection and returns each reply frame, then the
// event frames that arrived, in order.
func run(t *testing.T, r *rawConn, steps []step) (replies [][]byte, events [][]byte) {
	t.Helper()
	for _, s := range steps {
		replies = append(replies, r.call(s.proc, s.args))
	}
	// Events are sent after the reply that caused them; give libvirtd's
	// event loop time to flush the last ones.
	wait := 20 * time.Millisecond
	for _, s := range steps {
		switch s.proc {
		case protocol.ProcConnectDomainEventRegister, protocol.ProcConnectDomainEventRegisterAny,
			protocol.ProcConnectDomainEventCallbackRegisterAny:
			wait = 500 * time.Millisecond
		}
	}
	for {
		b, err := r.readFrame(wait)
		if err != nil {
			break
		}
		r.events = append(r.events, b)
	}
	return replies, r.events
}

// normalize rewrites a reply so that fields that differ by nature compare
// equal: the order of domains and snapshots in list replies (libvirtd's is
// hash order, FACTS S4) and DOMAIN_GET_INFO's cpuTime (the wall clock).
func normalize(b []byte) []byte {
	h, err := protocol.DecodeHeader(b[4:])
	if err != nil || h.Status != protocol.StatusOK || h.Type != protocol.TypeReply {
		return b
	}
	payload := b[28:]
	var m interface {
		encoding.BinaryAppender
		UnmarshalBinary([]byte) error
	}
	switch h.Procedure {
	case protocol.ProcConnectListAllDomains:
		r := new(protocol.ConnectListAllDomainsRet)
		if r.UnmarshalBinary(payload) != nil {
			return b
		}
		slices.SortFunc(r.Domains, func(a, b protocol.NonnullDomain) int { return strings.Compare(a.Name, b.Name) })
		m = r
	case protocol.ProcConnectListDomains:
		r := new(protocol.ConnectListDomainsRet)
		if r.UnmarshalBinary(payload) != nil {
			return b
		}
		slices.Sort(r.IDs)
		m = r
	case protocol.ProcConnectListDefinedDomains, protocol.ProcDomainSnapshotListNames:
		r := new(protocol.NamesRet)
		if r.UnmarshalBinary(payload) != nil {
			return b
		}
		slices.Sort(r.Names)
		m = r
	case protocol.ProcDomainListAllSnapshots:
		r := new(protocol.DomainListAllChildrenRet)
		if r.UnmarshalBinary(payload) != nil {
			return b
		}
		slices.SortFunc(r.Children, func(a, b protocol.NonnullDomainChild) int { return strings.Compare(a.Name, b.Name) })
		m = r
	case protocol.ProcDomainGetInfo:
		r := new(protocol.DomainGetInfoRet)
		if r.UnmarshalBinary(payload) != nil {
			return b
		}
		r.CPUTime = 0
		m = r
	default:
		return b
	}
	out, err := protocol.AppendFrame(nil, &h, m)
	if err != nil {
		return b
	}
	return out
}

// compare runs steps on a fresh connection to each side, opened with open
// (nil: no open), and requires the same replies and events.
func (p *pair) compare(t *testing.T, name string, open *protocol.ConnectOpenArgs, ro bool, steps []step) {
	t.Helper()
	dial := func(sock string) *rawConn {
		r := dialRaw(t, "unix", sock)
		if open != nil {
			r.mustOK(protocol.ProcAuthList, nil)
			r.mustOK(protocol.ProcConnectOpen, open)
		}
		return r
	}
	rs, fs := p.real.Socket, p.fake.Socket
	if ro {
		rs, fs = p.real.ROSocket, p.fake.ROSocket
	}
	rr, rev := run(t, dial(rs), steps)
	fr, fev := run(t, dial(fs), steps)
	for i, s := range steps {
		if !bytes.Equal(normalize(rr[i]), normalize(fr[i])) {
			t.Errorf("%s: step %d %s (%v):\n real %s\n fake %s", name, i, s.label, s.proc, describe(rr[i]), describe(fr[i]))
		}
	}
	if !slices.EqualFunc(rev, fev, bytes.Equal) {
		t.Errorf("%s: events differ:\n real %x\n fake %x", name, rev, fev)
	}
}

func openArgs(name string, flags protocol.ConnectFlags) *protocol.ConnectOpenArgs {
	return &protocol.ConnectOpenArgs{Name: protocol.Some(name), Flags: flags}
}

func fmtLabel(format string, args ...any) string { return fmt.Sprintf(format, args...) }
