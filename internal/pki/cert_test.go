package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestExtensionEncoding(t *testing.T) {
	tests := []struct {
		name string
		ext  interface {
			Extension() (pkix.Extension, error)
		}
		want string // DER of the extension value
	}{
		{"BC CA", BasicConstraints{IsCA: true, MaxPathLen: -1}, "30030101ff"},
		{"BC not CA", BasicConstraints{MaxPathLen: -1}, "3000"},
		{"BC CA pathlen 0", BasicConstraints{IsCA: true, MaxPathLen: 0}, "30060101ff020100"},
		{"BC CA pathlen 2", BasicConstraints{IsCA: true, MaxPathLen: 2}, "30060101ff020102"},
		{"KU none", KeyUsage{}, "030100"},
		{"KU digSig", KeyUsage{Usage: x509.KeyUsageDigitalSignature}, "03020780"},
		{"KU digSig keyEnc", KeyUsage{Usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}, "030205a0"},
		{"KU certSign cRLSign", KeyUsage{Usage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}, "03020106"},
		{"KU decipherOnly", KeyUsage{Usage: x509.KeyUsageDecipherOnly}, "0303070080"},
		{"EKU empty", ExtKeyUsage{}, "3000"},
		{"EKU server", ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, "300a06082b06010505070301"},
		{"EKU client server", ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}, "301406082b0601050507030206082b06010505070301"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := tt.ext.Extension()
			if err != nil {
				t.Fatalf("Extension() error: %v", err)
			}
			if got := hex.EncodeToString(e.Value); got != tt.want {
				t.Errorf("Extension().Value = %s; want %s", got, tt.want)
			}
		})
	}
}

func TestUnknownExtKeyUsage(t *testing.T) {
	_, err := ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsage(999)}}.Extension()
	if !errors.Is(err, ErrUnknownExtKeyUsage) {
		t.Fatalf("Extension() error = %v; want ErrUnknownExtKeyUsage", err)
	}
}

// TestCriticality signs certificates with every presence and criticality
// of the three hand-built extensions, parses them back and checks both the
// flag and the value crypto/x509 decodes.
func TestCriticality(t *testing.T) {
	ca := MustCert(t, CASpec("ca"), nil)
	for _, crit := range []bool{false, true} {
		s := Spec{
			Subject:          pkix.Name{CommonName: "leaf"},
			BasicConstraints: &BasicConstraints{Critical: crit, IsCA: false, MaxPathLen: -1},
			KeyUsage:         &KeyUsage{Critical: crit, Usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment},
			ExtKeyUsage:      &ExtKeyUsage{Critical: crit, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}},
		}
		c := MustCert(t, s, ca)
		for _, oid := range []asn1.ObjectIdentifier{OIDBasicConstraints, OIDKeyUsage, OIDExtKeyUsage} {
			e, ok := c.Extension(oid)
			if !ok {
				t.Errorf("critical=%v: extension %v missing", crit, oid)
				continue
			}
			if e.Critical != crit {
				t.Errorf("critical=%v: extension %v has Critical=%v", crit, oid, e.Critical)
			}
		}
		x := c.Cert
		if !x.BasicConstraintsValid || x.IsCA {
			t.Errorf("critical=%v: BasicConstraintsValid=%v IsCA=%v; want true false", crit, x.BasicConstraintsValid, x.IsCA)
		}
		if x.KeyUsage != s.KeyUsage.Usage {
			t.Errorf("critical=%v: KeyUsage = %b; want %b", crit, x.KeyUsage, s.KeyUsage.Usage)
		}
		if !slices.Equal(x.ExtKeyUsage, s.ExtKeyUsage.Usages) {
			t.Errorf("critical=%v: ExtKeyUsage = %v; want %v", crit, x.ExtKeyUsage, s.ExtKeyUsage.Usages)
		}
	}

	// Absent extensions are absent, and the CA flag survives non-critical BC.
	bare := MustCert(t, Spec{Subject: pkix.Name{CommonName: "bare"}}, ca)
	for _, oid := range []asn1.ObjectIdentifier{OIDBasicConstraints, OIDKeyUsage, OIDExtKeyUsage, OIDSubjectAltName} {
		if _, ok := bare.Extension(oid); ok {
			t.Errorf("bare certificate has extension %v", oid)
		}
	}
	caNC := MustCert(t, Spec{
		Subject:          pkix.Name{CommonName: "ca-noncritical"},
		BasicConstraints: &BasicConstraints{IsCA: true, MaxPathLen: -1},
	}, nil)
	if e, _ := caNC.Extension(OIDBasicConstraints); e.Critical || !caNC.Cert.IsCA {
		t.Errorf("non-critical CA: Critical=%v IsCA=%v; want false true", e.Critical, caNC.Cert.IsCA)
	}

	// KU present with no bit set is kept (libvirt's KU=0 rows).
	ku0 := MustCert(t, Spec{Subject: pkix.Name{CommonName: "ku0"}, KeyUsage: &KeyUsage{Critical: true}}, ca)
	if e, ok := ku0.Extension(OIDKeyUsage); !ok || !e.Critical || ku0.Cert.KeyUsage != 0 {
		t.Errorf("KU=0: present=%v critical=%v usage=%b; want true true 0", ok, e.Critical, ku0.Cert.KeyUsage)
	}
}

