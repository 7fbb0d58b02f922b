package protocol

import (
	"bytes"
	"fmt"
	"testing"

	goxdr "github.com/davecgh/go-xdr/xdr2"
)

// goxdrDomain and goxdrRet are the same structs laid out for go-xdr's
// reflection: a string, a fixed 16-byte opaque and an int, in a variable
// array followed by an unsigned int.
type goxdrDomain struct {
	Name string
	UUID [16]byte
	ID   int32
}

type goxdrRet struct {
	Domains []goxdrDomain
	Ret     uint32
}

func toGoxdr(r *ConnectListAllDomainsRet) *goxdrRet {
	g := &goxdrRet{Ret: r.Ret}
	for _, d := range r.Domains {
		g.Domains = append(g.Domains, goxdrDomain{Name: d.Name, UUID: d.UUID, ID: d.ID})
	}
	return g
}

var benchSizes = []int{10, 1000, 16384}

// TestGoxdrAgrees checks that go-xdr and this package encode the benchmark
// data identically, so the benchmarks compare the same work.
func TestGoxdrAgrees(t *testing.T) {
	for _, n := range benchSizes {
		r := &ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}
		ours, _ := r.AppendBinary(nil)
		var buf bytes.Buffer
		if _, err := goxdr.Marshal(&buf, toGoxdr(r)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, buf.Bytes()) {
			t.Fatalf("%d domains: encodings differ", n)
		}
	}
}

func BenchmarkDecodeConnectListAllDomainsRet(b *testing.B) {
	for _, n := range benchSizes {
		r := &ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}
		wire, _ := r.AppendBinary(nil)
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			var dec ConnectListAllDomainsRet
			for b.Loop() {
				if err := dec.UnmarshalBinary(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("domains=%d/impl=go-xdr", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				var dec goxdrRet
				if _, err := goxdr.Unmarshal(bytes.NewReader(wire), &dec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeConnectListAllDomainsRet(b *testing.B) {
	for _, n := range benchSizes {
		r := &ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}
		wire, _ := r.AppendBinary(nil)
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			buf := make([]byte, 0, len(wire))
			for b.Loop() {
				buf, _ = r.AppendBinary(buf[:0])
			}
		})
		g := toGoxdr(r)
		b.Run(fmt.Sprintf("domains=%d/impl=go-xdr", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			var buf bytes.Buffer
			buf.Grow(len(wire))
			for b.Loop() {
				buf.Reset()
				if _, err := goxdr.Marshal(&buf, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkReadFrame(b *testing.B) {
	for _, n := range benchSizes {
		h := &Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectListAllDomains, Type: TypeReply}
		frame, _ := AppendFrame(nil, h, &ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)})
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			r := bytes.NewReader(frame)
			fr := NewFrameReader(r)
			for b.Loop() {
				r.Reset(frame)
				if _, err := fr.ReadFrame(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
