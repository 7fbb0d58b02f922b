package pki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// CRLSpec describes a certificate revocation list.
type CRLSpec struct {
	// Revoked lists the serial numbers to revoke.
	Revoked []*big.Int
	// ThisUpdate and NextUpdate bound the CRL's validity; zero values mean
	// now-DefaultBackdate and now+DefaultLifetime.
	ThisUpdate, NextUpdate time.Time
	// Number is the cRLNumber; nil means 1.
	Number *big.Int
}

// CRL is a signed certificate revocation list.
type CRL struct {
	// List is the parsed CRL.
	List *x509.RevocationList
	// DER is the CRL as signed.
	DER []byte
	// Issuer signed the CRL.
	Issuer *Cert
}

// NewCRL signs a CRL for spec with issuer's key. crypto/x509 refuses issuers
// without the cRLSign key usage or a subjectKeyIdentifier; NewCRL lifts both
// checks (the issuer's name and key are still used as they are), so a CRL
// can come from any certificate, as a TLS test matrix needs.
func NewCRL(issuer *Cert, spec CRLSpec) (*CRL, error) {
	if issuer == nil || issuer.Key == nil {
		return nil, fmt.Errorf("pki: sign CRL: %w", ErrNoKey)
	}
	now := time.Now()
	tmpl := &x509.RevocationList{
		ThisUpdate: spec.ThisUpdate,
		NextUpdate: spec.NextUpdate,
		Number:     spec.Number,
	}
	if tmpl.ThisUpdate.IsZero() {
		tmpl.ThisUpdate = now.Add(-DefaultBackdate)
	}
	if tmpl.NextUpdate.IsZero() {
		tmpl.NextUpdate = now.Add(DefaultLifetime)
	}
	if tmpl.Number == nil {
		tmpl.Number = big.NewInt(1)
	}
	for _, s := range spec.Revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: tmpl.ThisUpdate})
	}
	signer := *issuer.Cert // shallow copy: only the checked fields change
	signer.KeyUsage |= x509.KeyUsageCRLSign
	if len(signer.SubjectKeyId) == 0 {
		id, err := SubjectKeyID(issuer.Key.Public())
		if err != nil {
			return nil, err
		}
		signer.SubjectKeyId = id
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &signer, issuer.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CRL: %w", err)
	}
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse generated CRL: %w", err)
	}
	return &CRL{List: l, DER: der, Issuer: issuer}, nil
}

// PEM returns the CRL as a PEM "X509 CRL" block, the form cacrl.pem holds.
func (c *CRL) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: c.DER})
}

// Serials returns the revoked serial numbers, in CRL order.
func (c *CRL) Serials() []*big.Int {
	out := make([]*big.Int, 0, len(c.List.RevokedCertificateEntries))
	for _, e := range c.List.RevokedCertificateEntries {
		out = append(out, e.SerialNumber)
	}
	return out
}
