package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// KeyType selects the private-key algorithm of a generated certificate.
// The zero value is [ECDSAP256].
type KeyType int

const (
	// ECDSAP256 is an ECDSA key on NIST P-256, signed with ECDSA-SHA256.
	// It is the default because it is generated in microseconds.
	ECDSAP256 KeyType = iota
	// RSA2048 is a 2048-bit RSA key, signed with SHA256-RSA (PKCS #1 v1.5),
	// the kind libvirt's own documentation and setup/ca.cnf use.
	RSA2048
)

// String returns "ecdsa-p256" or "rsa-2048", or the number for unknown values.
func (k KeyType) String() string {
	switch k {
	case ECDSAP256:
		return "ecdsa-p256"
	case RSA2048:
		return "rsa-2048"
	}
	return fmt.Sprintf("KeyType(%d)", int(k))
}

// GenerateKey returns a new private key of type k.
func GenerateKey(k KeyType) (crypto.Signer, error) {
	switch k {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("pki: %w: %v", ErrUnknownKeyType, k)
}

// KeyPEM encodes key as an unencrypted PKCS #8 "PRIVATE KEY" PEM block, which
// gnutls (and so libvirtd and virsh) reads for both RSA and ECDSA keys.
func KeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
