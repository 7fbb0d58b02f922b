package server

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
)

// voidSetup answers every procedure 1..443 of REMOTE with an empty OK reply.
func voidSetup(s *Server) {
	for p := protocol.Procedure(1); p <= protocol.ProcLast; p++ {
		s.Handle(remote, v1, p, func(context.Context, *Call) (protocol.Message, error) { return nil, nil })
	}
}

// TestCaptureStreams covers RELIABILITY test 4 with the recorded
// conversations: each capture's client stream, written one byte per write,
// gets one reply per CALL, in any order, matched by serial.
func TestCaptureStreams(t *testing.T) {
	all, err := captures.All()
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "unix", Options{}, voidSetup)
	for _, capt := range all {
		t.Run(capt.Name, func(t *testing.T) {
			c := ts.dial(t)
			want := make(map[uint32]int)
			for _, f := range capt.C2S {
				h, err := protocol.DecodeHeader(f[4:])
				if err != nil {
					t.Fatal(err)
				}
				if h.Type == protocol.TypeCall {
					want[h.Serial]++
				}
				for i := range f {
					c.write(f[i : i+1])
				}
			}
			for n := range want {
				_ = n
			}
			total := 0
			for _, n := range want {
				total += n
			}
			for range total {
				h, _ := c.read(5 * time.Second)
				if h.Type != protocol.TypeReply || h.Status != protocol.StatusOK || want[h.Serial] == 0 {
					t.Fatalf("unexpected %v", h)
				}
				want[h.Serial]--
			}
			c.expectSilence(20 * time.Millisecond)
		})
	}
}

// hostile is one kind of misbehaving client.
type hostile func(t *testing.T, network, addr string)

func hostileDial(network, addr string) net.Conn {
	nc, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil
	}
	return nc
}

var hostiles = map[string]hostile{
	"bad length": func(t *testing.T, network, addr string) {
		if nc := hostileDial(network, addr); nc != nil {
			nc.Write(lengthWord(0x7fffffff))
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			nc.Read(make([]byte, 1))
			nc.Close()
		}
	},
	"stalled 32 MiB frame": func(t *testing.T, network, addr string) {
		if nc := hostileDial(network, addr); nc != nil {
			nc.Write(lengthWord(protocol.FrameMax))
			time.Sleep(100 * time.Millisecond)
			nc.Close()
		}
	},
	"wrong types and programs": func(t *testing.T, network, addr string) {
		if nc := hostileDial(network, addr); nc != nil {
			var b []byte
			for i := range 200 {
				b = append(b, frame(protocol.Header{Program: protocol.Program(i), Version: 1, Type: protocol.MessageType(i % 8), Serial: uint32(i)}, nil)...)
			}
			nc.Write(b)
			nc.Close()
		}
	},
	"pipelined, never reads": func(t *testing.T, network, addr string) {
		if nc := hostileDial(network, addr); nc != nil {
			var b []byte
			for i := range 200 {
				b = append(b, frame(callHeader(echoProc, uint32(i)), make([]byte, 4096))...)
			}
			nc.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			nc.Write(b)
			nc.Close()
		}
	},
	"garbage": func(t *testing.T, network, addr string) {
		if nc := hostileDial(network, addr); nc != nil {
			b := make([]byte, 1+rand.IntN(200))
			for i := range b {
				b[i] = byte(rand.Uint32())
			}
			nc.Write(b)
			nc.Close()
		}
	},
}

// TestHostileMix covers the "good client keeps getting answers while hostile
// ones misbehave on the same server" requirement (RELIABILITY test 43 in
// small): every good call succeeds while the hostile clients run, and the
// server's connections and goroutines return to the baseline afterwards.
func TestHostileMix(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{FrameTimeout: 500 * time.Millisecond, MaxAnonymousClients: -1}, echoSetup)
			good := ts.dial(t)
			good.roundTrip(0)
			g0 := runtime.NumGoroutine()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for name, h := range hostiles {
				for range 5 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							select {
							case <-stop:
								return
							default:
							}
							h(t, network, ts.addr)
						}
					}()
				}
				_ = name
			}
			start := time.Now()
			n := 0
			for time.Since(start) < time.Second {
				n++
				good.roundTrip(uint32(n))
			}
			close(stop)
			wg.Wait()
			t.Logf("%d good calls during the attack; stats %+v", n, ts.Stats())
			waitFor(t, "hostile connections to end", func() bool { return ts.Stats().Connections == 1 })
			waitFor(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= g0 })
			good.roundTrip(1 << 30)
		})
	}
}

// TestRandomGarbage covers RELIABILITY test 7: many connections sending
// random bytes; the server's goroutines return to the baseline.
func TestRandomGarbage(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	ts := startServer(t, "unix", Options{FrameTimeout: 200 * time.Millisecond}, echoSetup)
	g0 := runtime.NumGoroutine()
	rng := rand.New(rand.NewPCG(1, 2))
	for range n {
		nc := hostileDial("unix", ts.addr)
		if nc == nil {
			t.Fatal("dial failed")
		}
		b := make([]byte, 4+rng.IntN(64))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if rng.IntN(4) == 0 { // sometimes a plausible length word
			binary.BigEndian.PutUint32(b, uint32(28+rng.IntN(64)))
		}
		nc.Write(b)
		nc.Close()
	}
	waitFor(t, "connections to end", func() bool { return ts.Stats().Connections == 0 })
	waitFor(t, "goroutines to return", func() bool { return runtime.NumGoroutine() <= g0+2 })
	ts.dial(t).roundTrip(1)
}
