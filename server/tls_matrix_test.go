package server

import (
	"errors"
	"io/fs"
	"log/slog"
	"path/filepath"
	"testing"

	vwpki "github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
)

// TestTLSContextMatrix runs the 37 DO_CTX_TEST rows of libvirt's
// virnettlscontexttest.c on the server (RELIABILITY.md test 48): the
// server rows as they are, the client rows mirrored (the same CA, our
// certificate with the server purpose), each with libvirt's expected
// result. ListenTLS loads and checks the files as virNetTLSContextNewServer
// does; a failure is a *TLSError, and a row that libvirt passes with a
// warning logs one.
func TestTLSContextMatrix(t *testing.T) {
	set, err := tlsmatrix.Generate(tlsmatrix.ContextReqs())
	if err != nil {
		t.Fatal(err)
	}
	var native, mirrored int
	for _, row := range tlsmatrix.ContextRows() {
		r := row
		if r.Side != tlsmatrix.ServerSide {
			r = r.Mirror()
		}
		ok := t.Run(r.Name(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			if !r.Missing {
				l, err := set.Layout(r.CA, r.Cert)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := vwpki.WriteServer(dir, l); err != nil {
					t.Fatal(err)
				}
			}
			var log tlsmatrix.Log
			s := New(Options{Logger: log.Logger()})
			defer s.Close()
			ln, err := s.ListenTLS("127.0.0.1:0", TLSConfig{Dir: dir})
			if ln != nil {
				ln.Close()
			}
			if (err != nil) != r.ExpectFail {
				t.Fatalf("%s (%s): ListenTLS = %v; want failure %v", r.Name(), r.Checks, err, r.ExpectFail)
			}
			if err != nil {
				var te *TLSError
				if !errors.As(err, &te) {
					t.Errorf("error %v is not a *TLSError", err)
				}
				if missing := errors.Is(err, fs.ErrNotExist); missing != r.Missing {
					t.Errorf("error %v: file missing %v; want %v", err, missing, r.Missing)
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
		case ok && row.Side == tlsmatrix.ServerSide:
			native++
		case ok:
			mirrored++
		}
	}
	t.Logf("server: %d/22 server rows and %d/15 mirrored client rows as libvirt expects", native, mirrored)
}
