package certrules

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
)

// TestCheck checks each rule of Check for each role, with and without
// peer, and that the findings stop at the first fatal one.
func TestCheck(t *testing.T) {
	ca := pki.MustCert(t, pki.CASpec("ca"), nil)
	leafWith := func(edit func(*pki.Spec)) *x509.Certificate {
		s := pki.ServerSpec("leaf")
		edit(&s)
		return pki.MustCert(t, s, ca).Cert
	}
	caWith := func(edit func(*pki.Spec)) *x509.Certificate {
		s := pki.CASpec("ca2")
		edit(&s)
		return pki.MustCert(t, s, nil).Cert
	}
	ku := func(crit bool, u x509.KeyUsage) *pki.KeyUsage { return &pki.KeyUsage{Critical: crit, Usage: u} }
	eku := func(crit bool, u ...x509.ExtKeyUsage) *pki.ExtKeyUsage {
		return &pki.ExtKeyUsage{Critical: crit, Usages: u}
	}
	fatal := func(p Problem, u x509.KeyUsage) Finding { return Finding{Problem: p, Usage: u, Fatal: true} }
	warn := func(p Problem, u x509.KeyUsage) Finding { return Finding{Problem: p, Usage: u} }
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		role Role
		peer bool
		want []Finding
	}{
		{"CA", ca.Cert, CA, false, nil},
		{"CA without basicConstraints", caWith(func(s *pki.Spec) { s.BasicConstraints = nil }), CA, false,
			[]Finding{fatal(NoBasicConstraints, 0)}},
		{"CA with CA:FALSE", caWith(func(s *pki.Spec) { s.BasicConstraints.IsCA = false }), CA, false,
			[]Finding{fatal(NotCA, 0)}},
		{"CA KU critical without certSign", caWith(func(s *pki.Spec) { s.KeyUsage = ku(true, x509.KeyUsageCRLSign) }), CA, false,
			[]Finding{fatal(KeyUsage, x509.KeyUsageCertSign)}},
		{"CA KU non-critical without certSign", caWith(func(s *pki.Spec) { s.KeyUsage = ku(false, x509.KeyUsageCRLSign) }), CA, false,
			[]Finding{warn(KeyUsage, x509.KeyUsageCertSign)}},
		{"CA with EKU client", caWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(true, x509.ExtKeyUsageClientAuth) }), CA, false, nil},
		{"server", leafWith(func(*pki.Spec) {}), Server, true, nil},
		{"leaf that is a CA", leafWith(func(s *pki.Spec) { s.BasicConstraints.IsCA = true }), Server, false,
			[]Finding{fatal(IsCA, 0)}},
		{"leaf without extensions", leafWith(func(s *pki.Spec) { s.BasicConstraints, s.KeyUsage, s.ExtKeyUsage = nil, nil, nil }), Client, true, nil},
		{"KU critical, certSign only", leafWith(func(s *pki.Spec) { s.KeyUsage = ku(true, x509.KeyUsageCertSign) }), Server, false,
			[]Finding{fatal(KeyUsage, x509.KeyUsageDigitalSignature)}},
		{"KU non-critical, certSign only", leafWith(func(s *pki.Spec) { s.KeyUsage = ku(false, x509.KeyUsageCertSign) }), Server, false,
			[]Finding{warn(KeyUsage, x509.KeyUsageDigitalSignature), warn(KeyUsage, x509.KeyUsageKeyEncipherment)}},
		{"KU non-critical, certSign only, peer", leafWith(func(s *pki.Spec) { s.KeyUsage = ku(false, x509.KeyUsageCertSign) }), Server, true,
			[]Finding{fatal(KeyUsage, x509.KeyUsageDigitalSignature)}},
		{"KU non-critical, digitalSignature only, peer", leafWith(func(s *pki.Spec) { s.KeyUsage, s.ExtKeyUsage = ku(false, x509.KeyUsageDigitalSignature), nil }), Client, true,
			[]Finding{warn(KeyUsage, x509.KeyUsageKeyEncipherment)}},
		{"EKU client, as a server", leafWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(true, x509.ExtKeyUsageClientAuth) }), Server, false,
			[]Finding{fatal(ExtKeyUsage, 0)}},
		{"EKU client non-critical, as a server", leafWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(false, x509.ExtKeyUsageClientAuth) }), Server, false,
			[]Finding{warn(ExtKeyUsage, 0)}},
		{"EKU client non-critical, as a server, peer", leafWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(false, x509.ExtKeyUsageClientAuth) }), Server, true,
			[]Finding{fatal(ExtKeyUsage, 0)}},
		{"EKU client, as a client", leafWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(true, x509.ExtKeyUsageClientAuth) }), Client, true, nil},
		{"EKU any, as a client", leafWith(func(s *pki.Spec) { s.ExtKeyUsage = eku(true, x509.ExtKeyUsageAny) }), Client, true, nil},
		{"KU warning then EKU fatal", leafWith(func(s *pki.Spec) {
			s.KeyUsage, s.ExtKeyUsage = ku(false, x509.KeyUsageDigitalSignature), eku(true, x509.ExtKeyUsageServerAuth)
		}), Client, false, []Finding{warn(KeyUsage, x509.KeyUsageKeyEncipherment), fatal(ExtKeyUsage, 0)}},
	} {
		if got := Check(tc.cert, tc.role, tc.peer); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Check(%s, peer=%v) = %+v; want %+v", tc.name, tc.role, tc.peer, got, tc.want)
		}
	}
}

