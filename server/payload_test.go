package server

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// typedSetup registers typed handlers for LIST_ALL_DOMAINS (echoing the
// flags back in Ret), LOOKUP_BY_NAME (answering the name's length) and
// CONNECT_OPEN (marking the connection opened).
func typedSetup(s *Server) {
	echoSetup(s)
	HandleTyped(s, remote, v1, protocol.ProcConnectListAllDomains,
		func(ctx context.Context, c *Conn, a *protocol.ConnectListAllDomainsArgs) (protocol.Message, error) {
			return &protocol.ConnectListAllDomainsRet{Ret: uint32(a.Flags)}, nil
		})
	HandleTyped(s, remote, v1, protocol.ProcDomainLookupByName,
		func(ctx context.Context, c *Conn, a *protocol.DomainLookupByNameArgs) (protocol.Message, error) {
			return &protocol.Int32Value{Value: int32(len(a.Name))}, nil
		})
	HandleTyped(s, remote, v1, protocol.ProcConnectOpen,
		func(ctx context.Context, c *Conn, a *protocol.ConnectOpenArgs) (protocol.Message, error) {
			if a.Flags&protocol.ConnectRO != 0 {
				c.SetReadOnly()
			}
			c.SetOpened()
			return nil, nil
		})
}

func listAll(flags uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0, 0, 0, 1}, flags)
}

// TestPayloadDecode covers RELIABILITY tests 8, 9 and 12 (d16, d17, d21,
// d29): a short payload, a string over REMOTE_STRING_MAX and a bad optional
// discriminant get "Unable to decode message payload" and the connection
// stays open; trailing bytes are accepted and counted; a 1 MiB name is fine.
func TestPayloadDecode(t *testing.T) {
	ts := startServer(t, "unix", Options{}, typedSetup)
	c := ts.dial(t)
	decodeErr := rpcErr("Unable to decode message payload")
	args := listAll(3)
	for cut := range len(args) {
		c.send(callHeader(protocol.ProcConnectListAllDomains, uint32(cut)), args[:cut])
		if _, e := c.readError(); !sameError(e, decodeErr) {
			t.Fatalf("args cut to %d bytes: %#v", cut, e)
		}
		c.send(callHeader(protocol.ProcConnectListAllDomains, 100), args)
		h, p := c.read(2 * time.Second)
		if h.Status != protocol.StatusOK || binary.BigEndian.Uint32(p[4:]) != 3 {
			t.Fatalf("the next call after a %d-byte payload: %v %x", cut, h, p)
		}
	}
	if s := ts.Stats(); s.DecodeErrors != uint64(len(args)) {
		t.Errorf("DecodeErrors = %d, want %d", s.DecodeErrors, len(args))
	}

	// d17: trailing bytes are ignored and counted.
	c.send(callHeader(protocol.ProcConnectListAllDomains, 200), append(listAll(1), 0xde, 0xad, 0xbe, 0xef, 0xff))
	if h, p := c.read(2 * time.Second); h.Status != protocol.StatusOK || binary.BigEndian.Uint32(p[4:]) != 1 {
		t.Fatalf("trailing bytes: %v %x", h, p)
	}
	if got := ts.Stats().TrailingBytes; got != 5 {
		t.Errorf("TrailingBytes = %d, want 5", got)
	}

	// d21: a name length of 4194305 is refused before anything is read.
	c.send(callHeader(protocol.ProcDomainLookupByName, 300), binary.BigEndian.AppendUint32(nil, protocol.StringMax+1))
	if _, e := c.readError(); !sameError(e, decodeErr) {
		t.Fatalf("name over the maximum: %#v", e)
	}
	// A length beyond the bytes present is an error too.
	c.send(callHeader(protocol.ProcDomainLookupByName, 301), binary.BigEndian.AppendUint32(nil, 1000))
	if _, e := c.readError(); !sameError(e, decodeErr) {
		t.Fatalf("name longer than the payload: %#v", e)
	}
	// d29: a 1 MiB name is accepted.
	name := strings.Repeat("n", 1<<20)
	c.send(callHeader(protocol.ProcDomainLookupByName, 302), append(binary.BigEndian.AppendUint32(nil, uint32(len(name))), name...))
	if h, p := c.read(5 * time.Second); h.Status != protocol.StatusOK || binary.BigEndian.Uint32(p) != 1<<20 {
		t.Fatalf("1 MiB name: %v %x", h, p)
	}
	// A bad optional-data discriminant in CONNECT_OPEN's name.
	c.send(callHeader(protocol.ProcConnectOpen, 303), []byte{0, 0, 0, 2, 0, 0, 0, 0})
	if _, e := c.readError(); !sameError(e, decodeErr) {
		t.Fatalf("discriminant 2: %#v", e)
	}
	c.roundTrip(304)
}

