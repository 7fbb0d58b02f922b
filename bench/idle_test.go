package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// idleBatch is how many idle connections are held at once.
const idleBatch = 250

// BenchmarkIdleConnMemory measures what an idle connection costs the fake
// libvirtd: one op opens a connection (CONNECT_OPEN, then one
// ListAllDomains call on the node of 10 domains, so every buffer a call
// needs has been used once) and leaves it idle. Every idleBatch
// connections, with the timer stopped, the benchmark collects garbage and
// reads the Go heap (HeapAlloc, live objects) and the goroutine stacks
// (StackInuse), then closes the batch. It reports their growth per idle
// connection as B/conn (heap-B/conn + stack-B/conn), and ns/op, the time
// to connect, open and make the call.
//
// The clients are bare file descriptors driven by system calls, so they
// put nothing on the Go heap: the figure is the server's alone. Kernel
// socket buffers are not counted, for the fake as for libvirtd.
func BenchmarkIdleConnMemory(b *testing.B) {
	dir := shortDir(b)
	file := writeNodes(b, dir, callsNode)[callsNode]
	fake := libvirtdtest.NewServer(b, libvirtdtest.NodeXML(file))
	h := protocol.Header{
		Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion,
		Procedure: protocol.ProcConnectOpen, Type: protocol.TypeCall,
	}
	open, err := protocol.AppendFrame(nil, &h, &protocol.ConnectOpenArgs{Name: protocol.Some(fake.Host.Name())})
	if err != nil {
		b.Fatal(err)
	}
	h.Procedure, h.Serial = protocol.ProcConnectListAllDomains, 1
	list, err := protocol.AppendFrame(nil, &h, &protocol.ConnectListAllDomainsArgs{NeedResults: 1})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)

	b.Run("impl=fake", func(b *testing.B) {
		var fds []int
		var grew heapStack
		var held int
		defer func() { closeFDs(fds) }()
		base := measureHeap()
		for i := 0; i < b.N; i++ {
			fd, err := dialFD(fake.Socket, buf, open, list)
			if err != nil {
				b.Fatal(err)
			}
			fds = append(fds, fd)
			if len(fds) == idleBatch || i == b.N-1 {
				b.StopTimer()
				// Let the server's workers finish before measuring.
				waitConns(b, fake, len(fds))
				now := measureHeap()
				grew.heap += now.heap - base.heap
				grew.stack += now.stack - base.stack
				held += len(fds)
				closeFDs(fds)
				fds = fds[:0]
				waitConns(b, fake, 0)
				base = measureHeap()
				b.StartTimer()
			}
		}
		if held > 0 {
			b.ReportMetric(float64(grew.heap+grew.stack)/float64(held), "B/conn")
			b.ReportMetric(float64(grew.heap)/float64(held), "heap-B/conn")
			b.ReportMetric(float64(grew.stack)/float64(held), "stack-B/conn")
		}
	})
}

type heapStack struct{ heap, stack int64 }

// measureHeap collects garbage and returns the live heap and the stacks
// in use.
func measureHeap() heapStack {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapStack{heap: int64(ms.HeapAlloc), stack: int64(ms.StackInuse)}
}

// waitConns waits until the fake has n connections, none with a call in
// flight.
func waitConns(b *testing.B, s *libvirtdtest.Server, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		cs := s.RPC.Conns()
		busy := 0
		for _, c := range cs {
			busy += c.InFlight()
		}
		if len(cs) == n && busy == 0 {
			// The worker that answered has released its slot; give it
			// the moment it needs to return.
			time.Sleep(5 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the fake has %d connections (%d calls in flight), want %d idle", len(cs), busy, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// dialFD connects to the unix socket path with bare system calls, sends
// each frame in turn and reads each reply into buf, which must hold it.
func dialFD(path string, buf []byte, frames ...[]byte) (int, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	for _, f := range frames {
		if err := fdExchange(fd, buf, f); err != nil {
			syscall.Close(fd)
			return -1, err
		}
	}
	return fd, nil
}

func fdExchange(fd int, buf, frame []byte) error {
	for len(frame) > 0 {
		n, err := syscall.Write(fd, frame)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return err
		}
		frame = frame[n:]
	}
	have, need := 0, protocol.LengthWordSize
	for have < need {
		n, err := syscall.Read(fd, buf[have:])
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			return err
		}
		if n == 0 {
			return fmt.Errorf("EOF after %d bytes", have)
		}
		have += n
		if need == protocol.LengthWordSize && have >= need {
			need = int(binary.BigEndian.Uint32(buf))
			if need > len(buf) {
				return fmt.Errorf("reply of %d bytes", need)
			}
		}
	}
	if h, err := protocol.DecodeHeader(buf[protocol.LengthWordSize:need]); err != nil || h.Status != protocol.StatusOK {
		return fmt.Errorf("reply %v, %v", h, err)
	}
	return nil
}

func closeFDs(fds []int) {
	for _, fd := range fds {
		syscall.Close(fd)
	}
}
