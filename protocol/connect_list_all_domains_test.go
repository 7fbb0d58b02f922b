package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/xdr"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func uuidOf(b byte) UUID {
	var u UUID
	for i := range u {
		u[i] = b
	}
	return u
}

// TestListAllDomainsGolden checks the hand-decoded frames of FACTS §7.
func TestListAllDomainsGolden(t *testing.T) {
	call := mustHex(t, `00000024 20008086 00000001 00000111 00000000 00000006 00000000
		00000001 00000002`)
	reply := mustHex(t, `00000080 20008086 00000001 00000111 00000001 00000006 00000000
		00000003
		00000005 64656c74 61000000 44444444 44444444 44444444 44444444 ffffffff
		00000007 63686172 6c696500 33333333 33333333 33333333 33333333 ffffffff
		00000004 676f6c66          77777777 77777777 77777777 77777777 ffffffff
		00000003`)
	h := Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectListAllDomains, Type: TypeCall, Serial: 6}
	got, err := AppendFrame(nil, &h, &ConnectListAllDomainsArgs{NeedResults: 1, Flags: ListDomainsInactive})
	if err != nil || !bytes.Equal(got, call) {
		t.Errorf("call = %x, %v; want %x", got, err, call)
	}
	want := ConnectListAllDomainsRet{Ret: 3, Domains: []NonnullDomain{
		{Name: "delta", UUID: uuidOf(0x44), ID: -1},
		{Name: "charlie", UUID: uuidOf(0x33), ID: -1},
		{Name: "golf", UUID: uuidOf(0x77), ID: -1},
	}}
	h = h.Reply(StatusOK)
	got, err = AppendFrame(nil, &h, &want)
	if err != nil || !bytes.Equal(got, reply) {
		t.Errorf("reply = %x, %v; want %x", got, err, reply)
	}
	var dec ConnectListAllDomainsRet
	if err := dec.UnmarshalBinary(reply[FrameMin:]); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dec) != fmt.Sprint(want) {
		t.Errorf("decoded %v, want %v", dec, want)
	}
}

func TestListAllDomainsArgsDecode(t *testing.T) {
	tests := []struct {
		in   string
		want ConnectListAllDomainsArgs
	}{
		{"00000001 00000003", ConnectListAllDomainsArgs{1, 3}},
		{"ffffffff 00000000", ConnectListAllDomainsArgs{-1, 0}}, // need_results -1 counts as true
		{"80000000 ffffffff", ConnectListAllDomainsArgs{-1 << 31, ^ListDomainsFlags(0)}},
		{"00000000 00000001 deadbeef", ConnectListAllDomainsArgs{0, 1}}, // trailing bytes ignored (S11)
	}
	for _, tt := range tests {
		var a ConnectListAllDomainsArgs
		in := mustHex(t, tt.in)
		trailing, err := Unmarshal(in, &a)
		if err != nil || a != tt.want || trailing != len(in)-8 {
			t.Errorf("Unmarshal(%s) = %+v, %d trailing, %v; want %+v", tt.in, a, trailing, err, tt.want)
		}
	}
	// Every cut of the 8-byte args fails with ErrShort (d16).
	full := mustHex(t, "00000001 00000003")
	for n := range len(full) {
		var a ConnectListAllDomainsArgs
		if err := a.UnmarshalBinary(full[:n]); !errors.Is(err, xdr.ErrShort) {
			t.Errorf("args cut at %d: %v, want ErrShort", n, err)
		}
	}
}

func makeDomains(n int) []NonnullDomain {
	doms := make([]NonnullDomain, n)
	for i := range doms {
		doms[i] = NonnullDomain{Name: fmt.Sprintf("domain-%05d", i), ID: int32(i + 1)}
		doms[i].UUID[0], doms[i].UUID[15] = byte(i), byte(i>>8)
		if i%3 == 0 {
			doms[i].ID = -1
		}
	}
	return doms
}