func TestExtraExtensionReplaces(t *testing.T) {
	custom := pkix.Extension{Id: OIDKeyUsage, Critical: true, Value: []byte{0x03, 0x02, 0x07, 0x80}}
	c := MustCert(t, Spec{
		KeyUsage:        &KeyUsage{Usage: x509.KeyUsageCertSign},
		ExtraExtensions: []pkix.Extension{custom},
	}, nil)
	n := 0
	for _, e := range c.Cert.Extensions {
		if e.Id.Equal(OIDKeyUsage) {
			n++
		}
	}
	if n != 1 || c.Cert.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("keyUsage extensions = %d, usage %b; want 1, digitalSignature", n, c.Cert.KeyUsage)
	}
}

func TestDefaultPKIVerifies(t *testing.T) {
	for _, kt := range []KeyType{ECDSAP256, RSA2048} {
		t.Run(kt.String(), func(t *testing.T) {
			p := New(t, WithKeyType(kt))
			roots := x509.NewCertPool()
			roots.AddCert(p.CA.Cert)
			if _, err := p.Server.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
				t.Errorf("server Verify(localhost): %v", err)
			}
			if err := p.Server.Cert.VerifyHostname("127.0.0.1"); err != nil {
				t.Errorf("server VerifyHostname(127.0.0.1): %v", err)
			}
			if _, err := p.Client.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
				t.Errorf("client Verify: %v", err)
			}
			// The server certificate is not a client certificate.
			if _, err := p.Server.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
				t.Errorf("server certificate verified for clientAuth; want error")
			}
			for _, c := range []*Cert{p.CA, p.Server, p.Client} {
				switch c.Cert.PublicKey.(type) {
				case *ecdsa.PublicKey:
					if kt != ECDSAP256 {
						t.Errorf("%s: ECDSA key; want %v", c.Cert.Subject, kt)
					}
				case *rsa.PublicKey:
					if kt != RSA2048 {
						t.Errorf("%s: RSA key; want %v", c.Cert.Subject, kt)
					}
				}
				if !bytes.Equal(c.Cert.Raw, c.DER) {
					t.Errorf("%s: Cert.Raw != DER", c.Cert.Subject)
				}
			}
			if !p.CA.Cert.IsCA || p.Server.Cert.IsCA || p.Client.Cert.IsCA {
				t.Errorf("IsCA = %v %v %v; want true false false", p.CA.Cert.IsCA, p.Server.Cert.IsCA, p.Client.Cert.IsCA)
			}
			if !bytes.Equal(p.Server.Cert.AuthorityKeyId, p.CA.Cert.SubjectKeyId) || len(p.CA.Cert.SubjectKeyId) != 20 {
				t.Errorf("server AKI %x, CA SKI %x; want equal 20-byte ids", p.Server.Cert.AuthorityKeyId, p.CA.Cert.SubjectKeyId)
			}
			if p.CRL != nil {
				t.Errorf("CRL = %v; want nil without a CRL option", p.CRL)
			}
		})
	}
}

