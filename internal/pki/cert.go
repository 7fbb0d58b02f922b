package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"time"
)

// Default validity used when a [Spec] leaves NotBefore or NotAfter zero.
const (
	DefaultBackdate = time.Hour          // NotBefore = now - DefaultBackdate
	DefaultLifetime = 7 * 24 * time.Hour // NotAfter = now + DefaultLifetime
)

// Spec describes one certificate. The zero value is a certificate with an
// empty subject and none of the optional extensions: every extension that
// libvirt checks is opt-in, so a Spec says exactly what the certificate has.
// [CASpec], [ServerSpec] and [ClientSpec] return the usual settings.
type Spec struct {
	// Subject is the subject DN. crypto/x509 writes its attributes in a fixed
	// order (C, ST, L, street, postcode, O, OU, CN, serial, then ExtraNames).
	Subject pkix.Name
	// SubjectSequence, if non-nil, replaces Subject and is written exactly as
	// given, so tests can choose the attribute order.
	SubjectSequence pkix.RDNSequence

	// Serial is the serial number; nil picks a random positive 127-bit value.
	Serial *big.Int
	// NotBefore and NotAfter bound the validity; zero values mean
	// now-DefaultBackdate and now+DefaultLifetime.
	NotBefore, NotAfter time.Time

	// KeyType is the algorithm of the generated key. Ignored if Key is set.
	KeyType KeyType
	// Key, if set, is used instead of generating a new key.
	Key crypto.Signer

	// BasicConstraints, KeyUsage and ExtKeyUsage are the extensions libvirt
	// checks; nil means absent. Their criticality is whatever they say.
	BasicConstraints *BasicConstraints
	KeyUsage         *KeyUsage
	ExtKeyUsage      *ExtKeyUsage

	// DNSNames, IPAddresses, EmailAddresses and URIs make up the
	// subjectAltName extension; when all are empty the certificate has no SAN
	// and only its CN names it. crypto/x509 marks SAN critical only when the
	// subject is empty (RFC 5280 §4.2.1.6).
	DNSNames       []string
	IPAddresses    []net.IP
	EmailAddresses []string
	URIs           []*url.URL

	// NoSubjectKeyID omits the subjectKeyIdentifier extension that is
	// otherwise added (SHA-1 of the public key, RFC 5280 §4.2.1.2 method 1).
	NoSubjectKeyID bool

	// ExtraExtensions are appended as given. An extension here with the OID of
	// one built from the fields above replaces it.
	ExtraExtensions []pkix.Extension
}

// Cert is a generated certificate with its private key and its issuer.
type Cert struct {
	// Cert is the parsed certificate.
	Cert *x509.Certificate
	// DER is the certificate as signed (Cert.Raw).
	DER []byte
	// Key is the private key; nil only for certificates made by [ParseCert].
	Key crypto.Signer
	// Issuer is the certificate that signed this one; nil when self-signed.
	Issuer *Cert
}

// CASpec returns the Spec of a root or intermediate CA as libvirt's
// documentation and setup/ca.cnf make it: basicConstraints critical CA:TRUE,
// keyUsage critical keyCertSign|cRLSign, no extKeyUsage, no SAN.
func CASpec(cn string) Spec {
	return Spec{
		Subject:          pkix.Name{Organization: []string{"virtwire"}, CommonName: cn},
		BasicConstraints: &BasicConstraints{Critical: true, IsCA: true, MaxPathLen: -1},
		KeyUsage:         &KeyUsage{Critical: true, Usage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign},
	}
}

// ServerSpec returns the Spec of a libvirtd server certificate:
// basicConstraints critical CA:FALSE, keyUsage critical
// digitalSignature|keyEncipherment, extKeyUsage serverAuth (non-critical),
// and a SAN of DNS:localhost and IP:127.0.0.1.
func ServerSpec(cn string) Spec {
	return Spec{
		Subject:          pkix.Name{Organization: []string{"virtwire"}, CommonName: cn},
		BasicConstraints: &BasicConstraints{Critical: true, MaxPathLen: -1},
		KeyUsage:         &KeyUsage{Critical: true, Usage: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment},
		ExtKeyUsage:      &ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
		DNSNames:         []string{"localhost"},
		IPAddresses:      []net.IP{net.IPv4(127, 0, 0, 1)},
	}
}

// ClientSpec returns the Spec of a libvirt client certificate: like
// [ServerSpec] but with extKeyUsage clientAuth.
func ClientSpec(cn string) Spec {
	s := ServerSpec(cn)
	s.ExtKeyUsage = &ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	return s
}

