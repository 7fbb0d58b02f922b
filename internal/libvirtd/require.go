package libvirtd

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// Default locations of the programs this package runs (Debian 12).
const (
	DefaultLibvirtdPath = "/usr/sbin/libvirtd"
	DefaultVirshPath    = "/usr/bin/virsh"
	// PythonPath is the interpreter that can import python3-libvirt; a
	// python3 earlier on PATH (pyenv, a venv) usually cannot.
	PythonPath = "/usr/bin/python3"
)

// RequireEnv lists the environment variables that turn a missing program
// from a skip into a failure.
var RequireEnv = []string{"CI", "VIRTWIRE_REQUIRE_LIBVIRTD"}

const installHint = "apt-get install libvirt-daemon libvirt-clients python3-libvirt"

// LibvirtdPath returns the libvirtd binary to run: DefaultLibvirtdPath if it
// exists, else libvirtd on PATH, else "".
func LibvirtdPath() string { return findProgram(DefaultLibvirtdPath, "libvirtd") }

// VirshPath returns the virsh binary to run: DefaultVirshPath if it exists,
// else virsh on PATH, else "".
func VirshPath() string { return findProgram(DefaultVirshPath, "virsh") }

func findProgram(def, name string) string {
	if st, err := os.Stat(def); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return def
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return ""
}

// Available reports whether a libvirtd binary was found.
func Available() bool { return LibvirtdPath() != "" }

// VirshAvailable reports whether a virsh binary was found.
func VirshAvailable() bool { return VirshPath() != "" }

var python struct {
	once sync.Once
	ok   bool
}

// PythonAvailable reports whether PythonPath can import libvirt. The answer
// is computed once per process.
func PythonAvailable() bool {
	python.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, PythonPath, "-I", "-c", "import libvirt")
		python.ok = cmd.Run() == nil
	})
	return python.ok
}

// Require skips t when libvirtd is missing, or fails it when CI or
// VIRTWIRE_REQUIRE_LIBVIRTD is set.
func Require(t testing.TB) {
	t.Helper()
	if !Available() {
		missing(t, "libvirtd", "libvirtd not found at "+DefaultLibvirtdPath+" or on PATH")
	}
}

// RequireVirsh skips t when virsh is missing, or fails it when CI or
// VIRTWIRE_REQUIRE_LIBVIRTD is set.
func RequireVirsh(t testing.TB) {
	t.Helper()
	if !VirshAvailable() {
		missing(t, "virsh", "virsh not found at "+DefaultVirshPath+" or on PATH")
	}
}

// RequirePython skips t when PythonPath cannot import libvirt, or fails it
// when CI or VIRTWIRE_REQUIRE_LIBVIRTD is set.
func RequirePython(t testing.TB) {
	t.Helper()
	if !PythonAvailable() {
		missing(t, "python3-libvirt", PythonPath+" -c 'import libvirt' failed")
	}
}

func missing(t testing.TB, what, why string) {
	t.Helper()
	for _, e := range RequireEnv {
		if os.Getenv(e) != "" {
			t.Fatalf("%s is required in CI: %s (%s; %s is set)", what, installHint, why, e)
		}
	}
	t.Skipf("skipping: %s (%s is needed; install with %s, or set CI=1 to make this a failure)", why, what, installHint)
}
