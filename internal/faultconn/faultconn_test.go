package faultconn

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSlicer(t *testing.T) {
	a, b := TCPPair(t)
	fa := Wrap(a, Slicer(3, 5*time.Millisecond))
	msg := []byte("0123456789")
	go fa.Write(msg)
	got := make([]byte, len(msg))
	start := time.Now()
	if _, err := io.ReadFull(b, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("got %q, %v", got, err)
	}
	if el := time.Since(start); el < 15*time.Millisecond {
		t.Errorf("4 slices with 3 pauses of 5 ms arrived in %v", el)
	}
}

func TestLatencyAndBandwidth(t *testing.T) {
	a, b := TCPPair(t)
	fa := Wrap(a, Latency(30*time.Millisecond, 0), Bandwidth(10000))
	msg := make([]byte, 1000) // 100 ms at 10 kB/s
	start := time.Now()
	go fa.Write(msg)
	if _, err := io.ReadFull(b, make([]byte, len(msg))); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("1000 bytes at 10 kB/s after 30 ms arrived in %v", el)
	}
}

func TestLimitAndReset(t *testing.T) {
	a, b := TCPPair(t)
	fa := Wrap(a, LimitData(5))
	n, err := fa.Write([]byte("0123456789"))
	if n != 5 || err == nil {
		t.Errorf("Write = %d, %v; want 5 and an error", n, err)
	}
	got, _ := io.ReadAll(b)
	if string(got) != "01234" {
		t.Errorf("peer got %q", got)
	}

	a, b = TCPPair(t)
	fa = Wrap(a, ResetAfter(4))
	if _, err := fa.Write([]byte("abcdefgh")); !errors.Is(err, ErrReset) {
		t.Errorf("Write = %v, want ErrReset", err)
	}
	buf := make([]byte, 16)
	var rerr error
	for rerr == nil {
		_, rerr = b.Read(buf)
	}
	if errors.Is(rerr, io.EOF) {
		t.Logf("peer saw EOF rather than a reset (allowed where RST is not delivered)")
	}
}

func TestBlackhole(t *testing.T) {
	a, b := TCPPair(t)
	fb := Wrap(b)
	fb.SetBlackhole(true)
	if n, err := fb.Write([]byte("lost")); n != 4 || err != nil {
		t.Fatalf("blackholed Write = %d, %v", n, err)
	}
	a.Write([]byte("also lost"))
	fb.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := fb.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("blackholed Read = %v, want a deadline error", err)
	}
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := a.Read(make([]byte, 16)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the peer of a blackhole read %d bytes, %v", n, err)
	}
}

func TestProxy(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	p := NewProxy(ln, "tcp", echo.Addr().String(), []Fault{Slicer(1, 0)}, nil)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("ping"))
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "ping" {
		t.Fatalf("through the proxy: %q %v", got, err)
	}
	p.SetBlackhole(true)
	c.Write([]byte("gone"))
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := c.Read(got); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("blackholed proxy delivered %d bytes, %v", n, err)
	}
	c.Close()
	p.Close()
	echo.Close()
	<-done
}
