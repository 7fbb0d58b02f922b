//go:build unix

package server

import (
	"net"
	"os"
	"syscall"
)

// testHookAfterBind, if set, runs between the bind and the chmod.
var testHookAfterBind func(path string)

// listenUnixMode binds a unix socket whose file is created with at most
// perm (the umask masks every bit perm lacks, on top of the process umask,
// so no other file created meanwhile gets looser either), then sets perm
// exactly.
func listenUnixMode(path string, perm os.FileMode) (*net.UnixListener, error) {
	umaskMu.Lock()
	old := syscall.Umask(0o777)
	syscall.Umask(old | int(0o777&^perm))
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	syscall.Umask(old)
	umaskMu.Unlock()
	if err != nil {
		return nil, err
	}
	if testHookAfterBind != nil {
		testHookAfterBind(path)
	}
	if err := os.Chmod(path, perm); err != nil {
		ul.Close()
		return nil, err
	}
	return ul, nil
}
