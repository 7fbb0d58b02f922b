package xdr

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAppend checks the wire form of every encoder against RFC 4506 by hand.
func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"uint32 0", AppendUint32(nil, 0), "00000000"},
		{"uint32 max", AppendUint32(nil, math.MaxUint32), "ffffffff"},
		{"int32 -1", AppendInt32(nil, -1), "ffffffff"},
		{"int32 min", AppendInt32(nil, math.MinInt32), "80000000"},
		{"int32 273", AppendInt32(nil, 273), "00000111"},
		{"enum 2", AppendEnum(nil, 2), "00000002"},
		{"uint64", AppendUint64(nil, 0x0102030405060708), "0102030405060708"},
		{"int64 -2", AppendInt64(nil, -2), "fffffffffffffffe"},
		{"float64 1.5", AppendFloat64(nil, 1.5), "3ff8000000000000"},
		{"bool true", AppendBool(nil, true), "00000001"},
		{"bool false", AppendBool(nil, false), "00000000"},
		{"optional present", AppendOptional(nil, true), "00000001"},
		{"optional absent", AppendOptional(nil, false), "00000000"},
		{"fixed opaque 16", AppendFixedOpaque(nil, bytes.Repeat([]byte{0x11}, 16)), "11111111 11111111 11111111 11111111"},
		{"fixed opaque 3", AppendFixedOpaque(nil, []byte{1, 2, 3}), "01020300"},
		{"fixed opaque 0", AppendFixedOpaque(nil, nil), ""},
		{"opaque 0", AppendOpaque(nil, nil), "00000000"},
		{"opaque 5", AppendOpaque(nil, []byte{1, 2, 3, 4, 5}), "00000005 01020304 05000000"},
		{"string empty", AppendString(nil, ""), "00000000"},
		{"string alpha", AppendString(nil, "alpha"), "00000005 616c7068 61000000"},
		{"string golf (no pad)", AppendString(nil, "golf"), "00000004 676f6c66"},
		{"string 7", AppendString(nil, "charlie"), "00000007 63686172 6c696500"},
		{"array", AppendArray(nil, []uint32{1, 2}, AppendUint32), "00000002 00000001 00000002"},
		{"array empty", AppendArray(nil, []uint32(nil), AppendUint32), "00000000"},
		{"fixed array", AppendFixedArray(nil, []int32{-1, 5}, AppendInt32), "ffffffff 00000005"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
				t.Errorf("got %x, want %x", tt.got, want)
			}
		})
	}
}

func TestAppendNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 256)
	name := "a-domain-name"
	uuid := bytes.Repeat([]byte{0xab}, 16)
	allocs := testing.AllocsPerRun(100, func() {
		b := buf[:0]
		b = AppendUint32(b, 1)
		b = AppendInt64(b, -1)
		b = AppendString(b, name)
		b = AppendFixedOpaque(b, uuid)
		b = AppendOpaque(b, uuid[:5])
		b = AppendBool(b, true)
		_ = b
	})
	if allocs != 0 {
		t.Errorf("appending into a big enough buffer allocated %v times, want 0", allocs)
	}
}

func TestPad(t *testing.T) {
	for n, want := range []int{0, 3, 2, 1, 0, 3, 2, 1, 0} {
		if got := Pad(n); got != want {
			t.Errorf("Pad(%d) = %d, want %d", n, got, want)
		}
		if got := PaddedLen(n); got != n+want {
			t.Errorf("PaddedLen(%d) = %d, want %d", n, got, n+want)
		}
		if got := StringSize(n); got != 4+n+want {
			t.Errorf("StringSize(%d) = %d, want %d", n, got, 4+n+want)
		}
	}
}

