//go:build !linux

package libvirtd

import "errors"

// listening is only implemented on Linux; elsewhere waitReady dials.
func listening(pid int, paths []string, ports []int) (bool, error) {
	return false, errors.ErrUnsupported
}
