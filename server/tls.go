package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// File names of libvirtd's server PKI (FACTS §11).
const (
	CACertFile     = "cacert.pem"
	CRLFile        = "cacrl.pem"
	ServerCertFile = "servercert.pem"
	ServerKeyFile  = "serverkey.pem"
)

// TLSConfig configures a TLS listener the way libvirtd's TLS settings do
// (FACTS §11; RELIABILITY tests 48-53, 58).
//
// The server presents its certificate and requests, without requiring, a
// client certificate during the handshake (gnutls GNUTLS_CERT_REQUEST), so
// the handshake succeeds without one. It then checks the client's
// certificate itself: chain to the CA, validity of every certificate, CRL,
// and libvirt's rules for a client leaf (not a CA; a critical keyUsage must
// allow digitalSignature and keyEncipherment; an extKeyUsage must allow TLS
// client authentication, where virtwire is stricter than libvirt, which only
// warns when that extension is not critical), then the DN list. Only when
// all pass does it send the confirmation byte 0x01 inside TLS and start
// reading frames; on any failure it closes without sending the byte.
type TLSConfig struct {
	// Dir holds the PKI files under libvirt's names: servercert.pem,
	// serverkey.pem, cacert.pem and, if present, cacrl.pem.
	Dir string
	// CertFile, KeyFile, CAFile and CRLFile override the files of Dir one
	// by one. CRLFile is optional: "" with no Dir/cacrl.pem means no CRL.
	CertFile, KeyFile, CAFile, CRLFile string
	// AllowedDNs is tls_allowed_dn_list: glob patterns (MatchDN) for the
	// client certificate's DN written as FormatDN writes it, e.g.
	// "C=UK,CN=libvirt*". Nil admits any client with a valid certificate;
	// an empty non-nil list admits nobody, as in libvirtd (L8).
	AllowedDNs []string
	// NoVerifyCertificate is tls_no_verify_certificate: the client
	// certificate is neither required nor checked (nor the DN list). A
	// warning is logged for each such connection.
	NoVerifyCertificate bool
	// HandshakeTimeout bounds the handshake, the checks and the
	// confirmation byte (default 30 s).
	HandshakeTimeout time.Duration
	// MinVersion is the lowest TLS version accepted (default TLS 1.2).
	MinVersion uint16
}

// tlsServer is a loaded, checked TLSConfig.
type tlsServer struct {
	config     *tls.Config
	roots      *x509.CertPool
	cas        []*x509.Certificate
	crls       []trustedCRL
	allowedDNs []string
	dnACL      bool
	noVerify   bool
	timeout    time.Duration
}

// trustedCRL is a revocation list whose signature was checked against one
// of the CA certificates.
type trustedCRL struct {
	issuer  *x509.Certificate
	revoked map[string]bool // serial numbers, as decimal strings
}

// TLSError reports a PKI file that cannot be used.
type TLSError struct {
	File string // the file at fault ("" for a rule across files)
	Err  error
}

func (e *TLSError) Error() string {
	if e.File == "" {
		return "server: tls: " + e.Err.Error()
	}
	return fmt.Sprintf("server: tls: %s: %v", e.File, e.Err)
}

// Unwrap returns the cause.
func (e *TLSError) Unwrap() error { return e.Err }

