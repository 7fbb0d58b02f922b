package libvirtd

import (
	"net"
	"path/filepath"
)

// URI returns the test-driver URI that opens the node XML file at path
// (absolute; "/default" for the built-in default node) through the
// read-write unix socket: test+unix:///abs/node.xml?socket=<Socket>.
// The daemon sends CONNECT_OPEN the name test:///abs/node.xml (FACTS §10).
func (d *Daemon) URI(path string) string {
	return "test+unix://" + d.absPath(path) + "?socket=" + d.Socket
}

// DefaultURI returns test+unix:///default?socket=<Socket>, the test
// driver's shared default node (FACTS §13).
func (d *Daemon) DefaultURI() string { return d.URI("/default") }

// ROURI is [Daemon.URI] through the read-only socket. Clients should still
// open it read-only (virsh -r, openReadOnly).
func (d *Daemon) ROURI(path string) string {
	return "test+unix://" + d.absPath(path) + "?socket=" + d.ROSocket
}

// TCPURI returns test+tcp://127.0.0.1:PORT/abs/node.xml. It fails the test
// if the daemon was started without [TCP].
func (d *Daemon) TCPURI(path string) string {
	d.t.Helper()
	if d.TCPAddr == "" {
		d.t.Fatalf("libvirtd: TCPURI: the daemon was started without TCP()")
	}
	return "test+tcp://" + d.TCPAddr + d.absPath(path)
}

// TLSPort returns the TLS listener's port, or "" without [TLS].
func (d *Daemon) TLSPort() string {
	if d.TLSAddr == "" {
		return ""
	}
	_, port, _ := net.SplitHostPort(d.TLSAddr)
	return port
}

// TLSURI returns test+tls://localhost:PORT/abs/node.xml?pkipath=DIR, the URI
// virsh and python use with a client directory written by
// pki.WriteClientDir. The host is localhost, the name the default server
// certificate carries. An empty pkipath leaves the parameter out (libvirt
// then reads /etc/pki as root). It fails the test if the daemon was
// started without [TLS].
func (d *Daemon) TLSURI(path, pkipath string) string {
	d.t.Helper()
	if d.TLSAddr == "" {
		d.t.Fatalf("libvirtd: TLSURI: the daemon was started without TLS()")
	}
	u := "test+tls://localhost:" + d.TLSPort() + d.absPath(path)
	if pkipath != "" {
		u += "?pkipath=" + pkipath
	}
	return u
}

// absPath makes a relative path absolute inside the daemon's directory, so
// URI("node.xml") names a file given to WithFile.
func (d *Daemon) absPath(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return d.File(path)
}

// AdminURI returns libvirtd:///system?socket=<AdminSocket>, the URI
// virt-admin uses to query this daemon ([VirtAdmin]).
func (d *Daemon) AdminURI() string {
	return "libvirtd:///system?socket=" + d.AdminSocket
}
