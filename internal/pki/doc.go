// Package pki generates X.509 certificates, keys and CRLs at test time and
// writes them in the file layout libvirt expects (FACTS §11).
//
// The common case is one call: [New] makes a CA, a server certificate and a
// client certificate that libvirtd 9.0 and virsh accept, and
// [PKI.WriteClientDir] / [PKI.WriteServerDir] write them as
//
//	client (pkipath=DIR):  cacert.pem clientcert.pem clientkey.pem [cacrl.pem]
//	server (libvirtd.conf): cacert.pem servercert.pem serverkey.pem [cacrl.pem]
//
// The building blocks underneath exist for the TLS matrix ported from
// libvirt's virnettlscontexttest.c and virnettlssessiontest.c (RELIABILITY.md
// tests 48-51): [Spec] describes one certificate with full control over
// basicConstraints, keyUsage and extKeyUsage (presence, value and
// criticality), the validity window, the subject DN (including attribute
// order) and the subjectAltName list; [NewCert] signs it with any issuer,
// including issuers a real CA would refuse to be; [NewCRL] revokes serials.
//
// crypto/x509 always marks keyUsage and basicConstraints critical and
// extKeyUsage non-critical. This package therefore encodes those three
// extensions itself (encoding/asn1) and passes them through
// x509.Certificate.ExtraExtensions, so every criticality can be chosen.
//
// Keys are ECDSA P-256 by default (fast); RSA-2048 is an option. Private keys
// are written as unencrypted PKCS#8 PEM with mode 0600.
package pki