func newTLSServer(cfg TLSConfig, logger *slog.Logger) (*tlsServer, error) {
	path := func(explicit, name string) string {
		if explicit != "" || cfg.Dir == "" {
			return explicit
		}
		return filepath.Join(cfg.Dir, name)
	}
	caFile := path(cfg.CAFile, CACertFile)
	certFile := path(cfg.CertFile, ServerCertFile)
	keyFile := path(cfg.KeyFile, ServerKeyFile)
	crlFile := cfg.CRLFile
	if crlFile == "" && cfg.Dir != "" {
		if p := filepath.Join(cfg.Dir, CRLFile); fileExists(p) {
			crlFile = p
		}
	}
	if caFile == "" || certFile == "" || keyFile == "" {
		return nil, &TLSError{Err: errors.New("need a CA certificate, a server certificate and its key (Dir or the files)")}
	}
	now := time.Now()
	warn := func(file, msg string) { logger.Warn(msg, "file", file) }

	t := &tlsServer{
		roots:      x509.NewCertPool(),
		allowedDNs: cfg.AllowedDNs,
		dnACL:      cfg.AllowedDNs != nil,
		noVerify:   cfg.NoVerifyCertificate,
		timeout:    cfg.HandshakeTimeout,
	}
	if t.timeout <= 0 {
		t.timeout = DefaultHandshakeTimeout
	}

	// CA certificates: must be CAs, in their validity window.
	pemCA, err := os.ReadFile(caFile)
	if err != nil {
		return nil, &TLSError{File: caFile, Err: fmt.Errorf("Cannot read CA certificate '%s': %w", caFile, err)}
	}
	t.cas, err = parseCerts(pemCA)
	if err != nil || len(t.cas) == 0 {
		if err == nil {
			err = errors.New("no certificate found")
		}
		return nil, &TLSError{File: caFile, Err: err}
	}
	for _, ca := range t.cas {
		warnings, err := checkCertRules(ca, roleCA, now, false)
		if err != nil {
			return nil, &TLSError{File: caFile, Err: err}
		}
		for _, w := range warnings {
			warn(caFile, w)
		}
		t.roots.AddCert(ca)
	}

	// The server certificate and key.
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, &TLSError{File: certFile, Err: err}
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, &TLSError{File: certFile, Err: err}
		}
	}
	warnings, err := checkCertRules(leaf, roleServer, now, false)
	if err != nil {
		return nil, &TLSError{File: certFile, Err: err}
	}
	for _, w := range warnings {
		warn(certFile, w)
	}
	inter := x509.NewCertPool()
	for _, der := range pair.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(c)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: t.roots, Intermediates: inter, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, &TLSError{File: certFile, Err: fmt.Errorf("the server certificate does not verify against the CA: %w", err)}
	}

	// CRLs: kept only if a CA signed them.
	if crlFile != "" {
		pemCRL, err := os.ReadFile(crlFile)
		if err != nil {
			return nil, &TLSError{File: crlFile, Err: err}
		}
		if t.crls, err = parseCRLs(pemCRL, t.cas, func(msg string) { warn(crlFile, msg) }); err != nil {
			return nil, &TLSError{File: crlFile, Err: err}
		}
	}

	t.config = &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequestClientCert,
		MinVersion:   cfg.MinVersion,
		// A TLS 1.3 NewSessionTicket arriving after the handshake makes
		// gnutls's first read return GNUTLS_E_AGAIN, which libvirt's
		// client takes for a failure to read the 0x01 confirmation byte:
		// virsh and python-libvirt then fail with "Unable to read TLS
		// confirmation: Resource temporarily unavailable". libvirt has
		// no use for session resumption anyway.
		SessionTicketsDisabled: true,
	}
	if t.config.MinVersion == 0 {
		t.config.MinVersion = tls.VersionTLS12
	}
	return t, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func parseCerts(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return certs, nil
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
}

func parseCRLs(data []byte, cas []*x509.Certificate, warn func(string)) ([]trustedCRL, error) {
	var out []trustedCRL
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return out, nil
		}
		if block.Type != "X509 CRL" {
			continue
		}
		rl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, err
		}
		var issuer *x509.Certificate
		for _, ca := range cas {
			if rl.CheckSignatureFrom(ca) == nil {
				issuer = ca
				break
			}
		}
		if issuer == nil {
			warn("ignoring a CRL not signed by any CA certificate")
			continue
		}
		crl := trustedCRL{issuer: issuer, revoked: make(map[string]bool, len(rl.RevokedCertificateEntries))}
		for _, e := range rl.RevokedCertificateEntries {
			crl.revoked[e.SerialNumber.String()] = true
		}
		out = append(out, crl)
	}
}

// certRole is what a certificate is checked for.
type certRole int

const (
	roleCA certRole = iota
	roleServer
	roleClient
)

func (r certRole) String() string {
	return [...]string{"CA", "server", "client"}[r]
}

var (
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

func extension(c *x509.Certificate, oid asn1.ObjectIdentifier) (present, critical bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true, e.Critical
		}
	}
	return false, false
}

