package tlsmatrix_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// fake is virtwire's RPC server with the test driver (test:///default)
// behind a TLS listener: the fake libvirtd of these tests.
type fake struct {
	srv  *server.Server
	addr string // 127.0.0.1:PORT
	log  *tlsmatrix.Log
}

// startFake serves the test driver on a TLS listener with cfg. A
// configuration ListenTLS refuses fails the test.
func startFake(t *testing.T, cfg server.TLSConfig) *fake {
	t.Helper()
	f, err := newFake(t, cfg)
	if err != nil {
		t.Fatalf("ListenTLS: %v", err)
	}
	return f
}

func newFake(t *testing.T, cfg server.TLSConfig) (*fake, error) {
	t.Helper()
	f := &fake{log: &tlsmatrix.Log{}}
	drv := testdriver.NewDriver()
	if _, err := drv.Serve(testdriver.DefaultName, testdriver.Default()); err != nil {
		t.Fatal(err)
	}
	f.srv = server.New(server.Options{Logger: f.log.Logger()})
	drv.Register(f.srv)
	ln, err := f.srv.ListenTLS("127.0.0.1:0", cfg)
	if err != nil {
		f.srv.Close()
		drv.Close()
		return nil, err
	}
	f.addr = ln.Addr().String()
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ln) }()
	t.Cleanup(func() {
		f.srv.Close()
		<-served
		drv.Close()
	})
	return f, nil
}

// serve is startFake with a server layout written to a temporary
// directory.
func serve(t *testing.T, l pki.Layout, cfg server.TLSConfig) *fake {
	t.Helper()
	files, err := pki.WriteServer(filepath.Join(t.TempDir(), "server"), l)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = files.Dir
	return startFake(t, cfg)
}

// clientDir writes a client layout and returns the pkipath directory.
func clientDir(t *testing.T, l pki.Layout) string {
	t.Helper()
	files, err := pki.WriteClient(filepath.Join(t.TempDir(), "client"), l)
	if err != nil {
		t.Fatal(err)
	}
	return files.Dir
}

// tlsURI is test+tls://host:PORT/default?pkipath=dir plus the extra query
// items, the URI virsh, python and virtwire's client all take.
func tlsURI(host, addr, dir string, extra ...string) string {
	_, port, _ := net.SplitHostPort(addr)
	q := "pkipath=" + url.QueryEscape(dir)
	for _, e := range extra {
		q += "&" + e
	}
	return fmt.Sprintf("test+tls://%s/default?%s", net.JoinHostPort(host, port), q)
}

// priority returns the tls_priority item that limits a client to version
// v (libvirt's gnutls priority syntax, which virtwire's client maps). It
// enables one version rather than removing the other: Debian 12's gnutls
// NORMAL also has TLS 1.0 and 1.1, and without TLS 1.2 it offers no TLS 1.3
// ("NORMAL:-VERS-TLS1.2" offers only 1.1 and 1.0).
func priority(v uint16) string {
	name := "TLS1.2"
	if v == tls.VersionTLS13 {
		name = "TLS1.3"
	}
	return "tls_priority=" + url.QueryEscape("NORMAL:-VERS-ALL:+VERS-"+name)
}

// dial connects virtwire's client to addr while the URI names host, so the
// certificate is checked against host whatever the address.
func dial(t *testing.T, uri, addr string, opts ...client.Option) (*client.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	opts = append([]client.Option{
		client.WithKeepalive(0, 0),
		client.WithDialer(func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}),
	}, opts...)
	c, err := client.Dial(ctx, uri, opts...)
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// outcome is how a connection attempt ended.
type outcome int

const (
	accepted        outcome = iota
	clientRefused           // the client refused the server's certificate (VIR_ERR_AUTH_FAILED)
	serverRefused           // the server closed without the confirmation byte
	clientSetupErr          // Dial failed before connecting (our own files)
	handshakeFailed         // the TLS handshake itself failed (VIR_ERR_AUTH_FAILED)
	otherErr
)

func (o outcome) String() string {
	return [...]string{"accepted", "refused by the client", "refused by the server", "refused at client setup",
		"handshake failed", "other error"}[o]
}

// classify maps Dial's error onto an outcome.
func classify(err error) outcome {
	var ce *client.CertificateError
	var pe *protocol.Error
	switch {
	case err == nil:
		return accepted
	case errors.Is(err, client.ErrCertificateRejected):
		return serverRefused
	case errors.As(err, &pe) && pe.Code == protocol.ErrAuthFailed && errors.As(err, &ce):
		return clientRefused
	case errors.As(err, &pe) && pe.Code == protocol.ErrAuthFailed:
		return handshakeFailed
	case errors.As(err, &pe) && pe.Code == protocol.ErrSystemError:
		return clientSetupErr
	}
	return otherErr
}

// works checks that an accepted connection really serves RPC, and returns
// the TLS version the server negotiated.
func works(t *testing.T, c *client.Conn, f *fake) uint16 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if doms, err := c.ListAllDomains(ctx, 0); err != nil || len(doms) != 1 {
		t.Errorf("ListAllDomains over TLS = %d domains, %v; want test:///default's 1", len(doms), err)
	}
	for _, sc := range f.srv.Conns() {
		if cs := sc.TLSState(); cs != nil {
			return cs.Version
		}
	}
	t.Error("the server has no TLS connection")
	return 0
}

var versions = []uint16{tls.VersionTLS12, tls.VersionTLS13}
