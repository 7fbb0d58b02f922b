package libvirtdtest_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
	"github.com/virtwire/virtwire/xdr"
)

// adminConnectOpen is ADMIN_PROC_CONNECT_OPEN (src/admin/admin_protocol.x).
const adminConnectOpen protocol.Procedure = 1

// flagsArgs is admin_connect_open_args: one unsigned int.
type flagsArgs uint32

func (a flagsArgs) AppendBinary(b []byte) ([]byte, error) { return xdr.AppendUint32(b, uint32(a)), nil }

// adminCall sends ADMIN_PROC_CONNECT_OPEN on r, and returns the whole reply
// frame, then checks that the connection still serves REMOTE_PROGRAM.
func adminCall(t *testing.T, r *rawConn) []byte {
	t.Helper()
	h := protocol.Header{Program: protocol.ProgramAdmin, Version: 1, Procedure: adminConnectOpen,
		Type: protocol.TypeCall, Serial: r.serial, Status: protocol.StatusOK}
	r.serial++
	r.send(h, flagsArgs(0))
	b := r.reply(h.Serial)
	r.mustOK(protocol.ProcAuthList, nil)
	return b
}

// TestNoAdminProgram is RELIABILITY.md test 60: the fake has no admin
// socket and serves no ADMIN_PROGRAM (0x06900690), on any listener. A call
// to it gets libvirtd's own answer on its main socket, byte for byte:
// REPLY/ERROR 39/7 "Cannot find program 110102160 version 1", echoing the
// header, and the connection stays open. virt-admin pointed at the fake
// fails as it does at libvirtd's main socket. Should the fake ever gain an
// admin socket, it must be created 0600 with the peer-uid check of the
// other unix sockets (CVE-2019-10132).
func TestNoAdminProgram(t *testing.T) {
	srv := libvirtdtest.NewServer(t, libvirtdtest.TCP())
	entries, err := os.ReadDir(srv.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if strings.Contains(e.Name(), "admin") {
			t.Errorf("the fake's directory holds %q", e.Name())
		}
	}
	t.Logf("the fake's directory: %v", names)

	want := "Cannot find program 110102160 version 1"
	var fakeReply []byte
	for _, l := range []struct{ network, addr string }{
		{"unix", srv.Socket}, {"unix", srv.ROSocket}, {"tcp", srv.TCPAddr},
	} {
		b := adminCall(t, dialRaw(t, l.network, l.addr))
		h, err := protocol.DecodeHeader(b[4:])
		if err != nil {
			t.Fatal(err)
		}
		e := replyError(b)
		if h.Program != protocol.ProgramAdmin || h.Version != 1 || h.Procedure != adminConnectOpen ||
			h.Type != protocol.TypeReply || h.Status != protocol.StatusError ||
			e == nil || e.Code != protocol.ErrRPC || e.Domain != protocol.FromRPC || e.Message.Value != want {
			t.Errorf("%s %s: ADMIN_PROGRAM call answered %v %v; want REPLY/ERROR 39/7 %q", l.network, l.addr, h, e, want)
		}
		fakeReply = b
	}

	t.Run("libvirtd", func(t *testing.T) {
		d := libvirtd.Start(t)
		real := adminCall(t, dialRaw(t, "unix", d.Socket))
		if !bytes.Equal(real, fakeReply) {
			t.Errorf("libvirtd's main socket answers\n%x\nthe fake\n%x", real, fakeReply)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, realErr, realCode, err := libvirtd.VirtAdmin(ctx, "libvirtd:///system?socket="+d.Socket, "srv-list")
		if err != nil {
			t.Fatal(err)
		}
		_, fakeErr, fakeCode, err := libvirtd.VirtAdmin(ctx, "libvirtd:///system?socket="+srv.Socket, "srv-list")
		if err != nil {
			t.Fatal(err)
		}
		if realCode == 0 || fakeCode != realCode || fakeErr != realErr || !strings.Contains(fakeErr, want) {
			t.Errorf("virt-admin srv-list: fake exit %d %q; libvirtd's main socket exit %d %q", fakeCode, fakeErr, realCode, realErr)
		}
		t.Logf("virt-admin: %s", strings.TrimSpace(fakeErr))
	})
}