// TestValidity checks the window, expiry first as libvirt checks it.
func TestValidity(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name                string
		notBefore, notAfter time.Time
		want                Problem
	}{
		{"valid", now.Add(-time.Hour), now.Add(time.Hour), 0},
		{"expired", now.Add(-2 * time.Hour), now.Add(-time.Hour), Expired},
		{"not yet active", now.Add(time.Hour), now.Add(2 * time.Hour), NotYetActive},
		{"inverted window", now.Add(time.Hour), now.Add(-time.Hour), Expired},
	} {
		if got := Validity(&x509.Certificate{NotBefore: tc.notBefore, NotAfter: tc.notAfter}, now); got != tc.want {
			t.Errorf("%s: Validity = %d; want %d", tc.name, got, tc.want)
		}
	}
}

// TestRevokedCompletesChain checks that an intermediate listed among the
// trusted CAs, where crypto/x509's chain ends, is still checked against
// its root's CRL.
func TestRevokedCompletesChain(t *testing.T) {
	root := pki.MustCert(t, pki.CASpec("root"), nil)
	inter := pki.MustCert(t, pki.CASpec("inter"), root)
	leaf := pki.MustCert(t, pki.ClientSpec("leaf"), inter)
	cas := []*x509.Certificate{root.Cert, inter.Cert}
	roots := x509.NewCertPool()
	for _, c := range cas {
		roots.AddCert(c)
	}
	chains, err := Verify(leaf.Cert, nil, roots, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(chains) != 1 || len(chains[0]) != 2 {
		t.Fatalf("Verify chains = %d, first of %d; want one leaf→inter chain", len(chains), len(chains[0]))
	}
	if got := CompleteChain(chains[0], cas); len(got) != 3 || !got[2].Equal(root.Cert) || len(chains[0]) != 2 {
		t.Errorf("CompleteChain = %d certificates, input now %d; want 3 ending at the root, input unchanged", len(got), len(chains[0]))
	}
	var asked [][2]string
	revokedBy := func(serial *big.Int) func(c, issuer *x509.Certificate) bool {
		return func(c, issuer *x509.Certificate) bool {
			asked = append(asked, [2]string{c.Subject.CommonName, issuer.Subject.CommonName})
			return c.SerialNumber.Cmp(serial) == 0
		}
	}
	if got := Revoked(chains[0], cas, revokedBy(inter.Cert.SerialNumber)); got == nil || !got.Equal(inter.Cert) {
		t.Errorf("Revoked(inter revoked) = %v; want the intermediate", got)
	}
	want := [][2]string{{"leaf", "inter"}, {"inter", "root"}}
	if !slices.Equal(asked, want) {
		t.Errorf("revokedBy called for %v; want %v", asked, want)
	}
	if got := Revoked(chains[0], cas, revokedBy(big.NewInt(-1))); got != nil {
		t.Errorf("Revoked(nothing revoked) = %v; want nil", got.Subject)
	}
}

// TestParsePEM checks that only blocks of the wanted type are read, in
// order, and that a bad one fails.
func TestParsePEM(t *testing.T) {
	ca := pki.MustCert(t, pki.CASpec("ca"), nil)
	leaf := pki.MustCert(t, pki.ClientSpec("leaf"), ca)
	crl, err := pki.NewCRL(ca, pki.CRLSpec{Revoked: []*big.Int{leaf.Cert.SerialNumber}})
	if err != nil {
		t.Fatal(err)
	}
	data := slices.Concat(leaf.PEM(), crl.PEM(), ca.PEM())
	certs, err := ParseCerts(data)
	if err != nil || len(certs) != 2 || !certs[0].Equal(leaf.Cert) || !certs[1].Equal(ca.Cert) {
		t.Errorf("ParseCerts = %d certificates, %v; want leaf, CA", len(certs), err)
	}
	crls, err := ParseCRLs(data)
	if err != nil || len(crls) != 1 || !bytes.Equal(crls[0].Raw, crl.DER) {
		t.Errorf("ParseCRLs = %d CRLs, %v; want 1", len(crls), err)
	}
	if certs, err := ParseCerts(crl.PEM()); err != nil || len(certs) != 0 {
		t.Errorf("ParseCerts(no certificate) = %d, %v; want 0, nil", len(certs), err)
	}
	bad := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})
	if _, err := ParseCerts(slices.Concat(ca.PEM(), bad)); err == nil {
		t.Error("ParseCerts accepted a bad certificate")
	}
	if _, err := ParseCRLs(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: []byte{0x30, 0}})); err == nil {
		t.Error("ParseCRLs accepted a bad CRL")
	}
	if got := ParseDER([][]byte{leaf.DER, {0x30, 0}, ca.DER}); len(got) != 2 || !got[1].Equal(ca.Cert) {
		t.Errorf("ParseDER = %d certificates; want leaf and CA, the bad one skipped", len(got))
	}
}

// TestSubject checks that a subject is written in libvirt's order, and as
// Go writes it when its DN does not parse.
func TestSubject(t *testing.T) {
	c := pki.MustCert(t, pki.Spec{SubjectSequence: pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "UK"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "libvirt"}},
	}}, nil)
	if got := Subject(c.Cert); got != "C=UK,CN=libvirt" {
		t.Errorf("Subject = %q; want C=UK,CN=libvirt", got)
	}
	broken := *c.Cert
	broken.RawSubject = []byte{0x30, 0x05}
	if got := Subject(&broken); got != "CN=libvirt,C=UK" {
		t.Errorf("Subject(unparsable DN) = %q; want Go's CN=libvirt,C=UK", got)
	}
	if _, err := FormatDN(broken.RawSubject); err == nil {
		t.Error("FormatDN accepted garbage")
	}
}
