package server

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

func lengthWord(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }

// TestBadLengthWord covers FACTS §1's table and RELIABILITY tests 1 and 2:
// each bad length word closes the connection with no reply and libvirt's
// log text, costs at most 64 KiB, and a good client on the same server
// keeps getting answers.
func TestBadLengthWord(t *testing.T) {
	cases := []struct {
		name  string
		input []byte
		log   string
	}{
		{"d04 len 0", lengthWord(0), "unexpected zero/negative length request 0"},
		{"len 1", lengthWord(1), "packet 1 bytes received from server too small, want 4"},
		{"d05 len 3", lengthWord(3), "packet 3 bytes received from server too small, want 4"},
		{"d32 len 4", lengthWord(4), "unexpected zero/negative length request 0"},
		{"d06 len 8", append(lengthWord(8), 0, 0, 0, 0), "Unable to decode message header"},
		{"d33 len 27", append(lengthWord(27), make([]byte, 23)...), "Unable to decode message header"},
		{"d02 len max+1", lengthWord(33554437), "packet 33554433 bytes received from server too large, want 33554432"},
		{"d01 len 0x7fffffff", lengthWord(0x7fffffff), "packet 2147483643 bytes received from server too large, want 33554432"},
		{"len 0xffffffff", lengthWord(0xffffffff), "packet 4294967291 bytes received from server too large, want 33554432"},
		{"d07 HTTP", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "packet 1195725852 bytes received from server too large, want 33554432"},
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{}, echoSetup)
			good := ts.dial(t)
			for i, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					before := ts.Stats().BadFrames
					alloc := measureAlloc(func() {
						c := ts.dial(t)
						c.write(tc.input)
						c.expectClosed(2 * time.Second)
						c.nc.Close()
						waitFor(t, "the connection to go", func() bool { return ts.Stats().BadFrames == before+1 })
					})
					if !ts.log.has(tc.log) {
						t.Errorf("log lacks %q; have:\n%s", tc.log, ts.log)
					}
					t.Logf("allocated %d bytes", alloc)
					if limit := 4*uint64(len(tc.input)) + 64<<10; alloc > limit {
						t.Errorf("allocated %d bytes for a %d-byte input, limit %d", alloc, len(tc.input), limit)
					}
					good.roundTrip(uint32(i))
				})
			}
		})
	}
}

// measureAlloc returns the bytes allocated (runtime.MemStats.TotalAlloc)
// while f runs.
func measureAlloc(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestStalledMaxFrame covers d03 and RELIABILITY test 3: the largest legal
// length word followed by a stall keeps the connection open until the frame
// deadline, then closes it, and costs far less than the 32 MiB it announces.
func TestStalledMaxFrame(t *testing.T) {
	const frameTimeout = 300 * time.Millisecond
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{FrameTimeout: frameTimeout}, echoSetup)
			var start time.Time
			alloc := measureAlloc(func() {
				c := ts.dial(t)
				start = time.Now()
				c.write(append(lengthWord(33554436), make([]byte, 100)...))
				c.expectSilence(frameTimeout / 3) // still open: waiting for the body
				c.expectClosed(5 * time.Second)
				waitFor(t, "the frame timeout to count", func() bool { return ts.Stats().FrameTimeouts == 1 })
			})
			if d := time.Since(start); d < frameTimeout {
				t.Errorf("closed after %v, before the frame timeout %v", d, frameTimeout)
			}
			t.Logf("stalled frame: %d bytes allocated", alloc)
			if alloc > 64<<10 {
				t.Errorf("a stalled 32 MiB frame cost %d bytes, want ≤ 64 KiB", alloc)
			}
			if !ts.log.has("frame not complete within the frame timeout; closing") {
				t.Errorf("no frame-timeout log line; have:\n%s", ts.log)
			}
		})
	}
}

