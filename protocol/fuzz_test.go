package protocol

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"

	"github.com/virtwire/virtwire/internal/captures"
)

// seedFrames adds every capture frame to a fuzz corpus, transformed by f.
func seedFrames(f *testing.F, transform func(frame []byte) []byte) {
	frames, err := captures.Frames()
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range frames {
		f.Add(transform(fr))
	}
}

func payloadOf(frame []byte) []byte { return frame[FrameMin:] }

// allocBound fails when decode allocated more than RELIABILITY test 65 allows:
// 4 bytes per input byte plus 64 KiB.
func allocBound(t *testing.T, in []byte, decode func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	decode()
	runtime.ReadMemStats(&after)
	if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(4*len(in)+64<<10); got > limit {
		t.Fatalf("decoding %d bytes allocated %d bytes (limit %d)", len(in), got, limit)
	}
}

// checkMessage is the invariant of every message fuzz target: no panic, a
// bounded allocation, and for accepted input decode→encode→decode stability.
func checkMessage(t *testing.T, in []byte, newMsg func() Message) {
	m := newMsg()
	var err error
	allocBound(t, in, func() { _, err = Unmarshal(in, m) })
	if err != nil {
		return
	}
	enc, err := m.AppendBinary(nil)
	if err != nil {
		t.Fatalf("accepted input does not re-encode: %v", err)
	}
	m2 := newMsg()
	if trailing, err := Unmarshal(enc, m2); err != nil || trailing != 0 {
		t.Fatalf("re-encoding does not decode: %d trailing, %v", trailing, err)
	}
	if !equalNaN(reflect.ValueOf(m), reflect.ValueOf(m2)) {
		t.Fatalf("decode→encode→decode changed %+v into %+v", m, m2)
	}
	enc2, _ := m2.AppendBinary(nil)
	if !bytes.Equal(enc, enc2) {
		t.Fatalf("encoding is not stable")
	}
	if len(enc) > len(in) {
		t.Fatalf("re-encoding is longer (%d) than the input (%d)", len(enc), len(in))
	}
}

func FuzzReadFrame(f *testing.F) {
	seedFrames(f, func(b []byte) []byte { return b })
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0x02, 0, 0, 4})
	f.Fuzz(func(t *testing.T, in []byte) {
		var frames []Frame
		allocBound(t, in, func() {
			fr := NewFrameReader(bytes.NewReader(in))
			for {
				fm, err := fr.ReadFrame()
				if err != nil {
					return
				}
				frames = append(frames, Frame{Header: fm.Header, Raw: bytes.Clone(fm.Raw)})
			}
		})
		// The frames read re-encode to the bytes they came from.
		var out []byte
		for _, fm := range frames {
			var err error
			if out, err = AppendFrame(out, &fm.Header, RawPayload(fm.Raw[FrameMin:])); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.HasPrefix(in, out) {
			t.Fatalf("frames do not re-encode to a prefix of the input")
		}
	})
}

func FuzzHeader(f *testing.F) {
	seedFrames(f, func(b []byte) []byte { return b[4:FrameMin] })
	f.Fuzz(func(t *testing.T, in []byte) {
		checkMessage(t, in, func() Message { return new(Header) })
		h, err := DecodeHeader(in)
		if (err != nil) != (len(in) < HeaderSize) {
			t.Fatalf("DecodeHeader(%d bytes) = %v", len(in), err)
		}
		if err == nil && !bytes.Equal(AppendHeader(nil, &h), in[:HeaderSize]) {
			t.Fatalf("header does not round-trip")
		}
	})
}

func FuzzConnectListAllDomainsArgs(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x40, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		checkMessage(t, in, func() Message { return new(ConnectListAllDomainsArgs) })
	})
}

func FuzzConnectListAllDomainsRet(f *testing.F) {
	seedFrames(f, func(b []byte) []byte { return payloadOf(b) })
	big, _ := (&ConnectListAllDomainsRet{Domains: makeDomains(100), Ret: 100}).AppendBinary(nil)
	f.Add(big)
	f.Add([]byte{0, 0, 0x40, 0x01})
	f.Fuzz(func(t *testing.T, in []byte) {
		checkMessage(t, in, func() Message { return new(ConnectListAllDomainsRet) })
		checkListAgainstReference(t, in)
	})
}

func FuzzRemoteError(f *testing.F) {
	seedFrames(f, func(b []byte) []byte { return payloadOf(b) })
	f.Fuzz(func(t *testing.T, in []byte) {
		checkMessage(t, in, func() Message { return new(Error) })
	})
}

// FuzzPayload decodes a whole frame with the message type its header names,
// covering every codec of the package.
func FuzzPayload(f *testing.F) {
	seedFrames(f, func(b []byte) []byte { return b[4:] })
	for _, m := range sampleMessages() {
		b, _ := m.AppendBinary(nil)
		f.Add(append(AppendHeader(nil, &Header{Program: ProgramRemote, Procedure: ProcConnectSetIdentity}), b...))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := DecodeHeader(in)
		if err != nil {
			return
		}
		if NewPayload(&h) == nil {
			return
		}
		checkMessage(t, in[HeaderSize:], func() Message { return NewPayload(&h) })
	})
}

// equalNaN is reflect.DeepEqual for decoded messages, except that a NaN
// equals a NaN: a typed parameter of type double may carry one, and the
// round trip keeps its bits (testdata/fuzz/FuzzPayload/4a417b129541a5cb).
func equalNaN(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || x != x && y != y
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Kind() == reflect.Slice && a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !b.MapIndex(k).IsValid() || !equalNaN(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	default:
		return a.Equal(b)
	}
}
