package libvirtdtest_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// TestConformanceDefaultShared: connections to test:///default share one
// state (and one counter of event callback IDs), each sees the events the
// others cause, and the state starts afresh once the last connection has
// closed; connections to a file node never share (FACTS S14).
func TestConformanceDefaultShared(t *testing.T) {
	p := startPair(t, "testdata/node.xml")
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	test := protocol.NonnullDomain{Name: "test", UUID: u, ID: 1}
	type act struct {
		conn  int // 0, 1, 2: A, B, C
		label string
		proc  protocol.Procedure
		args  any
		close bool // close the connection instead
	}
	node := "test://" + p.node
	script := []act{
		{conn: 0, label: "A open", proc: protocol.ProcConnectOpen, args: openArgs("test:///default", 0)},
		{conn: 1, label: "B open", proc: protocol.ProcConnectOpen, args: openArgs("test:///default", 0)},
		{conn: 2, label: "C open file", proc: protocol.ProcConnectOpen, args: openArgs(node, 0)},
		{conn: 1, label: "B register", proc: protocol.ProcConnectDomainEventCallbackRegisterAny, args: register(0, nil)},
		{conn: 0, label: "A register", proc: protocol.ProcConnectDomainEventCallbackRegisterAny, args: register(0, nil)},
		{conn: 2, label: "C register", proc: protocol.ProcConnectDomainEventCallbackRegisterAny, args: register(0, nil)},
		{conn: 0, label: "A suspend", proc: protocol.ProcDomainSuspend, args: domArgs(test)},
		{conn: 0, label: "A autostart", proc: protocol.ProcDomainSetAutostart, args: &protocol.DomainSetAutostartArgs{Dom: test, Autostart: 1}},
		{conn: 2, label: "C suspend alpha", proc: protocol.ProcDomainSuspend, args: domArgs(alpha)},
		{conn: 1, label: "B state", proc: protocol.ProcDomainGetState, args: domFlags(test, 0)},
		{conn: 1, label: "B autostart", proc: protocol.ProcDomainGetAutostart, args: domArgs(test)},
		{conn: 0, close: true},
		{conn: 1, label: "B state after A", proc: protocol.ProcDomainGetState, args: domFlags(test, 0)},
		{conn: 1, label: "B resume", proc: protocol.ProcDomainResume, args: domArgs(test)},
		{conn: 1, close: true},
		{conn: 0, label: "A' open", proc: protocol.ProcConnectOpen, args: openArgs("test:///default", 0)},
		{conn: 0, label: "A' state", proc: protocol.ProcDomainGetState, args: domFlags(test, 0)},
		{conn: 0, label: "A' autostart", proc: protocol.ProcDomainGetAutostart, args: domArgs(test)},
		{conn: 0, label: "A' register", proc: protocol.ProcConnectDomainEventCallbackRegisterAny, args: register(0, nil)},
	}
	runScript := func(sock string) (replies [][]byte, events [3][][]byte) {
		var conns [3]*rawConn
		get := func(i int) *rawConn {
			if conns[i] == nil {
				conns[i] = dialRaw(t, "unix", sock)
			}
			return conns[i]
		}
		drain := func(r *rawConn) [][]byte {
			for {
				b, err := r.readFrame(500 * time.Millisecond)
				if err != nil {
					break
				}
				r.events = append(r.events, b)
			}
			ev := r.events
			r.events = nil
			return ev
		}
		for _, a := range script {
			r := get(a.conn)
			if a.close {
				events[a.conn] = append(events[a.conn], drain(r)...)
				r.c.Close()
				conns[a.conn] = nil
				time.Sleep(100 * time.Millisecond) // let the server see the close
				continue
			}
			replies = append(replies, r.call(a.proc, a.args.(interface{ AppendBinary([]byte) ([]byte, error) })))
		}
		for i, r := range conns {
			if r != nil {
				events[i] = append(events[i], drain(r)...)
			}
		}
		return replies, events
	}
	rr, rev := runScript(p.real.Socket)
	fr, fev := runScript(p.fake.Socket)
	i := 0
	for _, a := range script {
		if a.close {
			continue
		}
		if !bytes.Equal(normalize(rr[i]), normalize(fr[i])) {
			t.Errorf("%s:\n real %s\n fake %s", a.label, describe(rr[i]), describe(fr[i]))
		}
		i++
	}
	for c := range rev {
		if !equalFrames(rev[c], fev[c]) {
			t.Errorf("connection %d events:\n real %x\n fake %x", c, rev[c], fev[c])
		}
	}
	if len(rev[1]) == 0 {
		t.Error("libvirtd sent B no event for A's suspend")
	}
}