func TestValidityWindow(t *testing.T) {
	ca := MustCert(t, CASpec("ca"), nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	now := time.Now()
	tests := []struct {
		name          string
		before, after time.Time
		wantErr       bool
	}{
		{"valid", time.Time{}, time.Time{}, false},
		{"expired", now.Add(-2 * time.Hour), now.Add(-time.Hour), true},
		{"not yet valid", now.Add(time.Hour), now.Add(2 * time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ServerSpec("localhost")
			s.NotBefore, s.NotAfter = tt.before, tt.after
			c := MustCert(t, s, ca)
			if !tt.before.IsZero() && !c.Cert.NotBefore.Equal(tt.before.Truncate(time.Second)) {
				t.Errorf("NotBefore = %v; want %v", c.Cert.NotBefore, tt.before)
			}
			_, err := c.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now})
			var inv x509.CertificateInvalidError
			if tt.wantErr {
				if !errors.As(err, &inv) || inv.Reason != x509.Expired {
					t.Errorf("Verify = %v; want CertificateInvalidError Expired", err)
				}
			} else if err != nil {
				t.Errorf("Verify = %v; want nil", err)
			}
		})
	}
}

func TestSubject(t *testing.T) {
	// Go orders attributes itself...
	c := MustCert(t, Spec{Subject: pkix.Name{CommonName: "libvirt", Country: []string{"UK"}, Organization: []string{"Red Hat"}}}, nil)
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(c.Cert.RawSubject, &seq); err != nil {
		t.Fatal(err)
	}
	if got := rdnTypes(seq); got != "2.5.4.6 2.5.4.10 2.5.4.3" {
		t.Errorf("Subject attribute order = %s; want C O CN", got)
	}
	// ...and SubjectSequence keeps the caller's order.
	cn := asn1.ObjectIdentifier{2, 5, 4, 3}
	country := asn1.ObjectIdentifier{2, 5, 4, 6}
	s := Spec{SubjectSequence: pkix.RDNSequence{
		{{Type: cn, Value: "libvirt"}},
		{{Type: country, Value: "UK"}},
	}}
	c = MustCert(t, s, nil)
	seq = nil
	if _, err := asn1.Unmarshal(c.Cert.RawSubject, &seq); err != nil {
		t.Fatal(err)
	}
	if got := rdnTypes(seq); got != "2.5.4.3 2.5.4.6" {
		t.Errorf("SubjectSequence order = %s; want CN C", got)
	}
	if c.Cert.Subject.CommonName != "libvirt" || !slices.Equal(c.Cert.Subject.Country, []string{"UK"}) {
		t.Errorf("Subject = %v; want CN=libvirt C=UK", c.Cert.Subject)
	}
	// Self-signed: issuer equals subject.
	if !bytes.Equal(c.Cert.RawIssuer, c.Cert.RawSubject) {
		t.Errorf("self-signed issuer %x != subject %x", c.Cert.RawIssuer, c.Cert.RawSubject)
	}
}

func rdnTypes(seq pkix.RDNSequence) string {
	var out []string
	for _, rdn := range seq {
		for _, a := range rdn {
			out = append(out, a.Type.String())
		}
	}
	return strings.Join(out, " ")
}

func TestSANs(t *testing.T) {
	p := New(t, WithServerNames("www.libvirt.org", "libvirt.org", "192.168.122.1", "fec0::dead:beaf"))
	x := p.Server.Cert
	if !slices.Equal(x.DNSNames, []string{"www.libvirt.org", "libvirt.org"}) {
		t.Errorf("DNSNames = %v", x.DNSNames)
	}
	if len(x.IPAddresses) != 2 || !x.IPAddresses[0].Equal(net.ParseIP("192.168.122.1")) || !x.IPAddresses[1].Equal(net.ParseIP("fec0::dead:beaf")) {
		t.Errorf("IPAddresses = %v", x.IPAddresses)
	}
	// No names: no SAN extension, the CN alone names the server.
	p = New(t, WithServerNames())
	if _, ok := p.Server.Extension(OIDSubjectAltName); ok {
		t.Errorf("server certificate has a SAN; want none")
	}
	if p.Server.Cert.Subject.CommonName != DefaultServerCommonName {
		t.Errorf("CN = %q; want %q", p.Server.Cert.Subject.CommonName, DefaultServerCommonName)
	}
}

