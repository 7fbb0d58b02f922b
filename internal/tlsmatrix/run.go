package tlsmatrix

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/virtwire/virtwire/internal/pki"
)

// RunContextRows runs the 37 [ContextRows] on one side (RELIABILITY.md
// test 48): the rows of side as they are, the others mirrored
// ([ContextRow.Mirror]). Each row is a subtest named after it that writes
// the row's files under libvirt's names for side ([pki.WriteClient] or
// [pki.WriteServer]) in a fresh directory, nothing for a Missing row, and
// calls load with that directory and a logger. It then checks libvirt's
// expectations: load fails exactly when the row expects it (what names
// load in the message), a failure passes checkErr, a row that libvirt
// passes with a warning has logged one, and any other passing row has
// logged none. Last it logs how many rows of each kind passed.
func RunContextRows(t *testing.T, side Side, what string,
	load func(t *testing.T, dir string, logger *slog.Logger) error,
	checkErr func(t *testing.T, r ContextRow, err error)) {
	t.Helper()
	set, err := Generate(ContextReqs())
	if err != nil {
		t.Fatal(err)
	}
	write := pki.WriteServer
	if side == ClientSide {
		write = pki.WriteClient
	}
	var native, mirrored, nativeRows, mirroredRows int
	for _, row := range ContextRows() {
		r := row
		if r.Side != side {
			r = r.Mirror()
			mirroredRows++
		} else {
			nativeRows++
		}
		ok := t.Run(r.Name(), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pki")
			if !r.Missing {
				l, err := set.Layout(r.CA, r.Cert)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := write(dir, l); err != nil {
					t.Fatal(err)
				}
			}
			var log Log
			err := load(t, dir, log.Logger())
			if (err != nil) != r.ExpectFail {
				t.Fatalf("%s (%s): %s = %v; want failure %v", r.Name(), r.Checks, what, err, r.ExpectFail)
			}
			if err != nil {
				checkErr(t, r, err)
				t.Logf("%s: %v", r.Checks, err)
			}
			if warned := log.Count(slog.LevelWarn) > 0; r.Warns && !warned {
				t.Errorf("no warning logged for %s", r.Checks)
			} else if !r.Warns && !r.ExpectFail && warned {
				t.Errorf("unexpected warnings:\n%s", &log)
			}
		})
		switch {
		case ok && row.Side == side:
			native++
		case ok:
			mirrored++
		}
	}
	t.Logf("%s: %d/%d %s rows and %d/%d mirrored %s rows as libvirt expects",
		side, native, nativeRows, side, mirrored, mirroredRows, 1-side)
}
