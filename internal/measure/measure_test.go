package measure

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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

// TestWorkers checks that Workers makes exactly b.N calls over its
// workers, and that ReportLatency reports the rate and percentiles.
func TestWorkers(t *testing.T) {
	var calls [4]atomic.Int64
	var n int
	res := testing.Benchmark(func(b *testing.B) {
		n = b.N
		for i := range calls {
			calls[i].Store(0)
		}
		elapsed, lat := Workers(b, len(calls), func(i int) error {
			calls[i].Add(1)
			time.Sleep(time.Microsecond)
			return nil
		})
		if len(lat) != b.N || elapsed <= 0 {
			b.Errorf("Workers = %v, %d latencies; want > 0 and %d", elapsed, len(lat), b.N)
		}
		ReportLatency(b, elapsed, lat)
	})
	var total int64
	for i := range calls {
		total += calls[i].Load()
	}
	if total != int64(n) {
		t.Errorf("%d calls made; want b.N = %d", total, n)
	}
	for _, m := range []string{"calls/s", "p50-µs", "p99-µs"} {
		if res.Extra[m] <= 0 {
			t.Errorf("metric %s = %v; want > 0 (all: %v)", m, res.Extra[m], res.Extra)
		}
	}
	if res.Extra["p99-µs"] < res.Extra["p50-µs"] {
		t.Errorf("p99 %v µs < p50 %v µs", res.Extra["p99-µs"], res.Extra["p50-µs"])
	}
}
