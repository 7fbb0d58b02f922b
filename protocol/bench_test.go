package protocol

import (
	"bytes"
	"fmt"
	"testing"
)

// The codec benchmarks, side by side with go-xdr, are in package bench
// (bench/codec_test.go); this file keeps the frame reader's own.

var benchSizes = []int{10, 1000, 16384}

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

// BenchmarkDecodeListAllDomainsRet decodes a CONNECT_LIST_ALL_DOMAINS reply
// payload into a new value each time, as a client does.
func BenchmarkDecodeListAllDomainsRet(b *testing.B) {
	for _, n := range benchSizes {
		payload, err := (&ConnectListAllDomainsRet{Domains: makeDomains(n), Ret: uint32(n)}).AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("domains=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				var r ConnectListAllDomainsRet
				if err := r.UnmarshalBinary(payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
