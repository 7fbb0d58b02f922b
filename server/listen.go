package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// listener is a net.Listener made by the server, carrying the settings of
// its transport to Serve.
type listener struct {
	net.Listener
	transport Transport
	readOnly  bool
	tls       *tlsServer // TLS settings; nil for plain transports

	unixPath  string      // socket file to remove on Close, if still ours
	unixFile  os.FileInfo // identity of the socket file we created
	closeOnce sync.Once
	closeErr  error
}

// Close closes the listener and, for a unix socket, removes the socket file
// if it is still the one this listener created.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.closeErr = l.Listener.Close()
		if l.unixPath != "" {
			if fi, err := os.Lstat(l.unixPath); err == nil && os.SameFile(fi, l.unixFile) {
				os.Remove(l.unixPath)
			}
		}
	})
	return l.closeErr
}

// ListenUnix creates a unix socket at path for Serve.
//
// The socket gets mode perm exactly, and is never looser while it is being
// created: the bind runs under a umask that masks every bit perm lacks,
// then the mode is set with chmod (RELIABILITY test 55; libvirt's sockets
// are 0770 read-write and 0777 read-only, the fake's default is 0600). If
// the parent directory does not exist it is created with mode 0700. A file
// already at path is replaced only if it is a socket nobody listens on (a
// stale socket, test 33); a live socket gives ErrSocketInUse and any other
// file ErrNotSocket.
//
// Connections on a readOnly socket are read-only from the start and cannot
// be made read-write (Conn.ReadOnly; libvirt-sock-ro, test 59). The peer uid
// check of Options.AllowedUIDs applies to every unix connection.
//
// Like every listener the server makes, it is closed by Shutdown and Close
// whether or not Serve was called on it.
func (s *Server) ListenUnix(path string, perm os.FileMode, readOnly bool) (net.Listener, error) {
	if s.isClosing() {
		return nil, ErrServerClosed
	}
	perm &= os.ModePerm
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("server: socket directory: %w", err)
		}
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("server: socket directory: %w", err)
		}
	}
	if err := removeStaleSocket(path); err != nil {
		return nil, err
	}
	ul, err := listenUnixMode(path, perm)
	if err != nil {
		return nil, fmt.Errorf("server: listen unix %s: %w", path, err)
	}
	ul.SetUnlinkOnClose(false) // Close removes the file only if it is still ours
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("server: listen unix %s: %w", path, err)
	}
	return s.track(&listener{Listener: ul, transport: TransportUnix, readOnly: readOnly, unixPath: path, unixFile: fi})
}

// track registers a new listener so that Shutdown and Close close it even
// if Serve was never called on it.
func (s *Server) track(l *listener) (net.Listener, error) {
	if !s.trackListener(l, true) {
		l.Close()
		return nil, ErrServerClosed
	}
	return l, nil
}

// removeStaleSocket removes a socket file nobody listens on.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%w: %s", ErrNotSocket, path)
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(context.Background(), "unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrSocketInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("server: probing %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("server: removing stale socket: %w", err)
	}
	return nil
}

// umaskMu serialises the umask changes of listenUnixMode within the process.
var umaskMu sync.Mutex

// ListenTCP listens on a TCP address for plain (unencrypted, unauthenticated)
// RPC, libvirtd's listen_tcp. An empty host means 127.0.0.1. A non-loopback
// address is refused with ErrInsecureListen unless Options.InsecureListen is
// set (test 57): anyone who reaches it gets a read-write connection.
func (s *Server) ListenTCP(addr string) (net.Listener, error) {
	ln, err := s.listenTCP(addr, s.opts.InsecureListen)
	if err != nil {
		return nil, err
	}
	return s.track(&listener{Listener: ln, transport: TransportTCP})
}

// ListenTLS listens on a TCP address for RPC over TLS, libvirtd's
// listen_tls, with the certificates and rules of cfg (see TLSConfig). The
// files are loaded and checked now, so a bad PKI fails here. An empty host
// means 127.0.0.1. A non-loopback address is allowed, since clients must
// present a certificate from the CA, unless cfg.NoVerifyCertificate is set
// and Options.InsecureListen is not.
func (s *Server) ListenTLS(addr string, cfg TLSConfig) (net.Listener, error) {
	t, err := newTLSServer(cfg, s.opts.Logger)
	if err != nil {
		return nil, err
	}
	ln, err := s.listenTCP(addr, s.opts.InsecureListen || !cfg.NoVerifyCertificate)
	if err != nil {
		return nil, err
	}
	return s.track(&listener{Listener: ln, transport: TransportTLS, tls: t})
}

// TLSListener serves TLS, with the rules of cfg, on connections accepted
// from inner (a TCP or unix listener the caller made). The loopback rule of
// ListenTLS does not apply: inner is the caller's choice.
func (s *Server) TLSListener(inner net.Listener, cfg TLSConfig) (net.Listener, error) {
	t, err := newTLSServer(cfg, s.opts.Logger)
	if err != nil {
		return nil, err
	}
	return s.track(&listener{Listener: inner, transport: TransportTLS, tls: t})
}

func (s *Server) listenTCP(addr string, allowPublic bool) (net.Listener, error) {
	if s.isClosing() {
		return nil, ErrServerClosed
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if !allowPublic {
		if err := checkLoopbackHost(host); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !allowPublic && (!ok || !ta.IP.IsLoopback()) {
		ln.Close()
		return nil, fmt.Errorf("%w: %s", ErrInsecureListen, ln.Addr())
	}
	return ln, nil
}

// checkLoopbackHost refuses a host that is, or resolves to, anything but
// loopback addresses.
func checkLoopbackHost(host string) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%w: %s", ErrInsecureListen, host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("server: resolving %s: %w", host, err)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("%w: %s resolves to %s", ErrInsecureListen, host, ip.IP)
		}
	}
	return nil
}

func (c *Conn) listenerTLS() (*tlsServer, bool) {
	if c.lst == nil || c.lst.tls == nil {
		return nil, false
	}
	return c.lst.tls, true
}