// TestListAllDomainsRetLimits is RELIABILITY tests 10, 11 and 15.
func TestListAllDomainsRetLimits(t *testing.T) {
	atMax := &ConnectListAllDomainsRet{Domains: makeDomains(DomainListMax), Ret: DomainListMax}
	b, err := atMax.AppendBinary(nil)
	if err != nil {
		t.Fatalf("16384 domains: %v", err)
	}
	var dec ConnectListAllDomainsRet
	if err := dec.UnmarshalBinary(b); err != nil || len(dec.Domains) != DomainListMax {
		t.Fatalf("decode 16384 domains: %d, %v", len(dec.Domains), err)
	}
	over := &ConnectListAllDomainsRet{Domains: makeDomains(DomainListMax + 1)}
	if _, err := over.AppendBinary(nil); !errors.Is(err, xdr.ErrTooLong) {
		t.Errorf("encode 16385 domains: %v, want ErrTooLong", err)
	}
	// Counts on the wire: over the maximum, or more than the bytes justify.
	for _, count := range []uint32{16385, 0x00400000, 0x7fffffff, 0xffffffff} {
		in := xdr.AppendUint32(nil, count)
		in = append(in, b[4:]...) // a valid body of 16384 domains after it
		if err := dec.UnmarshalBinary(in); !errors.Is(err, xdr.ErrTooLong) {
			t.Errorf("count %#x: %v, want ErrTooLong", count, err)
		}
	}
	// Count x 24 bytes beyond what is left (test 11).
	short := xdr.AppendUint32(nil, 1000)
	short = append(short, make([]byte, 999*24)...)
	if err := dec.UnmarshalBinary(short); !errors.Is(err, xdr.ErrShort) {
		t.Errorf("1000 domains in 999x24 bytes: %v, want ErrShort", err)
	}
	if len(dec.Domains) != 0 {
		t.Errorf("after a failed decode, Domains has %d entries", len(dec.Domains))
	}
	// An empty list is 8 bytes (j_py_empty_node; d18 with need_results 0).
	empty, _ := (&ConnectListAllDomainsRet{Ret: 8}).AppendBinary(nil)
	if hex.EncodeToString(empty) != "0000000000000008" {
		t.Errorf("empty list with ret 8 = %x", empty)
	}
	longName := &ConnectListAllDomainsRet{Domains: []NonnullDomain{{Name: strings.Repeat("x", StringMax+1)}}}
	if _, err := longName.AppendBinary(nil); !errors.Is(err, xdr.ErrTooLong) {
		t.Errorf("a name over StringMax: %v, want ErrTooLong", err)
	}
}

func TestListAllDomainsRetTruncation(t *testing.T) {
	r := &ConnectListAllDomainsRet{Domains: makeDomains(3), Ret: 3}
	full, _ := r.AppendBinary(nil)
	for n := range len(full) {
		var dec ConnectListAllDomainsRet
		if err := dec.UnmarshalBinary(full[:n]); !errors.Is(err, xdr.ErrShort) {
			t.Errorf("cut at %d: %v, want ErrShort", n, err)
		}
	}
}

// TestListAllDomainsRetReuse checks the allocation promise: a constant number
// of allocations per decode, whatever the number of domains.
func TestListAllDomainsRetReuse(t *testing.T) {
	for _, n := range []int{1, 10, 1000, DomainListMax} {
		b, _ := (&ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}).AppendBinary(nil)
		var dec ConnectListAllDomainsRet
		allocs := testing.AllocsPerRun(20, func() {
			if err := dec.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
		})
		// The shared name string and the Decoder; the slice is reused.
		if allocs > 2 {
			t.Errorf("%d domains: %v allocations per decode, want at most 2", n, allocs)
		}
		buf := make([]byte, 0, len(b))
		enc := &ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}
		allocs = testing.AllocsPerRun(20, func() { buf, _ = enc.AppendBinary(buf[:0]) })
		if allocs != 0 {
			t.Errorf("%d domains: %v allocations per encode into a reused buffer", n, allocs)
		}
	}
}
