package certrules

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"time"
)

// Verify verifies leaf against roots with crypto/x509, using intermediates
// as the untrusted rest of the chain, at now. Any extended key usage is
// accepted here: the role is checked by [Check], by libvirt's rule. Every
// certificate of a returned chain is within its validity.
func Verify(leaf *x509.Certificate, intermediates []*x509.Certificate, roots *x509.CertPool, now time.Time) ([][]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, c := range intermediates {
		inter.AddCert(c)
	}
	return leaf.Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
}

// ParseDER parses the certificates of a tls.Certificate chain, skipping
// any that does not parse.
func ParseDER(ders [][]byte) []*x509.Certificate {
	var certs []*x509.Certificate
	for _, der := range ders {
		if c, err := x509.ParseCertificate(der); err == nil {
			certs = append(certs, c)
		}
	}
	return certs
}

// maxChain bounds CompleteChain.
const maxChain = 16

// CompleteChain extends a chain that crypto/x509 verified, whose last
// certificate is one of the trusted CAs, with that CA's issuers found among
// cas, up to a self-signed root or 16 certificates. crypto/x509 stops at
// the first trusted certificate: with libvirt's layout, where cacert.pem
// lists the root and the intermediates, a chain leaf→1b ends at 1b and the
// root's CRL that revokes 1b would never be consulted. chain itself is not
// modified.
func CompleteChain(chain []*x509.Certificate, cas []*x509.Certificate) []*x509.Certificate {
	for len(chain) > 0 && len(chain) < maxChain {
		last := chain[len(chain)-1]
		if bytes.Equal(last.RawIssuer, last.RawSubject) && last.CheckSignatureFrom(last) == nil {
			break // a self-signed root
		}
		var up *x509.Certificate
		for _, ca := range cas {
			if !ca.Equal(last) && bytes.Equal(ca.RawSubject, last.RawIssuer) && last.CheckSignatureFrom(ca) == nil {
				up = ca
				break
			}
		}
		if up == nil {
			break
		}
		chain = append(chain[:len(chain):len(chain)], up)
	}
	return chain
}

// Revoked returns the first certificate of a verified chain that
// revokedBy reports revoked by the certificate above it, or nil. The chain
// is first completed up to its root from cas ([CompleteChain]), so an
// intermediate listed in cacert.pem is checked against its own issuer's
// CRL. revokedBy says which CRLs the caller trusts for that issuer.
func Revoked(chain, cas []*x509.Certificate, revokedBy func(cert, issuer *x509.Certificate) bool) *x509.Certificate {
	chain = CompleteChain(chain, cas)
	for i := 0; i+1 < len(chain); i++ {
		if revokedBy(chain[i], chain[i+1]) {
			return chain[i]
		}
	}
	return nil
}

// ParseCerts returns every CERTIFICATE block of PEM data, in order, and
// the first parse error. Blocks of other types are skipped; no block at
// all is no certificate and no error.
func ParseCerts(data []byte) ([]*x509.Certificate, error) {
	return parsePEM(data, "CERTIFICATE", x509.ParseCertificate)
}

// ParseCRLs returns every X509 CRL block of PEM data, in order, and the
// first parse error. Blocks of other types are skipped; no block at all is
// no CRL and no error.
func ParseCRLs(data []byte) ([]*x509.RevocationList, error) {
	return parsePEM(data, "X509 CRL", x509.ParseRevocationList)
}

func parsePEM[T any](data []byte, typ string, parse func([]byte) (T, error)) ([]T, error) {
	var out []T
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out, nil
		}
		if block.Type != typ {
			continue
		}
		v, err := parse(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
}
