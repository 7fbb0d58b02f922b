//go:build !unix

package server

import (
	"net"
	"os"
)

// listenUnixMode binds a unix socket and sets its mode. Without a umask the
// mode is set after the bind.
func listenUnixMode(path string, perm os.FileMode) (*net.UnixListener, error) {
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, perm); err != nil {
		ul.Close()
		return nil, err
	}
	return ul, nil
}
