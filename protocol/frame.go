package protocol

import (
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Frame size limits (FACTS §1).
const (
	// LengthWordSize is the size of the length word that starts every frame
	// (VIR_NET_MESSAGE_LEN_MAX).
	LengthWordSize = 4
	// MessageMax is VIR_NET_MESSAGE_MAX: the largest header plus payload.
	MessageMax = 33554432
	// PayloadMax is VIR_NET_MESSAGE_PAYLOAD_MAX: the largest payload.
	PayloadMax = MessageMax - HeaderSize
	// FrameMin is the smallest valid length word: a header with no payload.
	FrameMin = LengthWordSize + HeaderSize
	// FrameMax is the largest length word libvirt accepts: MessageMax + 4.
	FrameMax = MessageMax + LengthWordSize
)

// Errors a FrameReader returns for a bad length word, wrapped in a
// *FrameError. Both leave the stream out of step, so the connection must be
// closed, as libvirtd closes it (FACTS §1).
var (
	ErrFrameTooLarge = errors.New("frame too large")
	ErrFrameTooSmall = errors.New("frame too small")
)

// FrameError reports a length word outside [FrameMin, FrameMax]. It is
// always fatal for the connection.
type FrameError struct {
	Length uint32 // the length word as received
	Err    error  // ErrFrameTooLarge or ErrFrameTooSmall
}

func (e *FrameError) Error() string {
	if e.Err == ErrFrameTooLarge {
		return fmt.Sprintf("protocol: length word %d: %v (at most %d)", e.Length, e.Err, FrameMax)
	}
	return fmt.Sprintf("protocol: length word %d: %v (at least %d)", e.Length, e.Err, FrameMin)
}

// Unwrap returns ErrFrameTooLarge or ErrFrameTooSmall.
func (e *FrameError) Unwrap() error { return e.Err }

// CheckLength checks a length word against FrameMin and FrameMax.
func CheckLength(n uint32) error {
	switch {
	case n > FrameMax:
		return &FrameError{Length: n, Err: ErrFrameTooLarge}
	case n < FrameMin:
		return &FrameError{Length: n, Err: ErrFrameTooSmall}
	}
	return nil
}

// AppendFrame appends one whole frame to b: the length word, h and the
// encoded body (nil for an empty payload). It fails, returning b unchanged,
// if the body cannot be encoded or the frame would exceed FrameMax. With a
// big enough b it does not allocate.
func AppendFrame(b []byte, h *Header, body encoding.BinaryAppender) ([]byte, error) {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = AppendHeader(b, h)
	if body != nil {
		var err error
		if b, err = body.AppendBinary(b); err != nil {
			return b[:start], err
		}
	}
	n := len(b) - start
	if n > FrameMax {
		return b[:start], &FrameError{Length: uint32(min(n, 1<<32-1)), Err: ErrFrameTooLarge}
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}

// Frame is one frame read by a FrameReader.
type Frame struct {
	Header Header
	// Payload is the bytes after the header. It aliases the reader's buffer
	// and is valid only until the next call of ReadFrame.
	Payload []byte
	// Raw is the whole frame, length word included, with the same validity.
	Raw []byte
}

// Buffer sizes of a FrameReader.
const (
	frameReaderInitial = 4 << 10  // first buffer
	frameReaderRetain  = 64 << 10 // buffers above this shrink again...
	frameReaderShrink  = 8        // ...after this many frames that fit in frameReaderRetain
)

// A FrameReader reads frames from a stream. It checks each length word before
// reading the body, and grows its buffer only as bytes arrive, so a peer that
// announces a 32 MiB frame and stalls costs a few KiB, not 32 MiB. After a
// run of small frames it gives a big buffer back.
//
// If FrameTimeout is set and the underlying reader has a SetReadDeadline
// method (a net.Conn), a frame that has started must be complete within
// FrameTimeout of its first byte; waiting for a new frame has no deadline.
// This closes slowloris peers without timing out idle ones.
//
// A FrameReader is not safe for concurrent use.
type FrameReader struct {
	r io.Reader

	// FrameTimeout bounds the time between the first and the last byte of
	// a frame. Zero means no bound.
	FrameTimeout time.Duration

	buf        []byte // buf[start:end] is read but not yet returned
	start, end int
	small      int  // consecutive frames that fit in frameReaderRetain
	deadline   bool // a read deadline is set on r
}

// NewFrameReader returns a FrameReader reading from r.
func NewFrameReader(r io.Reader) *FrameReader {
	return &FrameReader{r: r}
}

// Reset makes fr read from r, keeping its buffer but dropping buffered bytes.
func (fr *FrameReader) Reset(r io.Reader) {
	fr.r = r
	fr.start, fr.end = 0, 0
	fr.deadline = false
}

// Buffered returns the number of bytes read from the stream but not yet
// returned in a frame.
func (fr *FrameReader) Buffered() int { return fr.end - fr.start }

// BufferCap returns the capacity of the reader's buffer, for memory accounting.
func (fr *FrameReader) BufferCap() int { return cap(fr.buf) }

// ReadFrame reads the next frame. At a clean end of stream (no byte of a new
// frame read) it returns io.EOF; a stream that ends inside a frame gives
// io.ErrUnexpectedEOF. A bad length word gives a *FrameError. Every error
// leaves the stream unusable.
func (fr *FrameReader) ReadFrame() (Frame, error) {
	if fr.start == fr.end {
		fr.start, fr.end = 0, 0
		fr.maybeShrink()
	}
	if err := fr.fill(LengthWordSize); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(fr.buf[fr.start:])
	if err := CheckLength(n); err != nil {
		return Frame{}, err
	}
	if err := fr.fill(int(n)); err != nil {
		return Frame{}, err
	}
	raw := fr.buf[fr.start : fr.start+int(n) : fr.start+int(n)]
	fr.start += int(n)
	if n <= frameReaderRetain {
		fr.small++
	} else {
		fr.small = 0
	}
	if fr.deadline {
		if fr.start == fr.end {
			fr.setDeadline(time.Time{})
		} else {
			fr.setDeadline(time.Now().Add(fr.FrameTimeout)) // the next frame has started
		}
	}
	h, _ := DecodeHeader(raw[LengthWordSize:]) // cannot fail: n >= FrameMin
	return Frame{Header: h, Payload: raw[FrameMin:], Raw: raw}, nil
}

// fill reads until at least n bytes are buffered, growing the buffer as
// bytes arrive.
func (fr *FrameReader) fill(n int) error {
	if fr.end-fr.start >= n {
		return nil
	}
	if fr.start > 0 && len(fr.buf)-fr.start < n {
		// Move the partial frame to the front to make room.
		fr.end = copy(fr.buf, fr.buf[fr.start:fr.end])
		fr.start = 0
	}
	if fr.buf == nil {
		fr.buf = make([]byte, frameReaderInitial)
	}
	timed := fr.FrameTimeout > 0
	if timed && !fr.deadline && fr.end > fr.start {
		fr.setDeadline(time.Now().Add(fr.FrameTimeout))
	}
	for fr.end-fr.start < n {
		if fr.end == len(fr.buf) {
			fr.grow(n)
		}
		m, err := fr.r.Read(fr.buf[fr.end:])
		if m > 0 && timed && !fr.deadline {
			// The first bytes of a new frame: its clock starts.
			fr.setDeadline(time.Now().Add(fr.FrameTimeout))
		}
		fr.end += m
		if err != nil {
			if fr.end-fr.start >= n {
				return nil
			}
			if err == io.EOF && fr.end > fr.start {
				err = io.ErrUnexpectedEOF
			}
			if timed && isTimeout(err) {
				err = &FrameTimeoutError{Timeout: fr.FrameTimeout, Received: fr.end - fr.start, Err: err}
			}
			return err
		}
	}
	return nil
}

// FrameTimeoutError reports a frame that did not complete within the
// reader's FrameTimeout (a stalled or slowloris peer). The connection must be
// closed.
type FrameTimeoutError struct {
	Timeout  time.Duration
	Received int // bytes of the frame received before the deadline
	Err      error
}

func (e *FrameTimeoutError) Error() string {
	return fmt.Sprintf("protocol: frame not complete within %v (%d bytes received): %v", e.Timeout, e.Received, e.Err)
}

// Unwrap returns the read error (os.ErrDeadlineExceeded).
func (e *FrameTimeoutError) Unwrap() error { return e.Err }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// grow enlarges the buffer toward a frame of n bytes, four-fold, so that
// memory follows the bytes received. Doubling instead would make the buffers
// a big frame passes through add up to twice the last one, and a frame just
// over a power of two would cost three times its size (RELIABILITY test 65
// allows four times the input for reading and decoding together);
// four-fold steps keep that sum under a third of the last buffer. It is
// called with the partial frame at the front (start == 0) and the buffer
// full.
func (fr *FrameReader) grow(n int) {
	size := min(max(4*len(fr.buf), frameReaderInitial), n)
	nb := make([]byte, size)
	fr.end = copy(nb, fr.buf[fr.start:fr.end])
	fr.start = 0
	fr.buf = nb
}

// maybeShrink drops a big buffer after a run of small frames. It is called
// only when nothing is buffered.
func (fr *FrameReader) maybeShrink() {
	if len(fr.buf) > frameReaderRetain && fr.small >= frameReaderShrink {
		fr.buf = nil
	}
}

type readDeadliner interface {
	SetReadDeadline(t time.Time) error
}

func (fr *FrameReader) setDeadline(t time.Time) {
	if rd, ok := fr.r.(readDeadliner); ok {
		_ = rd.SetReadDeadline(t)
		fr.deadline = !t.IsZero()
	}
}
