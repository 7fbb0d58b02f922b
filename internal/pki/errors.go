package pki

import "errors"

// Sentinel errors returned (wrapped) by this package; test with errors.Is.
var (
	// ErrUnknownKeyType reports a KeyType value this package cannot generate.
	ErrUnknownKeyType = errors.New("unknown key type")
	// ErrUnknownExtKeyUsage reports an x509.ExtKeyUsage value that has no OID
	// in this package's table; pass the OID in ExtKeyUsage.OIDs instead.
	ErrUnknownExtKeyUsage = errors.New("unknown extended key usage")
	// ErrNoKey reports a certificate without a private key where one is needed
	// (signing, or writing a key file).
	ErrNoKey = errors.New("certificate has no private key")
	// ErrNoCA reports a layout without any CA certificate; libvirt cannot
	// start a TLS context without cacert.pem.
	ErrNoCA = errors.New("no CA certificate")
)
