package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/xdr"
)

// capturedErrors returns every remote_error the daemon sent in the captures.
func capturedErrors(t *testing.T) []*Error {
	t.Helper()
	all, err := captures.All()
	if err != nil {
		t.Fatal(err)
	}
	var out []*Error
	for _, c := range all {
		for _, raw := range c.S2C {
			h, _ := DecodeHeader(raw[4:])
			if h.Type != TypeReply || h.Status != StatusError {
				continue
			}
			e := new(Error)
			if err := e.UnmarshalBinary(raw[FrameMin:]); err != nil {
				t.Fatalf("%s: %v", c.Name, err)
			}
			out = append(out, e)
		}
	}
	return out
}

// TestConstructorsMatchLibvirtd builds each error libvirtd sent in the
// captures with this package's constructors and requires identical bytes.
func TestConstructorsMatchLibvirtd(t *testing.T) {
	built := map[string]*Error{
		"Domain not found":                                                     NewError(FromTest, ErrNoDomain, ""),
		"no connection driver available for <null>":                            NewError(FromNone, ErrNoConnect, "<null>"),
		"invalid argument: testOpen: supply a path or use test:///default":     NewError(FromTest, ErrInvalidArg, "testOpen: supply a path or use test:///default"),
		"unsupported flags (0x10000) in function testConnectListAllDomains":    ListDomainsFlags(1 << 16).Check().(*Error),
		"unsupported flags (0x40000000) in function testConnectListAllDomains": ListDomainsFlags(1 << 30).Check().(*Error),
		"unsupported flags (0x80000000) in function testConnectListAllDomains": ListDomainsFlags(1 << 31).Check().(*Error),
		"unsupported flags (0xffff0000) in function testConnectListAllDomains": ListDomainsFlags(0xffffffff).Check().(*Error),
	}
	seen := map[string]bool{}
	for _, got := range capturedErrors(t) {
		want, ok := built[got.Message.Value]
		if !ok {
			t.Errorf("no constructor for captured error %q", got.Message.Value)
			continue
		}
		seen[got.Message.Value] = true
		if !equalErrors(got, want) {
			t.Errorf("%q:\n got  %+v\n want %+v", got.Message.Value, got, want)
		}
	}
	for msg := range built {
		if !seen[msg] {
			t.Errorf("error %q not found in the captures", msg)
		}
	}
}

func TestErrorIsAndAs(t *testing.T) {
	var err error = fmt.Errorf("lookup: %w", NewError(FromTest, ErrNoDomain, ""))
	if !errors.Is(err, ErrNoDomain) || errors.Is(err, ErrNoSupport) {
		t.Errorf("errors.Is by code failed")
	}
	var e *Error
	if !errors.As(err, &e) || e.Domain != FromTest || e.Error() != "Domain not found" {
		t.Errorf("errors.As: %+v", e)
	}
	if s := (&Error{Code: ErrRPC, Domain: FromRPC}).Error(); s != "libvirt error RPC (39) from RPC (7)" {
		t.Errorf("Error() without message = %q", s)
	}
	if ErrNoDomain.Error() != "VIR_ERR_NO_DOMAIN" || WarNoNetwork.Error() != "VIR_WAR_NO_NETWORK" || ErrorCode(999).String() != "999" {
		t.Errorf("ErrorCode names: %v %v %v", ErrNoDomain.Error(), WarNoNetwork.Error(), ErrorCode(999))
	}
	if FromTest.String() != "TEST" || ErrorDomain(-1).String() != "-1" || LevelError.String() != "ERROR" {
		t.Errorf("domain/level names")
	}
}

func TestNewErrorTemplates(t *testing.T) {
	tests := []struct {
		e    *Error
		want string
	}{
		{NewError(FromRPC, ErrInternalError, "hypervisor connection not open"), "internal error: hypervisor connection not open"},
		{NewError(FromRPC, ErrRPC, "unknown procedure: 9999"), "unknown procedure: 9999"},
		{NewError(FromDomain, ErrOperationDenied, "read only access prevents virDomainSuspend"), "operation forbidden: read only access prevents virDomainSuspend"},
		{NewError(FromDomain, ErrNoDomainMetadata, "Requested metadata element is not present"), "metadata not found: Requested metadata element is not present"},
		{Errorf(FromTest, ErrNoDomain, "no domain with matching uuid '%s' (%s)", UUID{}, "ghost"), "Domain not found: no domain with matching uuid '00000000-0000-0000-0000-000000000000' (ghost)"},
		{NewError(FromRemote, ErrorCode(5000), "raw"), "raw"},
	}
	for _, tt := range tests {
		if tt.e.Error() != tt.want || tt.e.Int1 != -1 || tt.e.Int2 != -1 || tt.e.Level != LevelError {
			t.Errorf("got %q (%+v), want %q", tt.e.Error(), tt.e, tt.want)
		}
	}
}

