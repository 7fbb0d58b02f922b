package tlsmatrix_test

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// frontListener is a TLS server with no rules of its own in front of
// virtwire's RPC server: it presents any certificate, even one ListenTLS
// refuses to load (a leaf that is a CA, an expired one…), sends the 0x01
// confirmation byte after every handshake and hands the connection to the
// RPC server as a plain stream. It shows what a client does with such a
// server certificate, virsh and virtwire's client alike.
type frontListener struct {
	net.Listener
	conf *tls.Config
}

// Accept returns the next connection whose handshake completed.
func (l *frontListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		tc := tls.Server(nc, l.conf)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			nc.Close() // the client refused our certificate
			continue
		}
		if _, err := tc.Write([]byte{1}); err != nil {
			nc.Close()
			continue
		}
		_ = tc.SetDeadline(time.Time{})
		return tc, nil
	}
}

// startFront serves the test driver behind a frontListener presenting
// cert, and returns the address.
func startFront(t *testing.T, cert *pki.Cert) string {
	t.Helper()
	key, err := cert.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	kp, err := tls.X509KeyPair(pki.PEMBundle(cert), key)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &frontListener{Listener: inner, conf: &tls.Config{
		Certificates: []tls.Certificate{kp},
		ClientAuth:   tls.RequestClientCert,
		// libvirt's client cannot read a TLS 1.3 session ticket where it
		// expects the confirmation byte (server.TLSConfig does the same).
		SessionTicketsDisabled: true,
	}}
	drv := testdriver.NewDriver()
	if _, err := drv.Serve(testdriver.DefaultName, testdriver.Default()); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{})
	drv.Register(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		<-served
		drv.Close()
	})
	return inner.Addr().String()
}
