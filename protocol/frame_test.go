package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"runtime"
	"testing"
	"testing/iotest"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/internal/faultconn"
)

func lengthWord(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

func TestCheckLength(t *testing.T) {
	tests := []struct {
		n    uint32
		want error
	}{
		{0, ErrFrameTooSmall}, {1, ErrFrameTooSmall}, {3, ErrFrameTooSmall}, {4, ErrFrameTooSmall},
		{8, ErrFrameTooSmall}, {27, ErrFrameTooSmall}, {28, nil}, {33554436, nil},
		{33554437, ErrFrameTooLarge}, {0x47455420, ErrFrameTooLarge}, {0x7fffffff, ErrFrameTooLarge}, {0xffffffff, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		err := CheckLength(tt.n)
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("CheckLength(%d) = %v, want %v", tt.n, err, tt.want)
		}
		var fe *FrameError
		if tt.want != nil && (!errors.As(err, &fe) || fe.Length != tt.n) {
			t.Errorf("CheckLength(%d) = %#v, want *FrameError with Length %d", tt.n, err, tt.n)
		}
	}
}

// TestReadFrameBadLength covers RELIABILITY tests 1 and 2: every bad length
// word is refused before any body is read, with a bounded allocation.
func TestReadFrameBadLength(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"len 0 (d04)", lengthWord(0), ErrFrameTooSmall},
		{"len 1", lengthWord(1), ErrFrameTooSmall},
		{"len 3 (d05)", lengthWord(3), ErrFrameTooSmall},
		{"len 4 (d32)", lengthWord(4), ErrFrameTooSmall},
		{"len 8 (d06)", append(lengthWord(8), 0, 0, 0, 0), ErrFrameTooSmall},
		{"len 27 (d33)", append(lengthWord(27), make([]byte, 23)...), ErrFrameTooSmall},
		{"len max+1 (d02)", lengthWord(33554437), ErrFrameTooLarge},
		{"len 0x7fffffff (d01)", lengthWord(0x7fffffff), ErrFrameTooLarge},
		{"len 0xffffffff", lengthWord(0xffffffff), ErrFrameTooLarge},
		{"HTTP (d07)", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			fr := NewFrameReader(bytes.NewReader(tt.in))
			_, err := fr.ReadFrame()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ReadFrame(%x) = %v, want %v", tt.in, err, tt.want)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
				t.Errorf("allocated %d bytes for a %d-byte input", got, len(tt.in))
			}
		})
	}
}

func TestReadFrameEOF(t *testing.T) {
	good := mustFrame(t, &Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectClose}, nil)
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, io.EOF},
		{"1 byte", []byte{0}, io.ErrUnexpectedEOF},
		{"length word only", good[:4], io.ErrUnexpectedEOF},
		{"27 of 28", good[:27], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		fr := NewFrameReader(bytes.NewReader(tt.in))
		if _, err := fr.ReadFrame(); err != tt.want {
			t.Errorf("%s: ReadFrame = %v, want %v", tt.name, err, tt.want)
		}
	}
	fr := NewFrameReader(bytes.NewReader(good))
	if _, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Errorf("after the last frame: %v, want io.EOF", err)
	}
}

func mustFrame(t testing.TB, h *Header, body Message) []byte {
	t.Helper()
	var bodyAppender interface {
		AppendBinary([]byte) ([]byte, error)
	}
	if body != nil {
		bodyAppender = body
	}
	b, err := AppendFrame(nil, h, bodyAppender)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReadFrameSplit is RELIABILITY test 4: every capture stream read one byte
// at a time, and split at every offset, gives the same frames.
func TestReadFrameSplit(t *testing.T) {
	all, err := captures.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		for dir, frames := range map[string][][]byte{"c2s": c.C2S, "s2c": c.S2C} {
			stream := bytes.Join(frames, nil)
			check := func(name string, r io.Reader) {
				fr := NewFrameReader(r)
				for i, want := range frames {
					f, err := fr.ReadFrame()
					if err != nil {
						t.Fatalf("%s %s %s: frame %d: %v", c.Name, dir, name, i, err)
					}
					if !bytes.Equal(f.Raw, want) {
						t.Fatalf("%s %s %s: frame %d = %x, want %x", c.Name, dir, name, i, f.Raw, want)
					}
				}
				if _, err := fr.ReadFrame(); err != io.EOF {
					t.Fatalf("%s %s %s: at end: %v", c.Name, dir, name, err)
				}
			}
			check("one byte", iotest.OneByteReader(bytes.NewReader(stream)))
			check("half", iotest.HalfReader(bytes.NewReader(stream)))
			if len(stream) < 4096 {
				for cut := 1; cut < len(stream); cut++ {
					check("split", io.MultiReader(bytes.NewReader(stream[:cut]), bytes.NewReader(stream[cut:])))
				}
			}
		}
	}
}

// TestReadFrameCoalesced is RELIABILITY test 5: 50 frames in one write.
func TestReadFrameCoalesced(t *testing.T) {
	var stream []byte
	for i := range 50 {
		h := &Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectListAllDomains, Serial: uint32(i)}
		stream, _ = AppendFrame(stream, h, &ConnectListAllDomainsArgs{NeedResults: 1, Flags: ListDomainsFlags(i)})
	}
	fr := NewFrameReader(bytes.NewReader(stream))
	for i := range 50 {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		var a ConnectListAllDomainsArgs
		if err := a.UnmarshalBinary(f.Payload); err != nil || f.Header.Serial != uint32(i) || a.Flags != ListDomainsFlags(i) {
			t.Fatalf("frame %d: %v %+v %v", i, f.Header, a, err)
		}
	}
}

