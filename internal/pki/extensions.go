package pki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/bits"
)

// Object identifiers of the extensions this package builds by hand
// (RFC 5280 §4.2.1).
var (
	OIDBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	OIDKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	OIDExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	OIDSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	OIDSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	OIDAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// BasicConstraints is the basicConstraints extension (RFC 5280 §4.2.1.9).
// A nil *BasicConstraints in a [Spec] means the extension is absent.
type BasicConstraints struct {
	// Critical marks the extension critical.
	Critical bool
	// IsCA is the cA boolean. false is encoded by omission (DER DEFAULT).
	IsCA bool
	// MaxPathLen is pathLenConstraint; a negative value omits it.
	MaxPathLen int
}

// Extension encodes b as a pkix.Extension.
func (b BasicConstraints) Extension() (pkix.Extension, error) {
	v := struct {
		IsCA       bool `asn1:"optional"`
		MaxPathLen int  `asn1:"optional,default:-1"`
	}{IsCA: b.IsCA, MaxPathLen: b.MaxPathLen}
	if v.MaxPathLen < 0 {
		v.MaxPathLen = -1
	}
	der, err := asn1.Marshal(v)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: encode basicConstraints: %w", err)
	}
	return pkix.Extension{Id: OIDBasicConstraints, Critical: b.Critical, Value: der}, nil
}

// KeyUsage is the keyUsage extension (RFC 5280 §4.2.1.3).
// A nil *KeyUsage in a [Spec] means the extension is absent; a non-nil one
// with Usage 0 is present with no bit set (libvirt's "KU=0" rows).
type KeyUsage struct {
	// Critical marks the extension critical.
	Critical bool
	// Usage holds the bits, as crypto/x509 numbers them
	// (x509.KeyUsageDigitalSignature is bit 0 ... KeyUsageDecipherOnly bit 8).
	Usage x509.KeyUsage
}

// Extension encodes k as a pkix.Extension: a DER BIT STRING with trailing
// zero bits removed.
func (k KeyUsage) Extension() (pkix.Extension, error) {
	u := uint32(k.Usage) & 0x1ff
	var bs asn1.BitString
	if u != 0 {
		n := bits.Len32(u) // bit i of Usage is ASN.1 bit i
		bs.BitLength = n
		bs.Bytes = make([]byte, (n+7)/8)
		for i := range n {
			if u&(1<<i) != 0 {
				bs.Bytes[i/8] |= 0x80 >> (i % 8)
			}
		}
	}
	der, err := asn1.Marshal(bs)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: encode keyUsage: %w", err)
	}
	return pkix.Extension{Id: OIDKeyUsage, Critical: k.Critical, Value: der}, nil
}

// ExtKeyUsage is the extKeyUsage extension (RFC 5280 §4.2.1.12).
// A nil *ExtKeyUsage in a [Spec] means the extension is absent; a non-nil
// one with no usages is present and empty.
type ExtKeyUsage struct {
	// Critical marks the extension critical.
	Critical bool
	// Usages are the key purposes, as crypto/x509 names them.
	Usages []x509.ExtKeyUsage
	// OIDs are further key purposes, written after Usages.
	OIDs []asn1.ObjectIdentifier
}

var extKeyUsageOIDs = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageAny:             {2, 5, 29, 37, 0},
	x509.ExtKeyUsageServerAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 1},
	x509.ExtKeyUsageClientAuth:      {1, 3, 6, 1, 5, 5, 7, 3, 2},
	x509.ExtKeyUsageCodeSigning:     {1, 3, 6, 1, 5, 5, 7, 3, 3},
	x509.ExtKeyUsageEmailProtection: {1, 3, 6, 1, 5, 5, 7, 3, 4},
	x509.ExtKeyUsageIPSECEndSystem:  {1, 3, 6, 1, 5, 5, 7, 3, 5},
	x509.ExtKeyUsageIPSECTunnel:     {1, 3, 6, 1, 5, 5, 7, 3, 6},
	x509.ExtKeyUsageIPSECUser:       {1, 3, 6, 1, 5, 5, 7, 3, 7},
	x509.ExtKeyUsageTimeStamping:    {1, 3, 6, 1, 5, 5, 7, 3, 8},
	x509.ExtKeyUsageOCSPSigning:     {1, 3, 6, 1, 5, 5, 7, 3, 9},
}

// ExtKeyUsageOID returns the object identifier of u, or false if this
// package has no OID for it.
func ExtKeyUsageOID(u x509.ExtKeyUsage) (asn1.ObjectIdentifier, bool) {
	oid, ok := extKeyUsageOIDs[u]
	return oid, ok
}

// Extension encodes e as a pkix.Extension: a SEQUENCE OF KeyPurposeId.
func (e ExtKeyUsage) Extension() (pkix.Extension, error) {
	oids := make([]asn1.ObjectIdentifier, 0, len(e.Usages)+len(e.OIDs))
	for _, u := range e.Usages {
		oid, ok := extKeyUsageOIDs[u]
		if !ok {
			return pkix.Extension{}, fmt.Errorf("pki: %w: %d", ErrUnknownExtKeyUsage, int(u))
		}
		oids = append(oids, oid)
	}
	oids = append(oids, e.OIDs...)
	der, err := asn1.Marshal(oids)
	if err != nil {
		return pkix.Extension{}, fmt.Errorf("pki: encode extKeyUsage: %w", err)
	}
	return pkix.Extension{Id: OIDExtKeyUsage, Critical: e.Critical, Value: der}, nil
}
