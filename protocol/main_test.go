package protocol

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them
// (RELIABILITY: every test runs under goleak.VerifyNone).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
