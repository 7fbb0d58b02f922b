//go:build linux

package libvirtd

import "syscall"

// sysProcAttr puts the daemon in its own process group (a ^C aimed at `go
// test` is handled by the test, which then stops the daemon) and asks the
// kernel to SIGKILL it if the thread that started it dies, so a crashed or
// killed test binary leaves no daemon behind. The starting goroutine stays
// locked to its thread until the daemon exits (see Start).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