// TestSlowloris covers RELIABILITY test 38: a frame trickled one byte at a
// time is closed at the frame deadline, while an idle connection that has
// not started a frame stays open past it (d31).
func TestSlowloris(t *testing.T) {
	const frameTimeout = 200 * time.Millisecond
	ts := startServer(t, "tcp", Options{FrameTimeout: frameTimeout}, echoSetup)
	idle := ts.dial(t)
	slow := ts.dial(t)
	full := frame(callHeader(echoProc, 7), []byte{0, 0, 0, 1})
	closed := make(chan error, 1)
	go func() {
		for i := range full {
			if _, err := slow.nc.Write(full[i : i+1]); err != nil {
				closed <- err
				return
			}
			time.Sleep(frameTimeout / 5)
		}
		closed <- fmt.Errorf("the whole frame was accepted")
	}()
	slow.expectClosed(5 * time.Second)
	if err := <-closed; err == nil {
		t.Fatal("slowloris writer finished")
	}
	if got := ts.Stats().FrameTimeouts; got != 1 {
		t.Errorf("FrameTimeouts = %d, want 1", got)
	}
	idle.roundTrip(1) // idle for the whole time, still served
}

// TestSplitAndCoalescedFrames covers RELIABILITY tests 4 and 5: frames
// written one byte per write decode as usual, and 2-50 frames in one write
// are all answered, each reply routed by its serial.
func TestSplitAndCoalescedFrames(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{}, echoSetup)
			c := ts.dial(t)
			if tc, ok := c.nc.(interface{ SetNoDelay(bool) error }); ok {
				tc.SetNoDelay(true)
			}
			f := frame(callHeader(echoProc, 42), []byte("abcdefgh"))
			for i := range f {
				c.write(f[i : i+1])
			}
			h, p := c.read(5 * time.Second)
			if h.Serial != 42 || string(p) != "abcdefgh" {
				t.Fatalf("byte-by-byte frame: got %v %q", h, p)
			}
			for _, n := range []int{2, 3, 10, 50} {
				var batch []byte
				for i := range n {
					batch = append(batch, frame(callHeader(echoProc, uint32(1000+i)), lengthWord(uint32(i)))...)
				}
				c.write(batch)
				seen := make(map[uint32]bool)
				for range n {
					h, p := c.read(5 * time.Second)
					i := h.Serial - 1000
					if h.Serial < 1000 || int(i) >= n || seen[h.Serial] || binary.BigEndian.Uint32(p) != i {
						t.Fatalf("batch of %d: unexpected reply %v %x", n, h, p)
					}
					seen[h.Serial] = true
				}
			}
		})
	}
}

// TestManyStalledFrames covers the scale part of RELIABILITY test 3: 1000
// connections that each announce a 32 MiB frame, send 100 bytes of it and
// stall add far less than 64 MiB of heap, and all are closed at the frame
// deadline.
func TestManyStalledFrames(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	const frameTimeout = time.Second
	ts := startServer(t, "unix", Options{FrameTimeout: frameTimeout, MaxAnonymousClients: -1}, echoSetup)
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	stall := append(lengthWord(protocol.FrameMax), make([]byte, 100)...)
	clients := make([]*rawClient, n)
	for i := range clients {
		clients[i] = ts.dial(t)
		clients[i].write(stall)
	}
	waitFor(t, "every frame started", func() bool { return ts.Stats().Connections == int64(n) })
	time.Sleep(50 * time.Millisecond) // let the readers take their bytes
	grown := int64(heap()) - int64(before)
	t.Logf("%d stalled 32 MiB frames: heap grew by %d KiB (%d bytes each, client side included)", n, grown>>10, grown/int64(n))
	if grown > 64<<20 {
		t.Errorf("heap grew by %d bytes, want ≤ 64 MiB", grown)
	}
	for _, c := range clients {
		c.expectClosed(5 * time.Second)
	}
	waitFor(t, "every connection closed", func() bool { return ts.Stats().FrameTimeouts == uint64(n) })
}
