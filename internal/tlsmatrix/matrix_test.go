package tlsmatrix_test

import (
	"crypto/x509"
	"slices"
	"testing"

	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
)

// TestTables checks the tables against libvirt's files: 37 context rows
// and 15 session rows, unique names, every certificate they name
// generated, and the extensions of a few certificates as libvirt writes
// them.
func TestTables(t *testing.T) {
	ctx := tlsmatrix.ContextRows()
	sess := tlsmatrix.SessionRows()
	if len(ctx) != 37 || len(sess) != 15 {
		t.Fatalf("%d context rows, %d session rows; want 37 and 15", len(ctx), len(sess))
	}
	set, err := tlsmatrix.Generate(tlsmatrix.ContextReqs())
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	var fails, server int
	for _, r := range ctx {
		for _, rr := range []tlsmatrix.ContextRow{r, r.Mirror()} {
			if names[rr.Name()] {
				t.Errorf("duplicate row name %s", rr.Name())
			}
			names[rr.Name()] = true
			if !rr.Missing {
				if _, err := set.Layout(rr.CA, rr.Cert); err != nil {
					t.Errorf("%s: %v", rr.Name(), err)
				}
			}
		}
		if r.ExpectFail {
			fails++
		}
		if r.Side == tlsmatrix.ServerSide {
			server++
		}
	}
	// libvirt's file: 16 rows expect failure, 22 are server rows.
	if fails != 16 || server != 22 {
		t.Errorf("%d failing rows, %d server rows; want 16 and 22", fails, server)
	}
	if m := ctx[0].Mirror(); m.Side != tlsmatrix.ClientSide || m.Name() != "cacertreq+servercertreq~mirror" {
		t.Errorf("Mirror = %+v", m)
	}
	if got := set["servercertreq~mirror"].Cert.ExtKeyUsage; !slices.Equal(got, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("mirrored server certificate EKU %v", got)
	}

	// Extensions and criticality as the rows need them.
	for _, tc := range []struct {
		name     string
		oid      []int
		present  bool
		critical bool
	}{
		{"cacert2req", pki.OIDBasicConstraints, true, false},
		{"cacert4req", pki.OIDKeyUsage, true, false},
		{"cacert5req", pki.OIDBasicConstraints, false, false},
		{"servercert9req", pki.OIDKeyUsage, true, false},
		{"servercert10req", pki.OIDExtKeyUsage, true, true},
		{"servercert11req", pki.OIDExtKeyUsage, true, false},
		{"servercert16req", pki.OIDKeyUsage, true, true},
		{"servercert7req", pki.OIDKeyUsage, false, false},
	} {
		e, ok := set[tc.name].Extension(tc.oid)
		if ok != tc.present || e.Critical != tc.critical {
			t.Errorf("%s: extension %v present %v critical %v; want %v %v", tc.name, tc.oid, ok, e.Critical, tc.present, tc.critical)
		}
	}
	if c := set["servercert16req"].Cert; c.KeyUsage != 0 {
		t.Errorf("servercert16req keyUsage %#x; want none", c.KeyUsage)
	}
	if c := set["cacertexpreq"].Cert; !c.NotAfter.Before(c.NotBefore) {
		t.Errorf("cacertexpreq valid %v..%v; want libvirt's expiry before activation", c.NotBefore, c.NotAfter)
	}
	if c := set["servercertlevel3areq"].Cert; c.Issuer.CommonName != "libvirt level 2a" || len(c.DNSNames) != 0 {
		t.Errorf("servercertlevel3areq issuer %q SANs %v", c.Issuer.CommonName, c.DNSNames)
	}

	sset, err := tlsmatrix.Generate(tlsmatrix.SessionReqs())
	if err != nil {
		t.Fatal(err)
	}
	snames := map[string]bool{}
	for _, r := range sess {
		if snames[r.Name] {
			t.Errorf("duplicate session row %s", r.Name)
		}
		snames[r.Name] = true
		for _, side := range [][]string{append(r.ServerCA, r.ServerCert), append(r.ClientCA, r.ClientCert)} {
			if _, err := sset.Certs(side...); err != nil {
				t.Errorf("%s: %v", r.Name, err)
			}
		}
		cnOnly := len(sset[r.ServerCert].Cert.DNSNames) == 0
		if r.ClientFailsByDefault != (r.ClientFails || cnOnly) {
			t.Errorf("%s: ClientFailsByDefault %v; the server certificate has SANs %v", r.Name, r.ClientFailsByDefault, sset[r.ServerCert].Cert.DNSNames)
		}
	}
	if _, err := tlsmatrix.Generate([]tlsmatrix.Req{{Name: "x", Issuer: "nobody"}}); err == nil {
		t.Error("Generate with an unknown issuer succeeded")
	}
}
