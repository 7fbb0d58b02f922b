package protocol

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"
)

// TestFrameReaderGrowthAlloc bounds what reading one big frame allocates
// (RELIABILITY test 65): frames just over each power of two up to 16 MiB,
// arriving in 64 KiB pieces, cost at most 2.5 × their size in buffers. With
// the buffer doubling all the way a frame of 2^k + 1 bytes cost 3 × its
// size, which with the decoded list on top broke the 4 × input bound of
// FuzzClientConn for a 16384-domain reply.
func TestFrameReaderGrowthAlloc(t *testing.T) {
	for size := 4 << 10; size <= 16<<20; size *= 2 {
		n := size + 1
		frame := make([]byte, n)
		binary.BigEndian.PutUint32(frame, uint32(n))
		binary.BigEndian.PutUint32(frame[4:], uint32(ProgramRemote))
		binary.BigEndian.PutUint32(frame[8:], ProtocolVersion)
		fr := NewFrameReader(&chunkReader{r: bytes.NewReader(frame), n: 64 << 10})
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		f, err := fr.ReadFrame()
		runtime.ReadMemStats(&m1)
		if err != nil || len(f.Raw) != n {
			t.Fatalf("%d-byte frame: %v", n, err)
		}
		alloc := m1.TotalAlloc - m0.TotalAlloc
		t.Logf("%d-byte frame: %d bytes allocated (%.2f×)", n, alloc, float64(alloc)/float64(n))
		if limit := uint64(n)*5/2 + 8<<10; alloc > limit {
			t.Errorf("reading a %d-byte frame allocated %d bytes; want ≤ %d", n, alloc, limit)
		}
	}
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r *bytes.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }
