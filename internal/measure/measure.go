package measure

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Memory returns the process's resident set size in bytes, after a GC that
// hands freed memory back to the OS, and the Go heap and stacks in use.
// The test is skipped where /proc/self/statm cannot be read.
func Memory(t testing.TB) (rss, heap int64) {
	t.Helper()
	runtime.GC()
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("cannot read RSS: %v", err)
	}
	pages, _ := strconv.ParseInt(strings.Fields(string(b))[1], 10, 64)
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return pages * int64(os.Getpagesize()), int64(m.HeapInuse + m.StackInuse)
}

// Stacks counts goroutines by their stacks. Its buffer is allocated once,
// by NewStacks, outside the region a test measures; a dump longer than
// the buffer is cut, and the goroutines past the cut are not counted. It
// is safe for concurrent use.
type Stacks struct {
	mu  sync.Mutex
	buf []byte
}

// NewStacks returns a Stacks with a buffer of size bytes for the dump of
// every goroutine's stack.
func NewStacks(size int) *Stacks { return &Stacks{buf: make([]byte, size)} }

// Count returns how many goroutines have a stack, as runtime.Stack writes
// it, for which match is true.
func (s *Stacks) Count(match func(stack []byte) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf[:runtime.Stack(s.buf, true)]
	n := 0
	for len(b) > 0 {
		end := bytes.Index(b, []byte("\n\n"))
		if end < 0 {
			end = len(b)
		}
		if match(b[:end]) {
			n++
		}
		b = b[min(end+2, len(b)):]
	}
	return n
}
