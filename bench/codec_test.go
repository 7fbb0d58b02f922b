package bench

import (
	"bytes"
	"fmt"
	"testing"

	goxdr "github.com/davecgh/go-xdr/xdr2"
	"github.com/virtwire/virtwire/protocol"
)

// goxdrDomain and goxdrRet are remote_nonnull_domain and
// remote_connect_list_all_domains_ret laid out for go-xdr's reflection: a
// string, a fixed 16-byte opaque and an int, in a variable-length array
// followed by an unsigned int. go-libvirt's generated types have the same
// shape and go through the same reflection.
type goxdrDomain struct {
	Name string
	UUID [16]byte
	ID   int32
}

type goxdrRet struct {
	Domains []goxdrDomain
	Ret     uint32
}

func toGoxdr(r *protocol.ConnectListAllDomainsRet) *goxdrRet {
	g := &goxdrRet{Ret: r.Ret}
	for _, d := range r.Domains {
		g.Domains = append(g.Domains, goxdrDomain{Name: d.Name, UUID: d.UUID, ID: d.ID})
	}
	return g
}

// TestGoxdrAgrees checks that go-xdr and virtwire encode the benchmark data
// to the same bytes and decode them to the same values, so the codec
// benchmarks compare the same work.
func TestGoxdrAgrees(t *testing.T) {
	for _, n := range sizes {
		r := listReply(n)
		ours, err := r.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := goxdr.Marshal(&buf, toGoxdr(r)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, buf.Bytes()) {
			t.Fatalf("%d domains: virtwire and go-xdr encode differently", n)
		}
		var dec goxdrRet
		if _, err := goxdr.Unmarshal(bytes.NewReader(ours), &dec); err != nil {
			t.Fatal(err)
		}
		var back protocol.ConnectListAllDomainsRet
		if err := back.UnmarshalBinary(ours); err != nil {
			t.Fatal(err)
		}
		if len(dec.Domains) != n || len(back.Domains) != n {
			t.Fatalf("%d domains: decoded %d (go-xdr) and %d (virtwire)", n, len(dec.Domains), len(back.Domains))
		}
		for i, d := range back.Domains {
			g := dec.Domains[i]
			if d.Name != g.Name || d.UUID != g.UUID || d.ID != g.ID {
				t.Fatalf("%d domains: domain %d decodes to %+v (virtwire) and %+v (go-xdr)", n, i, d, g)
			}
		}
	}
}

// BenchmarkDecodeListAllDomains decodes a CONNECT_LIST_ALL_DOMAINS reply
// payload. impl=virtwire and impl=go-xdr produce a new slice of domains each
// time, as a client must (its caller keeps the result); impl=virtwire-reuse
// decodes into the same value every time, which reuses the slice.
func BenchmarkDecodeListAllDomains(b *testing.B) {
	for _, n := range sizes {
		wire, err := listReply(n).AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			cpu := startCPU()
			for b.Loop() {
				var dec protocol.ConnectListAllDomainsRet
				if err := dec.UnmarshalBinary(wire); err != nil || len(dec.Domains) != n {
					b.Fatalf("UnmarshalBinary = %d domains, %v", len(dec.Domains), err)
				}
			}
			cpu.report(b)
		})
		// The codec alone: decoding into the same value again reuses its
		// slice of domains, as a caller that keeps one value can.
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire-reuse", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			var dec protocol.ConnectListAllDomainsRet
			cpu := startCPU()
			for b.Loop() {
				if err := dec.UnmarshalBinary(wire); err != nil || len(dec.Domains) != n {
					b.Fatalf("UnmarshalBinary = %d domains, %v", len(dec.Domains), err)
				}
			}
			cpu.report(b)
		})
		b.Run(fmt.Sprintf("domains=%d/impl=go-xdr", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			cpu := startCPU()
			for b.Loop() {
				var dec goxdrRet
				if _, err := goxdr.Unmarshal(bytes.NewReader(wire), &dec); err != nil || len(dec.Domains) != n {
					b.Fatalf("Unmarshal = %d domains, %v", len(dec.Domains), err)
				}
			}
			cpu.report(b)
		})
	}
}

// BenchmarkEncodeListAllDomains encodes the reply payload into a buffer
// reused from call to call, as a server writing replies does.
func BenchmarkEncodeListAllDomains(b *testing.B) {
	for _, n := range sizes {
		r := listReply(n)
		wire, err := r.AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("domains=%d/impl=virtwire", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			buf := make([]byte, 0, len(wire))
			cpu := startCPU()
			for b.Loop() {
				var err error
				if buf, err = r.AppendBinary(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
		g := toGoxdr(r)
		b.Run(fmt.Sprintf("domains=%d/impl=go-xdr", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			var buf bytes.Buffer
			buf.Grow(len(wire))
			cpu := startCPU()
			for b.Loop() {
				buf.Reset()
				if _, err := goxdr.Marshal(&buf, g); err != nil {
					b.Fatal(err)
				}
			}
			cpu.report(b)
		})
	}
}
