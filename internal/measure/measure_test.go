package measure

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
)

// TestMemory checks that both figures are plausible for a running Go
// process: some RSS, and at least the 4 MiB just allocated on the heap.
func TestMemory(t *testing.T) {
	keep := make([]byte, 4<<20)
	rss, heap := Memory(t)
	if rss <= 0 || heap < int64(len(keep)) {
		t.Errorf("Memory = %d, %d; want RSS > 0 and heap ≥ %d", rss, heap, len(keep))
	}
	runtime.KeepAlive(keep)
}

// parked says it started, then blocks until release is closed; Stacks
// finds it by name.
func parked(started, release chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	started <- struct{}{}
	<-release
}

// TestStacksCount checks that Count finds exactly the goroutines whose
// stacks match.
func TestStacksCount(t *testing.T) {
	s := NewStacks(1 << 20)
	match := func(st []byte) bool { return bytes.Contains(st, []byte("measure.parked(")) }
	if n := s.Count(match); n != 0 {
		t.Fatalf("Count before = %d; want 0", n)
	}
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go parked(started, release, &wg)
	}
	for range 5 {
		<-started
	}
	if n := s.Count(match); n != 5 {
		t.Errorf("Count with 5 parked = %d; want 5", n)
	}
	close(release)
	wg.Wait()
}
