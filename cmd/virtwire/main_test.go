package main

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// childEnv makes the test binary run as the virtwire command itself, so a
// test can start `virtwire serve` as a real process and SIGKILL it
// (RELIABILITY test 33).
const childEnv = "VIRTWIRE_TEST_RUN_MAIN"

// TestMain fails the package's tests if any goroutine outlives them
// (RELIABILITY: every test runs under goleak.VerifyNone), or runs main
// when the binary was started as the command.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}