// checkCertRules applies libvirt's rules for a certificate in a role
// (virnettlscontext.c; FACTS §11; RELIABILITY L3, test 48): validity window;
// basicConstraints (a CA must have it with CA set, a leaf must not be a CA);
// keyUsage (keyCertSign for a CA, digitalSignature and keyEncipherment for a
// leaf, fatal only when the extension is critical); extKeyUsage (a leaf must
// allow its TLS role; no extension passes; fatal only when critical, or
// always with peer). Non-fatal findings come back as warnings.
//
// peer is set for the client's certificate, where two rules are stricter
// (RELIABILITY.md test 50): an extKeyUsage without TLS client is refused even
// when not critical, as crypto/x509 does (libvirt only warns); and a
// keyUsage without digitalSignature is refused even when not critical,
// since the client signed the handshake with that key: gnutls, and so
// libvirtd, refuses such a client during the handshake ("Key usage
// violation in certificate has been detected").
func checkCertRules(c *x509.Certificate, role certRole, now time.Time, peer bool) (warnings []string, err error) {
	subject, dnErr := FormatDN(c.RawSubject) // libvirt's order: C=UK,CN=libvirt
	if dnErr != nil {
		subject = c.Subject.String()
	}
	fail := func(format string, args ...any) ([]string, error) {
		return warnings, fmt.Errorf("The %s certificate %s "+format, append([]any{role, subject}, args...)...)
	}
	if now.After(c.NotAfter) {
		return fail("has expired")
	}
	if now.Before(c.NotBefore) {
		return fail("is not yet active")
	}
	if bc, _ := extension(c, oidBasicConstraints); role == roleCA {
		if !bc {
			return fail("is missing basic constraints for a CA")
		}
		if !c.IsCA {
			return fail("basic constraints do not show a CA")
		}
	} else if bc && c.IsCA {
		return fail("basic constraints show a CA, but we need one for a %s", role)
	}
	if ku, critical := extension(c, oidKeyUsage); ku {
		var need []x509.KeyUsage
		if role == roleCA {
			need = []x509.KeyUsage{x509.KeyUsageCertSign}
		} else {
			need = []x509.KeyUsage{x509.KeyUsageDigitalSignature, x509.KeyUsageKeyEncipherment}
		}
		for _, u := range need {
			if c.KeyUsage&u != 0 {
				continue
			}
			msg := fmt.Sprintf("The %s certificate %s key usage does not permit %s", role, subject, keyUsageName(u))
			if critical || (peer && u == x509.KeyUsageDigitalSignature) {
				return warnings, errors.New(msg)
			}
			warnings = append(warnings, msg)
		}
	}
	if role != roleCA {
		if eku, critical := extension(c, oidExtKeyUsage); eku && !allowsRole(c, role) {
			msg := fmt.Sprintf("The %s certificate %s purpose does not allow use for a TLS %s", role, subject, role)
			if critical || peer {
				return warnings, errors.New(msg)
			}
			warnings = append(warnings, msg)
		}
	}
	return warnings, nil
}