func TestReadFrameMax(t *testing.T) {
	h := &Header{Program: ProgramRemote, Version: 1, Procedure: ProcDomainLookupByName}
	frame, err := AppendFrame(nil, h, RawPayload(make([]byte, PayloadMax)))
	if err != nil {
		t.Fatalf("a frame of exactly FrameMax: %v", err)
	}
	if len(frame) != FrameMax {
		t.Fatalf("len = %d", len(frame))
	}
	fr := NewFrameReader(bytes.NewReader(frame))
	f, err := fr.ReadFrame()
	if err != nil || len(f.Payload) != PayloadMax {
		t.Fatalf("ReadFrame: %d bytes, %v", len(f.Payload), err)
	}
	if _, err := AppendFrame(nil, h, RawPayload(make([]byte, PayloadMax+1))); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("AppendFrame over the maximum: %v, want ErrFrameTooLarge", err)
	}
}

// TestReadFrameStalled is RELIABILITY test 3's memory half: a length word of
// 33554436 followed by a stall pins a few KiB, not 32 MiB.
func TestReadFrameStalled(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	go func() {
		pw.Write(lengthWord(FrameMax))
		pw.Write(make([]byte, 100))
		// Then stall until the reader gives up.
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fr := NewFrameReader(pr)
	done := make(chan error, 1)
	go func() { _, err := fr.ReadFrame(); done <- err }()
	time.Sleep(50 * time.Millisecond)
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
		t.Errorf("a stalled 32 MiB frame allocated %d bytes", got)
	}
	pr.CloseWithError(io.ErrClosedPipe)
	if err := <-done; err == nil {
		t.Error("ReadFrame returned a frame from a stalled stream")
	}
}

// TestFrameTimeout checks that a started frame must finish within
// FrameTimeout while an idle connection waits forever.
func TestFrameTimeout(t *testing.T) {
	c1, c2 := faultconn.TCPPair(t)
	fr := NewFrameReader(c2)
	fr.FrameTimeout = 100 * time.Millisecond
	done := make(chan error, 1)
	go func() { _, err := fr.ReadFrame(); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("idle connection: ReadFrame returned %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	c1.Write([]byte{0, 0})
	select {
	case err := <-done:
		var te *FrameTimeoutError
		if !errors.As(err, &te) || !errors.Is(err, os.ErrDeadlineExceeded) || te.Received != 2 {
			t.Fatalf("ReadFrame = %v, want a *FrameTimeoutError after 2 bytes", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled frame was not timed out")
	}
}

func TestFrameTimeoutResetPerFrame(t *testing.T) {
	c1, c2 := faultconn.TCPPair(t)
	fr := NewFrameReader(c2)
	fr.FrameTimeout = 200 * time.Millisecond
	frame := mustFrame(t, &Header{Program: ProgramRemote, Version: 1}, nil)
	go func() {
		for range 5 {
			c1.Write(frame[:10])
			time.Sleep(20 * time.Millisecond)
			c1.Write(frame[10:])
			time.Sleep(100 * time.Millisecond) // idle between frames: no deadline
		}
	}()
	for i := range 5 {
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

func TestFrameReaderShrinks(t *testing.T) {
	h := &Header{Program: ProgramRemote, Version: 1}
	var stream []byte
	stream, _ = AppendFrame(stream, h, RawPayload(make([]byte, 1<<20)))
	for range frameReaderShrink + 1 {
		stream, _ = AppendFrame(stream, h, nil)
	}
	fr := NewFrameReader(bytes.NewReader(stream))
	if _, err := fr.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if fr.BufferCap() < 1<<20 {
		t.Fatalf("buffer %d after a 1 MiB frame", fr.BufferCap())
	}
	for range frameReaderShrink + 1 {
		if _, err := fr.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	fr.ReadFrame() // EOF; the shrink happens when the buffer is empty
	if fr.BufferCap() > frameReaderRetain {
		t.Errorf("buffer still %d bytes after %d small frames", fr.BufferCap(), frameReaderShrink+1)
	}
}

func TestAppendFrameNoAlloc(t *testing.T) {
	buf := make([]byte, 0, 1024)
	h := &Header{Program: ProgramRemote, Version: 1, Procedure: ProcConnectListAllDomains, Serial: 6}
	args := &ConnectListAllDomainsArgs{NeedResults: 1, Flags: ListDomainsInactive}
	var out []byte
	allocs := testing.AllocsPerRun(100, func() {
		out, _ = AppendFrame(buf[:0], h, args)
	})
	if allocs != 0 {
		t.Errorf("AppendFrame allocated %v times", allocs)
	}
	// FACTS §7: the LIST_ALL_DOMAINS call of capture b.
	want := "00000024200080860000000100000111000000000000000600000000" + "0000000100000002"
	if got := hexString(out); got != want {
		t.Errorf("frame = %s, want %s", got, want)
	}
}
