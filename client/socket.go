package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/virtwire/virtwire/protocol"
)

// Where libvirt's client looks for unix sockets (FACTS §10). These are
// variables only so tests can point them elsewhere.
var (
	// systemSocketDir is LOCALSTATEDIR/run/libvirt. libvirt builds it from
	// LOCALSTATEDIR on purpose, not from /run, so it stays /var/run.
	systemSocketDir = "/var/run/libvirt"
	// defaultMode is the build default that mode=auto falls back to when
	// neither socket exists: Debian builds libvirt with legacy, upstream's
	// default is direct.
	defaultMode = ModeLegacy
	// geteuid decides between the system and the session daemon.
	geteuid = os.Geteuid
)

// ErrNoSessionDir is returned when a session socket is needed but none of
// $XDG_RUNTIME_DIR, $XDG_CACHE_HOME and $HOME is set. The client never looks
// the user up in the password database, since containers often run with
// UIDs it does not know.
var ErrNoSessionDir = errors.New("client: cannot locate the session daemon's socket: $XDG_RUNTIME_DIR, $XDG_CACHE_HOME and $HOME are all unset")

// Session reports whether a unix connection goes to the per-user session
// daemon rather than the system one. As in libvirt, that is the case only
// when the effective UID is not 0, and then for the probe URI, a path of
// "/session", or a scheme starting with "test+".
func (u *URI) Session() bool {
	if geteuid() == 0 {
		return false
	}
	return u.probe || u.Path == "/session" || strings.HasPrefix(u.Scheme, "test+")
}

// SocketPath returns the unix socket a unix-transport URI connects to,
// resolved as libvirt's remoteGetUNIXSocket does (FACTS §10):
//
//   - socket= wins;
//   - the session daemon (see Session) listens on
//     $XDG_RUNTIME_DIR/libvirt/<prefix>-sock (GLib's fallbacks when it is
//     unset: $XDG_CACHE_HOME/libvirt, then $HOME/.cache/libvirt);
//   - the system daemon on /var/run/libvirt/<prefix>-sock, or
//     <prefix>-sock-ro for a read-only connection;
//   - <prefix> is "libvirt" in legacy mode (libvirtd) and "virt<driver>d"
//     in direct mode (virtqemud…); mode=auto picks direct if that socket
//     exists, else legacy if libvirt-sock exists, else Debian's default,
//     legacy.
//
// Unlike libvirt, the client never starts a session daemon.
func (u *URI) SocketPath(readonly bool) (string, error) {
	if u.Transport != TransportUnix {
		return "", errors.New("client: the " + u.Transport.String() + " transport has no local socket")
	}
	if u.Socket != "" {
		return u.Socket, nil
	}
	session := u.Session()
	dir := systemSocketDir
	if session {
		var err error
		if dir, err = sessionDir(); err != nil {
			return "", err
		}
	}
	name := func(prefix string) string {
		switch {
		case session:
			return filepath.Join(dir, prefix+"-sock")
		case readonly:
			return filepath.Join(dir, prefix+"-sock-ro")
		}
		return filepath.Join(dir, prefix+"-sock")
	}
	legacy := name("libvirt")
	direct := ""
	if !u.probe && u.Driver != "" {
		direct = name("virt" + u.Driver + "d")
	}
	mode := u.Mode
	if mode == ModeAuto {
		switch {
		case direct != "" && fileExists(direct):
			mode = ModeDirect
		case fileExists(legacy):
			mode = ModeLegacy
		case direct != "":
			mode = defaultMode
		default:
			mode = ModeLegacy
		}
	}
	if mode == ModeDirect {
		if direct == "" {
			return "", protocol.NewError(protocol.FromRemote, protocol.ErrConfigUnsupported, "Cannot use direct socket mode if no URI is set")
		}
		return direct, nil
	}
	return legacy, nil
}

// sessionDir is libvirt's virGetUserRuntimeDirectory without the password
// database: GLib's user runtime directory plus "libvirt".
func sessionDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "libvirt"), nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "libvirt"), nil
	}
	if h := os.Getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "libvirt"), nil
	}
	return "", ErrNoSessionDir
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
