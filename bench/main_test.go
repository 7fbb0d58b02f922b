package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine outlives the benchmarks: every
// server, client and Python process they start is stopped by its cleanup.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