// NewCert creates the certificate s describes, signed by issuer's key, or
// self-signed when issuer is nil. The issuer is not checked: a certificate
// without basicConstraints or keyCertSign can still sign, as the TLS matrix
// needs. The issuer's name and subjectKeyIdentifier become the new
// certificate's issuer and authorityKeyIdentifier.
func NewCert(s Spec, issuer *Cert) (*Cert, error) {
	key := s.Key
	if key == nil {
		var err error
		if key, err = GenerateKey(s.KeyType); err != nil {
			return nil, err
		}
	}
	tmpl, err := s.template(key)
	if err != nil {
		return nil, err
	}
	parent, signer := tmpl, key
	if issuer != nil {
		if issuer.Key == nil {
			return nil, fmt.Errorf("pki: sign with %q: %w", issuer.Cert.Subject, ErrNoKey)
		}
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("pki: create certificate %q: %w", tmpl.Subject, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse generated certificate: %w", err)
	}
	return &Cert{Cert: c, DER: der, Key: key, Issuer: issuer}, nil
}

func (s Spec) template(key crypto.Signer) (*x509.Certificate, error) {
	serial := s.Serial
	if serial == nil {
		limit := new(big.Int).Lsh(big.NewInt(1), 127)
		r, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial: %w", err)
		}
		serial = r.Add(r, big.NewInt(1))
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		Subject:        s.Subject,
		NotBefore:      s.NotBefore,
		NotAfter:       s.NotAfter,
		DNSNames:       s.DNSNames,
		IPAddresses:    s.IPAddresses,
		EmailAddresses: s.EmailAddresses,
		URIs:           s.URIs,
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore = now.Add(-DefaultBackdate)
	}
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = now.Add(DefaultLifetime)
	}
	if s.SubjectSequence != nil {
		raw, err := asn1.Marshal(s.SubjectSequence)
		if err != nil {
			return nil, fmt.Errorf("pki: encode subject: %w", err)
		}
		tmpl.RawSubject = raw
	}
	if !s.NoSubjectKeyID {
		id, err := SubjectKeyID(key.Public())
		if err != nil {
			return nil, err
		}
		tmpl.SubjectKeyId = id
	}
	var exts []pkix.Extension
	if s.BasicConstraints != nil {
		e, err := s.BasicConstraints.Extension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	if s.KeyUsage != nil {
		e, err := s.KeyUsage.Extension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	if s.ExtKeyUsage != nil {
		e, err := s.ExtKeyUsage.Extension()
		if err != nil {
			return nil, err
		}
		exts = append(exts, e)
	}
	for _, e := range s.ExtraExtensions {
		replaced := false
		for i := range exts {
			if exts[i].Id.Equal(e.Id) {
				exts[i], replaced = e, true
			}
		}
		if !replaced {
			exts = append(exts, e)
		}
	}
	tmpl.ExtraExtensions = exts
	return tmpl, nil
}

// SubjectKeyID returns the SHA-1 hash of the subjectPublicKey bit string of
// pub (RFC 5280 §4.2.1.2, method 1).
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// ParseCert parses one PEM "CERTIFICATE" block into a Cert without a key
// or issuer.
func ParseCert(pemBytes []byte) (*Cert, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("pki: no CERTIFICATE PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("pki: parse certificate: %w", err)
	}
	return &Cert{Cert: c, DER: b.Bytes}, nil
}

// PEM returns the certificate as a PEM "CERTIFICATE" block.
func (c *Cert) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})
}

// KeyPEM returns the private key as PKCS #8 PEM; see [KeyPEM].
func (c *Cert) KeyPEM() ([]byte, error) {
	if c.Key == nil {
		return nil, fmt.Errorf("pki: key of %q: %w", c.Cert.Subject, ErrNoKey)
	}
	return KeyPEM(c.Key)
}

// Chain returns c followed by its issuers up to, and excluding, the first
// self-signed one (the root). For a leaf signed by root→1a→2a it returns
// leaf, 2a, 1a.
func (c *Cert) Chain() []*Cert {
	var out []*Cert
	for x := c; x != nil && x.Issuer != nil; x = x.Issuer {
		out = append(out, x)
	}
	if len(out) == 0 {
		out = append(out, c)
	}
	return out
}

// Root returns the self-signed certificate at the top of c's issuer chain
// (c itself when it is self-signed).
func (c *Cert) Root() *Cert {
	x := c
	for x.Issuer != nil {
		x = x.Issuer
	}
	return x
}

// Extension returns the extension of c with the given OID, or false.
func (c *Cert) Extension(oid asn1.ObjectIdentifier) (pkix.Extension, bool) {
	for _, e := range c.Cert.Extensions {
		if e.Id.Equal(oid) {
			return e, true
		}
	}
	return pkix.Extension{}, false
}

// PEMBundle concatenates the PEM blocks of certs, in order.
func PEMBundle(certs ...*Cert) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, c.PEM()...)
	}
	return out
}
