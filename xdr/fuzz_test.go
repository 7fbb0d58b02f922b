package xdr

import (
	"bytes"
	"reflect"
	"testing"
)

// sample is a composite value exercising every decoder method.
type sample struct {
	I    int32
	U    uint32
	H    int64
	F    uint64 // float64 bits, so NaN payloads compare exactly
	B    bool
	C    uint8
	S16  uint16
	Name string
	Opt  *string
	UUID [16]byte
	Blob []byte
	List []string
}

func decodeSample(d *Decoder) sample {
	var s sample
	s.I = d.Int32("i")
	s.U = d.Uint32("u")
	s.H = d.Int64("h")
	s.F = d.Uint64("f")
	s.B = d.Bool("b")
	s.C = d.Uint8("c")
	s.S16 = d.Uint16("s16")
	s.Name = d.String("name", 64)
	if d.Optional("opt") {
		v := d.String("opt", 16)
		s.Opt = &v
	}
	d.FixedOpaque("uuid", s.UUID[:])
	s.Blob = d.Opaque("blob", 32)
	s.List = DecodeArray(d, "list", 8, 4, nil, func(d *Decoder) string { return d.String("list[]", 8) })
	return s
}

func appendSample(b []byte, s sample) []byte {
	b = AppendInt32(b, s.I)
	b = AppendUint32(b, s.U)
	b = AppendInt64(b, s.H)
	b = AppendUint64(b, s.F)
	b = AppendBool(b, s.B)
	b = AppendUint32(b, uint32(s.C))
	b = AppendUint32(b, uint32(s.S16))
	b = AppendString(b, s.Name)
	b = AppendOptional(b, s.Opt != nil)
	if s.Opt != nil {
		b = AppendString(b, *s.Opt)
	}
	b = AppendFixedOpaque(b, s.UUID[:])
	b = AppendOpaque(b, s.Blob)
	b = AppendArray(b, s.List, AppendString)
	return b
}

// FuzzDecoder checks that no input panics the decoder, that an accepted input
// re-encodes to a value that decodes identically, and that the re-encoding has
// exactly the size of what was consumed.
func FuzzDecoder(f *testing.F) {
	opt := "x"
	f.Add(appendSample(nil, sample{I: -1, U: 2, Name: "alpha", Opt: &opt, Blob: []byte{1, 2, 3}, List: []string{"a", "bc"}}))
	f.Add(appendSample(nil, sample{}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewDecoder(in)
		v := decodeSample(d)
		if d.Err() != nil {
			return
		}
		out := appendSample(nil, v)
		if len(out) != d.Offset() {
			t.Fatalf("re-encoded %d bytes, consumed %d", len(out), d.Offset())
		}
		d2 := NewDecoder(out)
		v2 := decodeSample(d2)
		if d2.Err() != nil {
			t.Fatalf("re-encoded value fails to decode: %v", d2.Err())
		}
		if !reflect.DeepEqual(normalize(v), normalize(v2)) {
			t.Fatalf("round trip changed the value:\n%+v\n%+v", v, v2)
		}
		if out2 := appendSample(nil, v2); !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable: %x vs %x", out, out2)
		}
	})
}

func normalize(s sample) sample {
	if len(s.Blob) == 0 {
		s.Blob = nil
	}
	if len(s.List) == 0 {
		s.List = nil
	}
	return s
}
