package tlsmatrix

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
)

// Req describes one certificate the way libvirt's testTLSCertReq does.
type Req struct {
	// Name is the libvirt test variable, e.g. "servercert4req".
	Name string
	// Issuer is the Name of the Req that signs this one; "" self-signs
	// (libvirt's TLS_ROOT_REQ).
	Issuer string
	// Country and CN make the subject, in that order (C=UK,CN=libvirt).
	Country, CN string
	// DNS and IPs are the subjectAltNames; none means no SAN extension.
	DNS, IPs []string
	// BC, KU and EKU are the extensions; nil means absent.
	BC  *pki.BasicConstraints
	KU  *pki.KeyUsage
	EKU *pki.ExtKeyUsage
	// Start and Expire are hours from now; Expire 0 means 24, as in
	// libvirt's generator.
	Start, Expire int
}

// Shorthands for the extension switches of a Req, in libvirt's argument
// order (enable is implied by calling them; critical first).
func bc(critical, isCA bool) *pki.BasicConstraints {
	return &pki.BasicConstraints{Critical: critical, IsCA: isCA, MaxPathLen: -1}
}

func ku(critical bool, u x509.KeyUsage) *pki.KeyUsage {
	return &pki.KeyUsage{Critical: critical, Usage: u}
}

func eku(critical bool, p ...x509.ExtKeyUsage) *pki.ExtKeyUsage {
	return &pki.ExtKeyUsage{Critical: critical, Usages: p}
}

// Key usages and purposes under libvirt's (gnutls's) names.
const (
	kuDigSig   = x509.KeyUsageDigitalSignature
	kuEncipher = x509.KeyUsageKeyEncipherment
	kuCertSign = x509.KeyUsageCertSign
	kpServer   = x509.ExtKeyUsageServerAuth // GNUTLS_KP_TLS_WWW_SERVER
	kpClient   = x509.ExtKeyUsageClientAuth // GNUTLS_KP_TLS_WWW_CLIENT
)

// Spec returns the pki.Spec of r, with validity counted from now.
func (r Req) Spec(now time.Time) pki.Spec {
	s := pki.Spec{
		BasicConstraints: r.BC,
		KeyUsage:         r.KU,
		ExtKeyUsage:      r.EKU,
		DNSNames:         r.DNS,
		NotBefore:        now.Add(time.Duration(r.Start) * time.Hour),
	}
	if r.Country != "" {
		s.Subject.Country = []string{r.Country}
	}
	s.Subject.CommonName = r.CN
	exp := r.Expire
	if exp == 0 {
		exp = 24
	}
	s.NotAfter = now.Add(time.Duration(exp) * time.Hour)
	for _, ip := range r.IPs {
		s.IPAddresses = append(s.IPAddresses, net.ParseIP(ip))
	}
	return s
}

// SwapRole returns r with the TLS server and client purposes of its
// extKeyUsage exchanged and ~mirror appended to its name: the same
// certificate for the other side of the connection.
func (r Req) SwapRole() Req {
	r.Name += "~mirror"
	if r.EKU != nil {
		e := *r.EKU
		e.Usages = append([]x509.ExtKeyUsage(nil), e.Usages...)
		for i, u := range e.Usages {
			switch u {
			case kpServer:
				e.Usages[i] = kpClient
			case kpClient:
				e.Usages[i] = kpServer
			}
		}
		r.EKU = &e
	}
	return r
}

// Set is a generated set of certificates, by Req name.
type Set map[string]*pki.Cert

// ErrUnknownReq is returned for a name no Req of the set has.
var ErrUnknownReq = errors.New("tlsmatrix: unknown certificate request")

// Generate makes every certificate of reqs, issuers first (an issuer must
// come before the certificates it signs, as in libvirt's tests).
func Generate(reqs []Req) (Set, error) {
	now := time.Now().Truncate(time.Second)
	s := make(Set, len(reqs))
	for _, r := range reqs {
		var issuer *pki.Cert
		if r.Issuer != "" {
			if issuer = s[r.Issuer]; issuer == nil {
				return nil, fmt.Errorf("%w: %s (issuer of %s)", ErrUnknownReq, r.Issuer, r.Name)
			}
		}
		c, err := pki.NewCert(r.Spec(now), issuer)
		if err != nil {
			return nil, fmt.Errorf("tlsmatrix: %s: %w", r.Name, err)
		}
		s[r.Name] = c
	}
	return s, nil
}

// Certs returns the certificates of the given names, in order.
func (s Set) Certs(names ...string) ([]*pki.Cert, error) {
	out := make([]*pki.Cert, 0, len(names))
	for _, n := range names {
		c := s[n]
		if c == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownReq, n)
		}
		out = append(out, c)
	}
	return out, nil
}

// Layout returns the files of one side: the CA file holds the certificates
// named by ca, in order; cert names the leaf ("" for none).
func (s Set) Layout(ca []string, cert string) (pki.Layout, error) {
	cas, err := s.Certs(ca...)
	if err != nil {
		return pki.Layout{}, err
	}
	l := pki.Layout{CA: cas}
	if cert != "" {
		if l.Cert = s[cert]; l.Cert == nil {
			return pki.Layout{}, fmt.Errorf("%w: %s", ErrUnknownReq, cert)
		}
	}
	return l, nil
}