// TestStrictPayload covers the strict mode of RELIABILITY test 9.
func TestStrictPayload(t *testing.T) {
	ts := startServer(t, "unix", Options{StrictPayload: true}, typedSetup)
	c := ts.dial(t)
	c.send(callHeader(protocol.ProcConnectListAllDomains, 1), append(listAll(1), 0, 0, 0, 0))
	if _, e := c.readError(); !sameError(e, rpcErr("Unable to decode message payload")) {
		t.Fatalf("trailing bytes in strict mode: %#v", e)
	}
	c.send(callHeader(protocol.ProcConnectListAllDomains, 2), listAll(1))
	if h, _ := c.read(2 * time.Second); h.Status != protocol.StatusOK {
		t.Fatalf("exact payload in strict mode: %v", h)
	}
}

// notOpen is the error libvirtd gives a call before CONNECT_OPEN (d11).
var notOpen = protocol.NewError(protocol.FromRPC, protocol.ErrInternalError, "hypervisor connection not open")

// authorizeOpen refuses every call but CONNECT_OPEN and the echo until the
// connection is opened, and every write (proc 34, DOMAIN_SUSPEND) on a
// read-only connection.
func authorizeOpen(c *Conn, h *protocol.Header) error {
	if h.Procedure == protocol.ProcConnectOpen || h.Procedure == echoProc {
		return nil
	}
	if !c.Opened() {
		return notOpen
	}
	if h.Procedure == protocol.ProcDomainSuspend && c.ReadOnly() {
		return protocol.NewError(protocol.FromDomain, protocol.ErrOperationDenied, "read only access prevents virDomainSuspend")
	}
	return nil
}

// TestAuthorize covers RELIABILITY tests 17, 27 and 28 through the
// Authorize hook: a call before open gets libvirtd's "not open" error and
// the connection stays open; a refused call's payload, even 32 MiB of it, is
// never decoded; read-only, once set, refuses writes and cannot be cleared.
func TestAuthorize(t *testing.T) {
	ts := startServer(t, "unix", Options{Authorize: authorizeOpen}, func(s *Server) {
		typedSetup(s)
		HandleTyped(s, remote, v1, protocol.ProcDomainSuspend,
			func(ctx context.Context, c *Conn, a *protocol.DomainArgs) (protocol.Message, error) { return nil, nil })
	})
	c := ts.dial(t)
	c.send(callHeader(protocol.ProcConnectListAllDomains, 1), listAll(3))
	if h, e := c.readError(); !sameError(e, notOpen) || h.Serial != 1 {
		t.Fatalf("LIST_ALL before open: %v %#v", h, e)
	}
	if e := notOpen; e.Error() != "internal error: hypervisor connection not open" || e.Str1.Value != "internal error: %s" {
		t.Fatalf("notOpen is %#v", e)
	}
	// Test 28: a refused call with a 32 MiB payload is not decoded.
	big := make([]byte, protocol.PayloadMax)
	before := ts.Stats().Decodes
	c.send(callHeader(protocol.ProcDomainLookupByName, 2), big)
	if _, e := c.readError(); !sameError(e, notOpen) {
		t.Fatalf("big call before open: %#v", e)
	}
	if got := ts.Stats().Decodes; got != before {
		t.Errorf("a refused call was decoded: Decodes %d → %d", before, got)
	}

	// Open read-only, then try a write.
	c.send(callHeader(protocol.ProcConnectOpen, 3), []byte{0, 0, 0, 0, 0, 0, 0, 1})
	if h, _ := c.read(2 * time.Second); h.Status != protocol.StatusOK {
		t.Fatalf("CONNECT_OPEN: %v", h)
	}
	if !c2conn(t, ts).ReadOnly() {
		t.Fatal("connection not read-only after CONNECT_OPEN with VIR_CONNECT_RO")
	}
	suspend := append(binary.BigEndian.AppendUint32(nil, 1), 'a', 0, 0, 0)
	suspend = append(suspend, make([]byte, 16)...)
	suspend = binary.BigEndian.AppendUint32(suspend, 1)
	c.send(callHeader(protocol.ProcDomainSuspend, 4), suspend)
	want := &protocol.Error{Code: 29, Domain: 20, Message: protocol.Some("operation forbidden: read only access prevents virDomainSuspend"),
		Level: 2, Str1: protocol.Some("operation forbidden: %s"), Str2: protocol.Some("read only access prevents virDomainSuspend"), Int1: -1, Int2: -1}
	if _, e := c.readError(); !sameError(e, want) {
		t.Fatalf("DOMAIN_SUSPEND read-only: %#v", e)
	}
	// Opening again read-write does not clear read-only.
	c.send(callHeader(protocol.ProcConnectOpen, 5), []byte{0, 0, 0, 0, 0, 0, 0, 0})
	c.read(2 * time.Second)
	c.send(callHeader(protocol.ProcDomainSuspend, 6), suspend)
	if _, e := c.readError(); !sameError(e, want) {
		t.Fatalf("DOMAIN_SUSPEND after a read-write open: %#v", e)
	}
}

// c2conn returns the server side of the only connection of ts.
func c2conn(t *testing.T, ts *testServer) *Conn {
	t.Helper()
	cs := ts.Conns()
	if len(cs) != 1 {
		t.Fatalf("%d connections, want 1", len(cs))
	}
	return cs[0]
}
