//go:build linux

package server

import (
	"errors"
	"net"
	"syscall"
)

var errNoPeerCred = errors.New("server: peer credentials unavailable")

// peerCred reads SO_PEERCRED from a unix socket.
func peerCred(nc net.Conn) (PeerCred, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return PeerCred{}, errNoPeerCred
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return PeerCred{}, err
	}
	var cred *syscall.Ucred
	var serr error
	if err := rc.Control(func(fd uintptr) {
		cred, serr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return PeerCred{}, err
	}
	if serr != nil {
		return PeerCred{}, serr
	}
	return PeerCred{UID: cred.Uid, GID: cred.Gid, PID: cred.Pid}, nil
}