func TestChain(t *testing.T) {
	root := MustCert(t, CASpec("root"), nil)
	i1 := MustCert(t, CASpec("1a"), root)
	i2 := MustCert(t, CASpec("2a"), i1)
	leaf := MustCert(t, ServerSpec("localhost"), i2)

	if got := leaf.Chain(); len(got) != 3 || got[0] != leaf || got[1] != i2 || got[2] != i1 {
		t.Errorf("Chain() = %v; want leaf, 2a, 1a", got)
	}
	if leaf.Root() != root || root.Root() != root {
		t.Errorf("Root() is not the self-signed root")
	}
	if got := root.Chain(); len(got) != 1 || got[0] != root {
		t.Errorf("root.Chain() = %v; want [root]", got)
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	inter.AddCert(i1.Cert)
	inter.AddCert(i2.Cert)
	chains, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "localhost"})
	if err != nil {
		t.Fatalf("Verify chain: %v", err)
	}
	if n := len(chains[0]); n != 4 {
		t.Errorf("verified chain length = %d; want 4", n)
	}
	// Without the intermediates it does not verify.
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: roots}); err == nil {
		t.Errorf("Verify without intermediates succeeded; want error")
	}
}

func TestIssuerWithoutCAExtensions(t *testing.T) {
	// libvirt's matrix needs CAs a real CA would not be: no BC, no certSign.
	noBC := MustCert(t, Spec{Subject: pkix.Name{CommonName: "no-bc"}, KeyUsage: &KeyUsage{Critical: true, Usage: x509.KeyUsageCertSign}}, nil)
	leaf := MustCert(t, ServerSpec("localhost"), noBC)
	if err := leaf.Cert.CheckSignatureFrom(noBC.Cert); err == nil {
		t.Errorf("CheckSignatureFrom(CA without BC) = nil; crypto/x509 should refuse a non-CA parent")
	}
	// The signature itself is sound.
	if err := noBC.Cert.CheckSignature(leaf.Cert.SignatureAlgorithm, leaf.Cert.RawTBSCertificate, leaf.Cert.Signature); err != nil {
		t.Errorf("signature by a CA without BC does not verify: %v", err)
	}
	if !bytes.Equal(leaf.Cert.RawIssuer, noBC.Cert.RawSubject) {
		t.Errorf("issuer name is not the signer's subject")
	}
}

func TestErrors(t *testing.T) {
	if _, err := GenerateKey(KeyType(7)); !errors.Is(err, ErrUnknownKeyType) {
		t.Errorf("GenerateKey(7) error = %v; want ErrUnknownKeyType", err)
	}
	ca := MustCert(t, CASpec("ca"), nil)
	pub, err := ParseCert(ca.PEM())
	if err != nil {
		t.Fatalf("ParseCert: %v", err)
	}
	if _, err := NewCert(ServerSpec("x"), pub); !errors.Is(err, ErrNoKey) {
		t.Errorf("NewCert with keyless issuer error = %v; want ErrNoKey", err)
	}
	if _, err := pub.KeyPEM(); !errors.Is(err, ErrNoKey) {
		t.Errorf("KeyPEM of keyless cert error = %v; want ErrNoKey", err)
	}
	if _, err := ParseCert([]byte("junk")); err == nil {
		t.Errorf("ParseCert(junk) = nil error")
	}
	if _, err := NewCert(Spec{Serial: big.NewInt(-1)}, nil); err == nil {
		t.Errorf("NewCert with negative serial = nil error")
	}
}
