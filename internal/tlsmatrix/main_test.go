package tlsmatrix_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a goroutine of a server or a client started by
// a test outlives it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