// TestErrorOptionalCombinations round-trips all 64 NULL/non-NULL combinations
// of remote_error's six optional fields (RELIABILITY test 13) and refuses
// discriminants 2 and 0xffffffff in each of them.
func TestErrorOptionalCombinations(t *testing.T) {
	for mask := range 64 {
		e := &Error{Code: ErrInternalError, Domain: FromRPC, Level: LevelError, Int1: -1, Int2: 7}
		if mask&1 != 0 {
			e.Message = Some("message")
		}
		if mask&2 != 0 {
			e.Dom = &NonnullDomain{Name: "d", UUID: uuidOf(1), ID: 3}
		}
		if mask&4 != 0 {
			e.Str1 = Some("")
		}
		if mask&8 != 0 {
			e.Str2 = Some("two")
		}
		if mask&16 != 0 {
			e.Str3 = Some("three!")
		}
		if mask&32 != 0 {
			e.Net = &NonnullNetwork{Name: "net", UUID: uuidOf(2)}
		}
		b, err := e.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var d Error
		if err := d.UnmarshalBinary(b); err != nil {
			t.Fatalf("mask %d: %v", mask, err)
		}
		if !equalErrors(&d, e) {
			t.Errorf("mask %d: round trip changed %+v into %+v", mask, e, &d)
		}
		// Corrupt each discriminant in turn.
		var dec xdr.Decoder
		offsets := discriminantOffsets(b, &dec)
		if len(offsets) != 6 {
			t.Fatalf("mask %d: found %d discriminants", mask, len(offsets))
		}
		for _, off := range offsets {
			for _, bad := range []uint32{2, 0xffffffff} {
				c := bytes.Clone(b)
				copy(c[off:], xdr.AppendUint32(nil, bad))
				if err := new(Error).UnmarshalBinary(c); !errors.Is(err, xdr.ErrBadOptional) {
					t.Errorf("mask %d: discriminant at %d = %#x: %v, want ErrBadOptional", mask, off, bad, err)
				}
			}
		}
	}
}

// discriminantOffsets walks an encoded remote_error and returns where its six
// optional-data discriminants are.
func discriminantOffsets(b []byte, d *xdr.Decoder) []int {
	d.Reset(b)
	var offs []int
	opt := func(body func()) {
		offs = append(offs, d.Offset())
		if d.Optional("x") {
			body()
		}
	}
	str := func() { d.String("s", StringMax) }
	d.Int32("code")
	d.Int32("domain")
	opt(str)
	d.Int32("level")
	opt(func() { var n NonnullDomain; n.DecodeXDR(d) })
	opt(str)
	opt(str)
	opt(str)
	d.Int32("int1")
	d.Int32("int2")
	opt(func() { d.String("n", StringMax); d.FixedOpaque("u", make([]byte, 16)) })
	return offs
}

func TestErrorLimits(t *testing.T) {
	long := string(make([]byte, StringMax+1))
	for _, e := range []*Error{{Message: Some(long)}, {Str3: Some(long)}, {Dom: &NonnullDomain{Name: long}}, {Net: &NonnullNetwork{Name: long}}} {
		if _, err := e.AppendBinary(nil); !errors.Is(err, xdr.ErrTooLong) {
			t.Errorf("over-long field: %v", err)
		}
	}
	// An over-long message on the wire is a decode error.
	b := xdr.AppendInt32(nil, 1)
	b = xdr.AppendInt32(b, 7)
	b = xdr.AppendOptional(b, true)
	b = xdr.AppendUint32(b, StringMax+1)
	if err := new(Error).UnmarshalBinary(b); !errors.Is(err, xdr.ErrTooLong) {
		t.Errorf("message length StringMax+1: %v", err)
	}
}
