package client

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

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
	set, err := tlsmatrix.Generate(tlsmatrix.ContextReqs())
	if err != nil {
		t.Fatal(err)
	}
	var native, mirrored int
	for _, row := range tlsmatrix.ContextRows() {
		r := row
		if r.Side != tlsmatrix.ClientSide {
			r = r.Mirror()
		}
		ok := t.Run(r.Name(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			if !r.Missing {
				l, err := set.Layout(r.CA, r.Cert)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := pki.WriteClient(dir, l); err != nil {
					t.Fatal(err)
				}
			}
			u, err := ParseURI("test+tls://localhost/default?pkipath=" + dir)
			if err != nil {
				t.Fatal(err)
			}
			var log tlsmatrix.Log
			o := defaultOptions()
			o.logger = log.Logger()
			_, err = newTLSClient(u, o)
			if (err != nil) != r.ExpectFail {
				t.Fatalf("%s (%s): newTLSClient = %v; want failure %v", r.Name(), r.Checks, err, r.ExpectFail)
			}
			if err != nil {
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
				t.Logf("%s: %v", r.Checks, err)
			}
			if warned := log.Count(slog.LevelWarn) > 0; r.Warns && !warned {
				t.Errorf("no warning logged for %s", r.Checks)
			} else if !r.Warns && !r.ExpectFail && warned {
				t.Errorf("unexpected warnings:\n%s", &log)
			}
		})
		switch {
		case ok && row.Side == tlsmatrix.ClientSide:
			native++
		case ok:
			mirrored++
		}
	}
	t.Logf("client: %d/15 client rows and %d/22 mirrored server rows as libvirt expects", native, mirrored)
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
