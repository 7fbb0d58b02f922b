package server

import (
	"errors"
	"io/fs"
	"log/slog"
	"testing"

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
	tlsmatrix.RunContextRows(t, tlsmatrix.ServerSide, "ListenTLS",
		func(t *testing.T, dir string, logger *slog.Logger) error {
			s := New(Options{Logger: logger})
			t.Cleanup(func() { s.Close() })
			ln, err := s.ListenTLS("127.0.0.1:0", TLSConfig{Dir: dir})
			if ln != nil {
				ln.Close()
			}
			return err
		},
		func(t *testing.T, r tlsmatrix.ContextRow, err error) {
			var te *TLSError
			if !errors.As(err, &te) {
				t.Errorf("error %v is not a *TLSError", err)
			}
			if missing := errors.Is(err, fs.ErrNotExist); missing != r.Missing {
				t.Errorf("error %v: file missing %v; want %v", err, missing, r.Missing)
			}
		})
}
