package libvirtdtest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestUnknownProcedures: every REMOTE procedure the driver does not list
// in Procedures answers "unknown procedure: N" (39/7), which libvirt's
// client turns into VIR_ERR_NO_SUPPORT so that virsh and python fall back
// as with an older libvirtd (FACTS §3); every listed one is handled.
func TestUnknownProcedures(t *testing.T) {
	srv := libvirtdtest.NewServer(t)
	procs := srv.Driver.Procedures()
	r := dialRaw(t, "unix", srv.Socket)
	r.open("test:///default", 0)
	handled := 0
	for p := protocol.Procedure(1); p <= protocol.ProcLast; p++ {
		if p == protocol.ProcConnectOpen || p == protocol.ProcConnectClose {
			continue
		}
		e := replyError(r.call(p, zeros(64)))
		unknown := e != nil && e.Code == protocol.ErrRPC && e.Message.Value == fmt.Sprintf("unknown procedure: %d", p)
		if listed := slices.Contains(procs, p); listed == unknown {
			t.Errorf("%v: listed %v, answered %v", p, listed, e)
		} else if listed {
			handled++
		}
	}
	if handled != len(procs)-2 {
		t.Errorf("%d listed procedures handled; %d listed", handled, len(procs))
	}
}
