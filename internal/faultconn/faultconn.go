// Package faultconn injects network faults into net.Conn values, in process
// and without dependencies, for the fault tests of RELIABILITY.md (tests
// 30-41). The faults are those of Shopify's toxiproxy, re-implemented as
// wrappers: latency, bandwidth, slicer, blackhole, data limit and reset.
//
// Faults apply to the bytes a wrapped Conn writes, that is to what its peer
// receives; wrap both ends, or use a Proxy, to disturb both directions. A
// blackhole can also be switched on later, while the connection is in use.
package faultconn

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Fault is one kind of disturbance.
type Fault interface {
	apply(c *Conn)
}

type faultFunc func(c *Conn)

func (f faultFunc) apply(c *Conn) { f(c) }

// Latency delays every write by d plus a uniformly random jitter in
// [-jitter, +jitter].
func Latency(d, jitter time.Duration) Fault {
	return faultFunc(func(c *Conn) { c.latency, c.jitter = d, jitter })
}

// Bandwidth limits writes to bytesPerSecond, pacing them in small chunks.
func Bandwidth(bytesPerSecond int) Fault {
	return faultFunc(func(c *Conn) { c.rate = bytesPerSecond })
}

// Slicer splits every write into pieces of at most size bytes, sent with
// delay between them, so the peer sees frames cut at arbitrary offsets.
func Slicer(size int, delay time.Duration) Fault {
	return faultFunc(func(c *Conn) { c.slice, c.sliceDelay = max(size, 1), delay })
}

// LimitData closes the connection once n bytes have been written; the write
// that crosses the limit is cut at it.
func LimitData(n int64) Fault {
	return faultFunc(func(c *Conn) { c.limit = n })
}

// ResetAfter resets the connection (TCP RST where the transport allows it,
// a plain close otherwise) once n bytes have been written.
func ResetAfter(n int64) Fault {
	return faultFunc(func(c *Conn) { c.resetAt = n })
}

// Blackhole makes the connection swallow everything written (writes report
// success) and deliver nothing more to reads, from the start.
func Blackhole() Fault {
	return faultFunc(func(c *Conn) { c.blackholed = true })
}

// ErrReset is returned by writes on a connection a ResetAfter fault reset.
var ErrReset = errors.New("faultconn: connection reset by fault")

// Conn is a net.Conn with faults. It is safe for concurrent use as a
// net.Conn is: one reader and one writer at a time.
type Conn struct {
	net.Conn

	latency, jitter time.Duration
	rate            int
	slice           int
	sliceDelay      time.Duration
	limit, resetAt  int64

	mu         sync.Mutex
	written    int64
	blackholed bool
	hole       chan struct{} // closed by Close to wake blackholed readers
	closeOnce  sync.Once
}

// Wrap returns c with the given faults.
func Wrap(c net.Conn, faults ...Fault) *Conn {
	fc := &Conn{Conn: c, hole: make(chan struct{})}
	for _, f := range faults {
		f.apply(fc)
	}
	return fc
}

// SetBlackhole switches the blackhole on or off while the connection runs
// (RELIABILITY test 34: a peer that goes silent).
func (c *Conn) SetBlackhole(on bool) {
	c.mu.Lock()
	c.blackholed = on
	c.mu.Unlock()
}

func (c *Conn) isBlackholed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blackholed
}

// Read reads from the underlying connection, or, while blackholed, blocks
// until the connection is closed or its read deadline passes; data that
// arrives meanwhile is discarded.
func (c *Conn) Read(p []byte) (int, error) {
	for {
		if !c.isBlackholed() {
			return c.Conn.Read(p)
		}
		n, err := c.Conn.Read(p)
		if err != nil {
			return 0, err
		}
		_ = n // swallowed
		select {
		case <-c.hole:
			return 0, net.ErrClosed
		default:
		}
	}
}

// Write writes p through the configured faults.
func (c *Conn) Write(p []byte) (int, error) {
	if c.isBlackholed() {
		return len(p), nil
	}
	if c.latency > 0 || c.jitter > 0 {
		d := c.latency
		if c.jitter > 0 {
			d += time.Duration(rand.Int64N(int64(2*c.jitter+1))) - c.jitter
		}
		if d > 0 {
			time.Sleep(d)
		}
	}
	total := 0
	for len(p) > 0 {
		chunk := len(p)
		if c.slice > 0 && chunk > c.slice {
			chunk = c.slice
		}
		if c.rate > 0 {
			chunk = min(chunk, max(c.rate/50, 1)) // pace in 20 ms steps
		}
		c.mu.Lock()
		written := c.written
		c.mu.Unlock()
		if c.resetAt > 0 && written+int64(chunk) >= c.resetAt {
			cut := int(c.resetAt - written)
			n, _ := c.Conn.Write(p[:max(cut, 0)])
			c.reset()
			return total + n, ErrReset
		}
		if c.limit > 0 && written+int64(chunk) >= c.limit {
			cut := int(c.limit - written)
			n, _ := c.Conn.Write(p[:max(cut, 0)])
			c.Close()
			return total + n, io.ErrClosedPipe
		}
		n, err := c.Conn.Write(p[:chunk])
		total += n
		c.mu.Lock()
		c.written += int64(n)
		c.mu.Unlock()
		if err != nil {
			return total, err
		}
		p = p[chunk:]
		if len(p) > 0 {
			if c.sliceDelay > 0 {
				time.Sleep(c.sliceDelay)
			}
			if c.rate > 0 {
				time.Sleep(time.Duration(chunk) * time.Second / time.Duration(c.rate))
			}
		} else if c.rate > 0 {
			time.Sleep(time.Duration(chunk) * time.Second / time.Duration(c.rate))
		}
	}
	return total, nil
}

func (c *Conn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// Close closes the connection and wakes blackholed readers.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() { close(c.hole) })
	return c.Conn.Close()
}

// Written returns the number of bytes written through to the peer.
func (c *Conn) Written() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written
}
