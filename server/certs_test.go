package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/certrules"
)

// certSpec describes a test certificate. Extensions are written by hand so
// that their criticality can be chosen (Go's CreateCertificate marks KU
// critical and EKU non-critical on its own; RELIABILITY (b) TLS matrix).
type certSpec struct {
	subject    pkix.Name
	isCA       bool
	bc         bool // include basicConstraints
	bcCritical bool
	ku         x509.KeyUsage
	kuSet      bool
	kuCritical bool
	eku        []asn1.ObjectIdentifier
	ekuCrit    bool
	notBefore  time.Time
	notAfter   time.Time
	dns        []string
	ips        []net.IP
}

var (
	oidServerAuth = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidClientAuth = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
)

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
	kpem []byte
}

var serial atomic.Int64

func (c *testCert) tlsCert(chain ...*testCert) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{c.cert.Raw}, PrivateKey: c.key, Leaf: c.cert}
	for _, ch := range chain {
		tc.Certificate = append(tc.Certificate, ch.cert.Raw)
	}
	return tc
}

func keyUsageBits(ku x509.KeyUsage) asn1.BitString {
	var bs asn1.BitString
	for i := 0; i < 9; i++ {
		if ku&(1<<i) != 0 {
			for len(bs.Bytes) <= i/8 {
				bs.Bytes = append(bs.Bytes, 0)
			}
			bs.Bytes[i/8] |= 0x80 >> (i % 8)
			bs.BitLength = i + 1
		}
	}
	return bs
}

func makeCert(t testing.TB, spec certSpec, issuer *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      spec.subject,
		NotBefore:    spec.notBefore,
		NotAfter:     spec.notAfter,
		DNSNames:     spec.dns,
		IPAddresses:  spec.ips,
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-time.Hour)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(24 * time.Hour)
	}
	if spec.isCA {
		tmpl.SubjectKeyId = big.NewInt(serial.Load()).Bytes()
	}
	if spec.bc {
		v, _ := asn1.Marshal(struct {
			IsCA bool `asn1:"optional"`
		}{spec.isCA})
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: certrules.OIDBasicConstraints, Critical: spec.bcCritical, Value: v})
	}
	if spec.kuSet {
		v, _ := asn1.Marshal(keyUsageBits(spec.ku))
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: certrules.OIDKeyUsage, Critical: spec.kuCritical, Value: v})
	}
	if spec.eku != nil {
		v, _ := asn1.Marshal(spec.eku)
		tmpl.ExtraExtensions = append(tmpl.ExtraExtensions, pkix.Extension{Id: certrules.OIDExtKeyUsage, Critical: spec.ekuCrit, Value: v})
	}
	parent, signer := tmpl, any(key)
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	return &testCert{
		cert: cert, key: key,
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		kpem: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
	}
}

// The certificate shapes libvirt's tests call "perfect".
func caSpec(cn string) certSpec {
	return certSpec{subject: pkix.Name{Country: []string{"UK"}, CommonName: cn}, isCA: true, bc: true, bcCritical: true,
		ku: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, kuSet: true, kuCritical: true}
}

func serverSpec() certSpec {
	return certSpec{subject: pkix.Name{Country: []string{"UK"}, CommonName: "localhost"}, bc: true, bcCritical: true,
		ku: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, kuSet: true, kuCritical: true,
		eku: []asn1.ObjectIdentifier{oidServerAuth}, ekuCrit: true,
		dns: []string{"localhost"}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}}
}

func clientSpec() certSpec {
	return certSpec{subject: pkix.Name{Country: []string{"UK"}, CommonName: "libvirt"}, bc: true, bcCritical: true,
		ku: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, kuSet: true, kuCritical: true,
		eku: []asn1.ObjectIdentifier{oidClientAuth}, ekuCrit: true}
}

// pki is a CA with a server certificate, written in libvirt's layout.
type pki struct {
	dir    string
	ca     *testCert
	server *testCert
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	p := &pki{dir: t.TempDir()}
	p.ca = makeCert(t, caSpec("Libvirt Test CA"), nil)
	p.server = makeCert(t, serverSpec(), p.ca)
	p.write(t, CACertFile, p.ca.pem)
	p.write(t, ServerCertFile, p.server.pem)
	p.write(t, ServerKeyFile, p.server.kpem)
	return p
}

func (p *pki) write(t testing.TB, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(p.dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// crl writes a CRL signed by issuer revoking the given certificates.
func crlPEM(t testing.TB, issuer *testCert, revoked ...*testCert) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(24 * time.Hour)}
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: time.Now().Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, issuer.cert, issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}
