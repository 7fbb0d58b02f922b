package measure

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Workers runs b.N calls spread over workers goroutines, call(i) in
// goroutine i, each taking the next call while any is left, between
// b.ResetTimer and b.StopTimer. It returns how long the calls took and the
// latency of every call. A failed call is reported with b.Error and ends
// its goroutine.
func Workers(b *testing.B, workers int, call func(worker int) error) (elapsed time.Duration, lat []time.Duration) {
	lats := make([][]time.Duration, workers)
	for i := range lats {
		lats[i] = make([]time.Duration, 0, b.N/workers+1)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(i); err != nil {
					b.Error(err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed = time.Since(start)
	b.StopTimer()
	return elapsed, slices.Concat(lats...)
}

// ReportLatency reports calls/s over elapsed, and the p50 and p99 of lat
// in µs ("p50-µs", "p99-µs"). It sorts lat, and reports nothing when lat
// is empty.
func ReportLatency(b *testing.B, elapsed time.Duration, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)].Nanoseconds()) / 1e3 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(pct(50), "p50-µs")
	b.ReportMetric(pct(99), "p99-µs")
}