func allowsRole(c *x509.Certificate, role certRole) bool {
	want := x509.ExtKeyUsageServerAuth
	if role == roleClient {
		want = x509.ExtKeyUsageClientAuth
	}
	for _, u := range c.ExtKeyUsage {
		if u == want || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

func keyUsageName(u x509.KeyUsage) string {
	switch u {
	case x509.KeyUsageCertSign:
		return "certificate signing"
	case x509.KeyUsageDigitalSignature:
		return "digital signature"
	case x509.KeyUsageKeyEncipherment:
		return "key encipherment"
	}
	return fmt.Sprintf("usage %#x", int(u))
}

// maxChain bounds completeChain.
const maxChain = 16

// completeChain extends a chain that crypto/x509 verified, whose last
// certificate is one of the trusted CAs, with that CA's issuers found among
// cas, up to a self-signed root. crypto/x509 stops at the first trusted
// certificate: with libvirt's layout, where cacert.pem lists the root and
// the intermediates, a chain leaf→1b ends at 1b and the root's CRL that
// revokes 1b would never be consulted.
func completeChain(chain []*x509.Certificate, cas []*x509.Certificate) []*x509.Certificate {
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

// errNoClientCert is libvirtd's log text for a client that sent no
// certificate (FACTS §11, h_tls_probe).
var errNoClientCert = errors.New("Unable to verify TLS peer: No certificate was found.")

// errDNNotAllowed is libvirtd's log text for a DN not on the list.
var errDNNotAllowed = errors.New("Client's Distinguished Name is not on the list of allowed clients (tls_allowed_dn_list)")

// verifyClient checks the client's certificate chain and returns its DN.
func (t *tlsServer) verifyClient(certs []*x509.Certificate, now time.Time) (string, error) {
	if len(certs) == 0 {
		return "", errNoClientCert
	}
	leaf := certs[0]
	dn, err := FormatDN(leaf.RawSubject)
	if err != nil {
		return "", err
	}
	for _, c := range certs {
		if now.After(c.NotAfter) {
			return dn, errors.New("The client certificate has expired")
		}
		if now.Before(c.NotBefore) {
			return dn, errors.New("The client certificate is not yet active")
		}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{
		Roots:         t.roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, // EKU is checked below, on the leaf only
	})
	if err != nil {
		reason := "The certificate is not trusted."
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			reason = "The certificate hasn't got a known issuer."
		}
		return dn, fmt.Errorf("Certificate failed validation: %s (%w)", reason, err)
	}
	for _, chain := range chains {
		if t.revoked(chain) {
			return dn, errors.New("Certificate failed validation: The certificate has been revoked.")
		}
	}
	if _, err := checkCertRules(leaf, roleClient, now, true); err != nil {
		return dn, err
	}
	if t.dnACL {
		for _, p := range t.allowedDNs {
			if MatchDN(p, dn) {
				return dn, nil
			}
		}
		return dn, errDNNotAllowed
	}
	return dn, nil
}

// revoked reports whether a CRL of the issuer of any certificate in the
// chain lists it. The chain is first completed up to its root
// (completeChain), so an intermediate listed in cacert.pem can be revoked
// by its own issuer's CRL.
func (t *tlsServer) revoked(chain []*x509.Certificate) bool {
	chain = completeChain(chain, t.cas)
	for i := 0; i+1 < len(chain); i++ {
		cert, issuer := chain[i], chain[i+1]
		for _, crl := range t.crls {
			if crl.issuer.Equal(issuer) && crl.revoked[cert.SerialNumber.String()] {
				return true
			}
		}
	}
	return false
}

// tlsSetup runs the handshake and the client checks, then sends the
// confirmation byte (FACTS S7). On failure the connection is closed with no
// byte sent.
func (c *Conn) tlsSetup(t *tlsServer) bool {
	tc := tls.Server(c.raw, t.config)
	c.raw.SetDeadline(time.Now().Add(t.timeout))
	if err := tc.HandshakeContext(c.ctx); err != nil {
		c.logf(slog.LevelInfo, "TLS handshake failed", "err", err)
		c.closeWith(fmt.Errorf("%w: %w", ErrPeerRejected, err))
		return false
	}
	cs := tc.ConnectionState()
	var dn string
	if t.noVerify {
		if len(cs.PeerCertificates) > 0 {
			dn, _ = FormatDN(cs.PeerCertificates[0].RawSubject)
		}
		c.logf(slog.LevelWarn, "TLS client certificate not verified (NoVerifyCertificate)")
	} else {
		var err error
		if dn, err = t.verifyClient(cs.PeerCertificates, time.Now()); err != nil {
			c.logf(slog.LevelError, err.Error(), "dn", dn)
			c.closeWith(fmt.Errorf("%w: %w", ErrPeerRejected, err))
			return false
		}
	}
	if _, err := tc.Write([]byte{1}); err != nil {
		c.logf(slog.LevelInfo, "sending the TLS confirmation byte failed", "err", err)
		c.closeWith(fmt.Errorf("%w: %w", ErrPeerRejected, err))
		return false
	}
	c.raw.SetDeadline(time.Time{})
	c.mu.Lock()
	c.nc, c.tlsCS, c.dn = tc, &cs, dn
	c.mu.Unlock()
	return true
}
