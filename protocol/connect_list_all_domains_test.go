package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
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

// decodeListReference decodes a ConnectListAllDomainsRet field by field
// with the Decoder, as the .x file reads: the reference the fast path of
// DecodeXDR must agree with, in values and in errors.
func decodeListReference(b []byte) (ConnectListAllDomainsRet, error) {
	var r ConnectListAllDomainsRet
	d := xdr.NewDecoder(b)
	n := d.Count("domains", DomainListMax, minNonnullDomainSize)
	for range n {
		var dom NonnullDomain
		dom.Name = d.String("domains.name", StringMax)
		d.FixedOpaque("domains.uuid", dom.UUID[:])
		dom.ID = d.Int32("domains.id")
		r.Domains = append(r.Domains, dom)
	}
	r.Ret = d.Uint32("ret")
	return r, d.Err()
}

// checkListAgainstReference decodes b with UnmarshalBinary and with
// decodeListReference and fails t if values or errors differ.
func checkListAgainstReference(t *testing.T, b []byte) {
	t.Helper()
	want, werr := decodeListReference(b)
	var got ConnectListAllDomainsRet
	gerr := got.UnmarshalBinary(b)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) {
		t.Fatalf("UnmarshalBinary(%x) error = %v; field by field: %v", b, gerr, werr)
	}
	if werr != nil {
		if len(got.Domains) != 0 {
			t.Fatalf("UnmarshalBinary(%x) failed but left %d domains", b, len(got.Domains))
		}
		return
	}
	if got.Ret != want.Ret || len(got.Domains) != len(want.Domains) {
		t.Fatalf("UnmarshalBinary(%x) = %d domains, ret %d; field by field: %d, %d", b, len(got.Domains), got.Ret, len(want.Domains), want.Ret)
	}
	for i := range got.Domains {
		if got.Domains[i] != want.Domains[i] {
			t.Fatalf("UnmarshalBinary(%x): domain %d = %+v; field by field: %+v", b, i, got.Domains[i], want.Domains[i])
		}
	}
}

// TestListAllDomainsRetFastPath checks DecodeXDR's one-pass decoder
// against the field-by-field reference: names of every length modulo 4
// (padding), empty names, trailing bytes, and every truncation and
// corruption of the length words.
func TestListAllDomainsRetFastPath(t *testing.T) {
	var doms []NonnullDomain
	for l := range 9 {
		doms = append(doms, NonnullDomain{Name: strings.Repeat(string(rune('a'+l)), l), UUID: uuidOf(byte(l)), ID: int32(l) - 1})
	}
	full, err := (&ConnectListAllDomainsRet{Domains: doms, Ret: uint32(len(doms))}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	checkListAgainstReference(t, full)
	checkListAgainstReference(t, append(full, 1, 2, 3, 4, 5))
	for n := range len(full) {
		checkListAgainstReference(t, full[:n])
	}
	// Every word of the encoding set to values that break a length.
	for off := 0; off+4 <= len(full); off += 4 {
		for _, v := range []uint32{0, 3, 5, 1 << 20, StringMax, StringMax + 1, 0xffffffff} {
			b := bytes.Clone(full)
			b[off], b[off+1], b[off+2], b[off+3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
			checkListAgainstReference(t, b)
		}
	}
}

// TestListAllDomainsRetTrailingBytesNotRetained checks that a reply followed
// by far more bytes than its names (which the decoder ignores) does not leave
// the names in a buffer the size of the payload: what the decoded value keeps
// alive is its names, not the input.
func TestListAllDomainsRetTrailingBytesNotRetained(t *testing.T) {
	doms := makeDomains(100)
	full, err := (&ConnectListAllDomainsRet{Domains: doms, Ret: 100}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	const trailing = 8 << 20
	payload := append(full, make([]byte, trailing)...)
	var r ConnectListAllDomainsRet
	if err := r.UnmarshalBinary(payload); err != nil {
		t.Fatal(err)
	}
	payload = nil
	if !slices.Equal(r.Domains, doms) || r.Ret != 100 {
		t.Fatalf("decoded %d domains, ret %d; want the 100 encoded", len(r.Domains), r.Ret)
	}
	held := liveHeap()
	runtime.KeepAlive(payload)
	r.Domains = nil
	released := liveHeap()
	if held-min(held, released) > 1<<20 {
		t.Errorf("the decoded names kept %d bytes alive, want their own 1,100 bytes, not the %d trailing", held-released, trailing)
	}
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