// TestDecodeValues decodes what TestAppend encodes.
func TestDecodeValues(t *testing.T) {
	in := unhex(t, "ffffffff 00000111 0102030405060708 fffffffffffffffe 3ff8000000000000"+
		"00000001 00000000 00000001 000000ff 0000ffff"+
		"00000005 616c7068 61000000 00000003 010203 00 11111111 11111111 11111111 11111111"+
		"00000002 00000001 00000002")
	d := NewDecoder(in)
	if got := d.Int32("a"); got != -1 {
		t.Errorf("Int32 = %d", got)
	}
	if got := d.Uint32("b"); got != 273 {
		t.Errorf("Uint32 = %d", got)
	}
	if got := d.Uint64("c"); got != 0x0102030405060708 {
		t.Errorf("Uint64 = %x", got)
	}
	if got := d.Int64("d"); got != -2 {
		t.Errorf("Int64 = %d", got)
	}
	if got := d.Float64("e"); got != 1.5 {
		t.Errorf("Float64 = %v", got)
	}
	if got := d.Bool("f"); !got {
		t.Errorf("Bool = false")
	}
	if got := d.Optional("g"); got {
		t.Errorf("Optional = true")
	}
	if got := d.Enum("h"); got != 1 {
		t.Errorf("Enum = %d", got)
	}
	if got := d.Uint8("i"); got != 255 {
		t.Errorf("Uint8 = %d", got)
	}
	if got := d.Uint16("j"); got != 65535 {
		t.Errorf("Uint16 = %d", got)
	}
	if got := d.String("k", 5); got != "alpha" {
		t.Errorf("String = %q", got)
	}
	if got := d.Opaque("l", 3); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("Opaque = %x", got)
	}
	var uuid [16]byte
	d.FixedOpaque("m", uuid[:])
	if uuid != [16]byte(bytes.Repeat([]byte{0x11}, 16)) {
		t.Errorf("FixedOpaque = %x", uuid)
	}
	arr := DecodeArray(d, "n", 2, 4, nil, func(d *Decoder) uint32 { return d.Uint32("n[]") })
	if len(arr) != 2 || arr[0] != 1 || arr[1] != 2 {
		t.Errorf("DecodeArray = %v", arr)
	}
	if err := d.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
	if d.Len() != 0 || d.Offset() != len(in) {
		t.Errorf("Len = %d, Offset = %d; want 0, %d", d.Len(), d.Offset(), len(in))
	}
}

