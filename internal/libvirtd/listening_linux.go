//go:build linux

package libvirtd

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// listening reports whether process pid holds a listening unix socket
// bound to each of paths and a listening TCP socket on each of ports. It
// reads /proc instead of connecting, so the probe leaves no "End of file
// while reading data" or "TLS handshake failed" lines in the daemon's log,
// and a port that another process grabbed first does not count.
func listening(pid int, paths []string, ports []int) (bool, error) {
	inodes, err := socketInodes(pid)
	if err != nil {
		return false, err
	}
	want := map[string]bool{}
	for _, p := range paths {
		want["unix:"+p] = true
	}
	for _, p := range ports {
		want["tcp:"+strconv.Itoa(p)] = true
	}
	// /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path.
	// Flags 00010000 is __SO_ACCEPTCON: the socket is listening.
	if err := scanProc("/proc/net/unix", func(f []string) {
		if len(f) >= 8 && f[3] == "00010000" && inodes[f[6]] {
			delete(want, "unix:"+f[7])
		}
	}); err != nil {
		return false, err
	}
	// /proc/net/tcp{,6}: sl local_address rem_address st … inode (field 9).
	// st 0A is LISTEN; the port is the hex after the colon.
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if err := scanProc(name, func(f []string) {
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				return
			}
			i := strings.LastIndexByte(f[1], ':')
			port, err := strconv.ParseUint(f[1][i+1:], 16, 16)
			if err == nil {
				delete(want, "tcp:"+strconv.FormatUint(port, 10))
			}
		}); err != nil && !os.IsNotExist(err) {
			return false, err
		}
	}
	return len(want) == 0, nil
}

// socketInodes returns the inode numbers of the sockets pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			out[strings.TrimSuffix(s, "]")] = true
		}
	}
	return out, nil
}

func scanProc(name string, fn func([]string)) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		fn(strings.Fields(sc.Text()))
	}
	return sc.Err()
}
