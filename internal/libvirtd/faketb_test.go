package libvirtd

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// fakeTB records what a helper does to its testing.TB. Fatalf, Skipf and
// friends end the calling goroutine as the real ones do, so run the helper
// with run.
type fakeTB struct {
	testing.TB // nil: any method not overridden panics

	mu       sync.Mutex
	fatal    string
	skip     string
	errors   []string
	logs     []string
	failed   bool
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal, f.failed = fmt.Sprintf(format, args...), true
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skip = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errors, f.failed = append(f.errors, fmt.Sprintf(format, args...)), true
	f.mu.Unlock()
}

func (f *fakeTB) Logf(format string, args ...any) {
	f.mu.Lock()
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}

func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}

// run calls fn(f) on its own goroutine, waits for it to return or to end
// through Fatalf/Skipf, then runs the registered cleanups last-first.
func (f *fakeTB) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}