// TestDecodeErrors covers every limit at max and max+1 and every malformed
// value, checking the typed error's fields.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		decode  func(d *Decoder)
		wantErr error // nil: must succeed
		field   string
		offset  int
		len     uint64
		max     uint64
	}{
		{"uint32 short", "000000", func(d *Decoder) { d.Uint32("x") }, ErrShort, "x", 0, 4, 3},
		{"uint64 short", "00000000 000000", func(d *Decoder) { d.Uint64("x") }, ErrShort, "x", 0, 8, 7},
		{"bool 2", "00000002", func(d *Decoder) { d.Bool("b") }, ErrBadBool, "b", 0, 2, 1},
		{"bool ffffffff", "ffffffff", func(d *Decoder) { d.Bool("b") }, ErrBadBool, "b", 0, 0xffffffff, 1},
		{"optional 2", "00000002", func(d *Decoder) { d.Optional("p") }, ErrBadOptional, "p", 0, 2, 1},
		{"uint8 256", "00000100", func(d *Decoder) { d.Uint8("c") }, ErrRange, "c", 0, 256, 255},
		{"uint16 65536", "00010000", func(d *Decoder) { d.Uint16("s") }, ErrRange, "s", 0, 65536, 65535},
		{"string at max", "00000004 61626364", func(d *Decoder) { d.String("s", 4) }, nil, "", 0, 0, 0},
		{"string max+1", "00000005 61626364 65000000", func(d *Decoder) { d.String("s", 4) }, ErrTooLong, "s", 0, 5, 4},
		{"string 0xffffffff", "ffffffff", func(d *Decoder) { d.String("s", 4194304) }, ErrTooLong, "s", 0, 0xffffffff, 4194304},
		{"string body short", "00000005 616263", func(d *Decoder) { d.String("s", 100) }, ErrShort, "s", 4, 8, 3},
		{"string pad missing", "00000005 61626364 65", func(d *Decoder) { d.String("s", 100) }, ErrShort, "s", 4, 8, 5},
		{"string nonzero pad tolerated", "00000001 61ffffff", func(d *Decoder) { d.String("s", 100) }, nil, "", 0, 0, 0},
		{"opaque max+1", "00000003 010203 00", func(d *Decoder) { d.Opaque("o", 2) }, ErrTooLong, "o", 0, 3, 2},
		{"fixed opaque short", "1111", func(d *Decoder) { d.FixedOpaque("u", make([]byte, 16)) }, ErrShort, "u", 0, 16, 2},
		{"count at max", "00000002 00000000 00000000", func(d *Decoder) { d.Count("a", 2, 4) }, nil, "", 0, 0, 0},
		{"count max+1", "00000003 00000000 00000000 00000000", func(d *Decoder) { d.Count("a", 2, 4) }, ErrTooLong, "a", 0, 3, 2},
		{"count 0x7fffffff", "7fffffff", func(d *Decoder) { d.Count("a", 16384, 24) }, ErrTooLong, "a", 0, 0x7fffffff, 16384},
		{"count x size beyond input", "00004000 00000000", func(d *Decoder) { d.Count("a", 16384, 24) }, ErrShort, "a", 4, 16384 * 24, 4},
		{"second field offset", "00000001 0000", func(d *Decoder) { d.Uint32("a"); d.Uint32("b") }, ErrShort, "b", 4, 4, 2},
		{"first error sticks", "00000002 00000001", func(d *Decoder) { d.Bool("a"); d.Bool("b") }, ErrBadBool, "a", 0, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(unhex(t, tt.in))
			tt.decode(d)
			err := d.Err()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Err = %v, want %v", err, tt.wantErr)
			}
			var xe *Error
			if !errors.As(err, &xe) {
				t.Fatalf("Err = %T, want *xdr.Error", err)
			}
			if xe.Field != tt.field || xe.Offset != tt.offset || xe.Len != tt.len || xe.Max != tt.max {
				t.Errorf("Error = %+v, want field %q offset %d len %d max %d", *xe, tt.field, tt.offset, tt.len, tt.max)
			}
			if !strings.HasPrefix(err.Error(), "xdr: "+tt.field+": ") {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), "xdr: "+tt.field+": ")
			}
		})
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Field: "domains", Offset: 0, Len: 16385, Max: 16384, Err: ErrTooLong}, "xdr: domains: length 16385 exceeds maximum 16384 at offset 0"},
		{&Error{Field: "flags", Offset: 4, Len: 4, Max: 0, Err: ErrShort}, "xdr: flags: need 4 bytes at offset 4, have 0: short buffer"},
		{&Error{Field: "ok", Offset: 8, Len: 2, Max: 1, Err: ErrBadBool}, "xdr: ok: invalid bool 2 at offset 8 (want 0 or 1)"},
		{&Error{Field: "state", Offset: 0, Len: 300, Max: 255, Err: ErrRange}, "xdr: state: value 300 at offset 0 exceeds 255"},
		{&Error{Offset: 3, Err: errors.New("odd")}, "xdr: value: odd at offset 3"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestTruncation cuts a valid encoding at every length: every cut must fail
// with ErrShort and never panic.
func TestTruncation(t *testing.T) {
	var full []byte
	full = AppendInt32(full, 7)
	full = AppendString(full, "charlie")
	full = AppendFixedOpaque(full, bytes.Repeat([]byte{3}, 16))
	full = AppendUint64(full, 9)
	full = AppendArray(full, []string{"a", "bc"}, AppendString)
	full = AppendOpaque(full, []byte{1})
	decode := func(d *Decoder) {
		d.Int32("id")
		d.String("name", 64)
		var u [16]byte
		d.FixedOpaque("uuid", u[:])
		d.Uint64("n")
		DecodeArray(d, "names", 4, 4, nil, func(d *Decoder) string { return d.String("names[]", 8) })
		d.Opaque("blob", 8)
	}
	d := NewDecoder(full)
	decode(d)
	if d.Err() != nil || d.Len() != 0 {
		t.Fatalf("full input: Err = %v, Len = %d", d.Err(), d.Len())
	}
	for n := range len(full) {
		d := NewDecoder(full[:n])
		decode(d)
		if !errors.Is(d.Err(), ErrShort) {
			t.Errorf("cut at %d: Err = %v, want ErrShort", n, d.Err())
		}
	}
}

func TestShareStrings(t *testing.T) {
	var in []byte
	names := []string{"alpha", "bravo", "charlie", "delta", "golf", ""}
	in = AppendArray(in, names, AppendString)
	d := NewDecoder(in)
	n := d.Count("names", 10, 4)
	d.ShareStrings(d.Len())
	var got []string
	for range n {
		got = append(got, d.String("name", 16))
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("got %q, want %q", got, names)
	}
	// The strings must not alias the input.
	clear(in)
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("after clearing the input: got %q", got)
	}
	buf := AppendArray(nil, names, AppendString)
	allocs := testing.AllocsPerRun(50, func() {
		var d Decoder
		d.Reset(buf)
		n := d.Count("names", 10, 4)
		d.ShareStrings(d.Len())
		for range n {
			_ = d.String("name", 16)
		}
	})
	if allocs != 1 {
		t.Errorf("decoding %d shared strings allocated %v times, want 1", len(names), allocs)
	}
}

