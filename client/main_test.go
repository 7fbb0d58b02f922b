package client

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any goroutine outlives the tests: every Conn's
// reader and control goroutines must end with Close or with the
// connection (STYLE.md §7).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
