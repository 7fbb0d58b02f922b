package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

func TestCRL(t *testing.T) {
	p := New(t, RevokeClient())
	if p.CRL == nil {
		t.Fatal("RevokeClient: no CRL")
	}
	got := p.CRL.Serials()
	if len(got) != 1 || got[0].Cmp(p.Client.Cert.SerialNumber) != 0 {
		t.Errorf("CRL serials = %v; want [%v]", got, p.Client.Cert.SerialNumber)
	}
	if err := p.CRL.List.CheckSignatureFrom(p.CA.Cert); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if p.CRL.List.Number.Cmp(big.NewInt(1)) != 0 {
		t.Errorf("CRL number = %v; want 1", p.CRL.List.Number)
	}
	b, _ := pem.Decode(p.CRL.PEM())
	if b == nil || b.Type != "X509 CRL" {
		t.Fatalf("PEM() block = %v; want X509 CRL", b)
	}
	if _, err := x509.ParseRevocationList(b.Bytes); err != nil {
		t.Errorf("parse PEM CRL: %v", err)
	}

	p = New(t, RevokeClient(), RevokeServer())
	if got := p.CRL.Serials(); len(got) != 2 || got[0].Cmp(p.Server.Cert.SerialNumber) != 0 || got[1].Cmp(p.Client.Cert.SerialNumber) != 0 {
		t.Errorf("CRL serials = %v; want server, client", got)
	}
	p = New(t, WithCRL())
	if n := len(p.CRL.Serials()); n != 0 {
		t.Errorf("WithCRL: %d revoked; want 0", n)
	}
}

func TestCRLSpec(t *testing.T) {
	// An issuer without cRLSign and without SKI still signs (crypto/x509
	// alone refuses both).
	odd := MustCert(t, Spec{
		Subject:          pkix.Name{CommonName: "odd"},
		BasicConstraints: &BasicConstraints{IsCA: true, MaxPathLen: -1},
		KeyUsage:         &KeyUsage{Usage: x509.KeyUsageCertSign},
		NoSubjectKeyID:   true,
	}, nil)
	if len(odd.Cert.SubjectKeyId) != 0 {
		t.Fatalf("NoSubjectKeyID: SKI %x present", odd.Cert.SubjectKeyId)
	}
	this := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	next := this.Add(24 * time.Hour)
	crl, err := NewCRL(odd, CRLSpec{Revoked: []*big.Int{big.NewInt(7), big.NewInt(9)}, ThisUpdate: this, NextUpdate: next, Number: big.NewInt(42)})
	if err != nil {
		t.Fatalf("NewCRL: %v", err)
	}
	l := crl.List
	if !l.ThisUpdate.Equal(this) || !l.NextUpdate.Equal(next) || l.Number.Int64() != 42 {
		t.Errorf("CRL times/number = %v %v %v; want %v %v 42", l.ThisUpdate, l.NextUpdate, l.Number, this, next)
	}
	if s := crl.Serials(); len(s) != 2 || s[0].Int64() != 7 || s[1].Int64() != 9 {
		t.Errorf("serials = %v; want [7 9]", s)
	}
	if err := odd.Cert.CheckSignature(l.SignatureAlgorithm, l.RawTBSRevocationList, l.Signature); err != nil {
		t.Errorf("CRL signature by odd issuer: %v", err)
	}
	// A CRL from another CA does not verify against ours.
	other := MustCert(t, CASpec("other"), nil)
	if err := crl.List.CheckSignatureFrom(other.Cert); err == nil {
		t.Errorf("CRL verified against an unrelated CA")
	}
	if _, err := NewCRL(&Cert{Cert: odd.Cert}, CRLSpec{}); err == nil {
		t.Errorf("NewCRL with keyless issuer: nil error")
	}
}