func TestSkip(t *testing.T) {
	in := AppendUint32(AppendUint32(nil, 1), 2)
	d := NewDecoder(in)
	d.Skip("first", 4)
	if v := d.Uint32("second"); v != 2 || d.Err() != nil {
		t.Fatalf("after Skip(4): Uint32 = %d, %v; want 2, nil", v, d.Err())
	}
	d = NewDecoder(in)
	d.Skip("all", 9)
	var xe *Error
	if !errors.As(d.Err(), &xe) || !errors.Is(xe, ErrShort) || xe.Field != "all" || xe.Len != 9 || xe.Max != 8 {
		t.Fatalf("Skip(9) of 8 bytes: Err = %v; want ErrShort for all, 9 > 8", d.Err())
	}
	if d.Offset() != 0 {
		t.Errorf("a failed Skip moved the cursor to %d", d.Offset())
	}
	d = NewDecoder(in)
	d.Skip("negative", -1)
	if !errors.Is(d.Err(), ErrShort) {
		t.Errorf("Skip(-1): Err = %v; want ErrShort", d.Err())
	}
}

func TestOpaqueDoesNotAlias(t *testing.T) {
	in := AppendOpaque(nil, []byte{1, 2, 3})
	d := NewDecoder(in)
	p := d.Opaque("p", 3)
	in[4] = 9
	if p[0] != 1 {
		t.Errorf("Opaque aliases its input")
	}
}

func TestFail(t *testing.T) {
	d := NewDecoder(AppendUint32(nil, 1))
	sentinel := errors.New("semantic")
	d.Fail(sentinel)
	d.Fail(errors.New("second"))
	if d.Uint32("x") != 0 || d.Err() != sentinel {
		t.Errorf("after Fail: Err = %v", d.Err())
	}
}

func TestHugeCountNoAlloc(t *testing.T) {
	for _, in := range [][]byte{unhex(t, "ffffffff"), unhex(t, "00004000"), unhex(t, "7fffffff 00000001")} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 100 {
			var d Decoder
			d.Reset(in)
			_ = DecodeArray(&d, "domains", math.MaxUint32, 24, nil, func(d *Decoder) uint32 { return d.Uint32("x") })
			_ = d.String("s", math.MaxUint32)
			if d.Err() == nil {
				t.Fatalf("%x: no error", in)
			}
		}
		runtime.ReadMemStats(&after)
		// The only allocations are the Decoder and its *Error: far below a KiB per call.
		if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > 1024 {
			t.Errorf("%x: a hostile count allocated %d bytes per decode", in, per)
		}
	}
}
