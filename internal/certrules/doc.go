// Package certrules holds libvirt's rules for X.509 certificates
// (virnettlscontext.c; FACTS §11), so that virtwire's TLS client and
// server apply the same ones and differ only in the words they use.
//
// [Check] applies the basicConstraints, keyUsage and extKeyUsage rules for
// a certificate in a [Role] and returns what it breaks as [Finding]s, fatal
// or only worth a warning; [Validity] checks the validity window in
// libvirt's order. The callers turn findings into their own error types
// and texts: the server writes libvirt's log lines, the client its
// CertificateError reasons.
//
// [Verify], [CompleteChain] and [Revoked] verify a chain with crypto/x509
// and walk it, completed up to its root, for revoked certificates; each
// caller says which revocation lists it trusts. [ParseCerts] and
// [ParseCRLs] read PEM files; [FormatDN] writes a distinguished name in
// libvirt's order.
//
// Errors from this package carry no package prefix: the client and the
// server wrap them in their own.
package certrules
