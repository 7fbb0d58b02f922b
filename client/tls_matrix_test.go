package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
	"github.com/virtwire/virtwire/protocol"
)

// TestTLSContextMatrix runs the 37 DO_CTX_TEST rows of libvirt's
// virnettlscontexttest.c on the client (RELIABILITY.md test 48): the
// client rows as they are, the server rows mirrored (the same CA, our
// certificate with the client purpose), each with libvirt's expected
// result. Creating the client's TLS state from pkipath=DIR is what Dial
// does before connecting (virNetTLSContextNewClient); a failure is a
// libvirt error from RPC carrying a *CertificateError, or the missing-file
// error, and a row that libvirt passes with a warning logs one.
func TestTLSContextMatrix(t *testing.T) {
	tlsmatrix.RunContextRows(t, tlsmatrix.ClientSide, "newTLSClient",
		func(t *testing.T, dir string, logger *slog.Logger) error {
			u, err := ParseURI("test+tls://localhost/default?pkipath=" + dir)
			if err != nil {
				t.Fatal(err)
			}
			o := defaultOptions()
			o.logger = logger
			_, err = newTLSClient(u, o)
			return err
		},
		func(t *testing.T, r tlsmatrix.ContextRow, err error) {
			var pe *protocol.Error
			var ce *CertificateError
			if !errors.As(err, &pe) || pe.Domain != protocol.FromRPC {
				t.Errorf("error %v is not a libvirt error from RPC", err)
			}
			if r.Missing {
				if !errors.Is(err, os.ErrNotExist) {
					t.Errorf("missing files: %v; want ENOENT", err)
				}
			} else if !errors.As(err, &ce) {
				t.Errorf("error %v carries no *CertificateError", err)
			}
		})
}

// TestTLSNoSanityWarns checks that no_sanity=1 is explicit: a failed check
// of our own certificate no longer stops Dial, and is logged as a warning
// through WithLogger (RELIABILITY.md test 53).
func TestTLSNoSanityWarns(t *testing.T) {
	set, err := tlsmatrix.Generate(tlsmatrix.ContextReqs())
	if err != nil {
		t.Fatal(err)
	}
	l, err := set.Layout([]string{"cacertreq"}, "clientcertexp1req")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeClient(t, l)
	for _, tc := range []struct {
		query string
		fail  bool
	}{
		{"", true},
		{"&no_sanity=0", true},
		{"&no_sanity=1", false},
	} {
		u, err := ParseURI("test+tls://localhost/default?pkipath=" + dir + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		var log tlsmatrix.Log
		o := defaultOptions()
		o.logger = log.Logger()
		_, err = newTLSClient(u, o)
		if (err != nil) != tc.fail {
			t.Errorf("%q: newTLSClient = %v; want failure %v", tc.query, err, tc.fail)
		}
		warned := log.Has(slog.LevelWarn, "no_sanity=1", "has expired")
		if warned == tc.fail {
			t.Errorf("%q: warning logged %v; want %v:\n%s", tc.query, warned, !tc.fail, &log)
		}
	}
}

// TestTLSConfirmationByte covers the client's side of RELIABILITY.md test
// 52 in virtual time (testing/synctest, over net.Pipe): after the
// handshake the client waits for the server's confirmation byte for
// exactly 10 s (libvirt's client has no bound; FACTS S7), takes 0x01 and
// nothing else, and reads a close as the server refusing our certificate.
// The PKI is made inside the bubble, so that its validity follows the
// bubble's clock.
func TestTLSConfirmationByte(t *testing.T) {
	for _, tc := range []struct {
		name    string
		send    []byte // after the handshake; nil: nothing
		close   bool   // close instead of sending
		wantErr func(error) bool
		wait    time.Duration // virtual time Dial takes
	}{
		{name: "0x01", send: []byte{1}, wantErr: func(err error) bool { return err == nil }},
		{name: "0x01 then a frame", send: []byte{1, 0, 0, 0}, wantErr: func(err error) bool { return err == nil }},
		{name: "0x00", send: []byte{0}, wantErr: isProtocolError},
		{name: "0x02", send: []byte{2}, wantErr: isProtocolError},
		{name: "0xff", send: []byte{0xff}, wantErr: isProtocolError},
		{name: "close", close: true, wantErr: func(err error) bool { return errors.Is(err, ErrCertificateRejected) }},
		{name: "nothing", wantErr: func(err error) bool {
			return errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, ErrCertificateRejected)
		}, wait: 10 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newTestPKI(t)
				kp, err := tls.X509KeyPair(pki.PEMBundle(p.Server), mustKeyPEM(t, p.Server))
				if err != nil {
					t.Fatal(err)
				}
				cn, sn := net.Pipe()
				done := make(chan struct{})
				go func() {
					defer close(done)
					defer sn.Close()
					srv := tls.Server(sn, &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequestClientCert})
					if srv.Handshake() != nil {
						return
					}
					switch {
					case tc.close:
						srv.Close()
					case tc.send != nil:
						srv.Write(tc.send)
					}
					io.Copy(io.Discard, srv) // until the client closes
				}()
				u, err := ParseURI("test+tls://localhost/default?pkipath=" + p.clientDir)
				if err != nil {
					t.Fatal(err)
				}
				tcl, err := newTLSClient(u, defaultOptions())
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				conn, err := handshakeTLS(context.Background(), cn, tcl, defaultOptions().confirmTimeout)
				if waited := time.Since(start); !tc.wantErr(err) || waited != tc.wait {
					t.Errorf("handshakeTLS = %v after %v; want the %s case after %v", err, waited, tc.name, tc.wait)
				}
				if conn != nil {
					conn.Close()
				}
				cn.Close()
				<-done
			})
		})
	}
}

func isProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe) && errors.Is(err, ErrProtocol)
}
