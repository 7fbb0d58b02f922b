package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/virtwire/virtwire/internal/certrules"
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
	t.cas, err = certrules.ParseCerts(pemCA)
	if err != nil || len(t.cas) == 0 {
		if err == nil {
			err = errors.New("no certificate found")
		}
		return nil, &TLSError{File: caFile, Err: err}
	}
	for _, ca := range t.cas {
		warnings, err := checkCertRules(ca, certrules.CA, now, false)
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
	warnings, err := checkCertRules(leaf, certrules.Server, now, false)
	if err != nil {
		return nil, &TLSError{File: certFile, Err: err}
	}
	for _, w := range warnings {
		warn(certFile, w)
	}
	if _, err := certrules.Verify(leaf, certrules.ParseDER(pair.Certificate[1:]), t.roots, now); err != nil {
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

// parseCRLs returns the CRLs of PEM data that one of cas signed, each with
// that CA; warn is told about any other, which is ignored.
func parseCRLs(data []byte, cas []*x509.Certificate, warn func(string)) ([]trustedCRL, error) {
	rls, err := certrules.ParseCRLs(data)
	if err != nil {
		return nil, err
	}
	var out []trustedCRL
	for _, rl := range rls {
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
	return out, nil
}

// checkCertRules applies libvirt's rules for a certificate in a role
// (certrules.Validity and certrules.Check; virnettlscontext.c; FACTS §11;
// RELIABILITY L3, tests 48 and 50) and words the findings as libvirt's
// log lines: the first fatal one is the error, the others come back as
// warnings. peer is set for the client's certificate.
func checkCertRules(c *x509.Certificate, role certrules.Role, now time.Time, peer bool) (warnings []string, err error) {
	subject := certrules.Subject(c) // libvirt's order: C=UK,CN=libvirt
	switch certrules.Validity(c, now) {
	case certrules.Expired:
		return nil, fmt.Errorf("The %s certificate %s has expired", role, subject)
	case certrules.NotYetActive:
		return nil, fmt.Errorf("The %s certificate %s is not yet active", role, subject)
	}
	for _, f := range certrules.Check(c, role, peer) {
		var what string
		switch f.Problem {
		case certrules.NoBasicConstraints:
			what = "is missing basic constraints for a CA"
		case certrules.NotCA:
			what = "basic constraints do not show a CA"
		case certrules.IsCA:
			what = "basic constraints show a CA, but we need one for a " + role.String()
		case certrules.KeyUsage:
			what = "key usage does not permit " + certrules.UsageName(f.Usage)
		case certrules.ExtKeyUsage:
			what = "purpose does not allow use for a TLS " + role.String()
		}
		msg := fmt.Sprintf("The %s certificate %s %s", role, subject, what)
		if f.Fatal {
			return warnings, errors.New(msg)
		}
		warnings = append(warnings, msg)
	}
	return warnings, nil
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
		switch certrules.Validity(c, now) {
		case certrules.Expired:
			return dn, errors.New("The client certificate has expired")
		case certrules.NotYetActive:
			return dn, errors.New("The client certificate is not yet active")
		}
	}
	chains, err := certrules.Verify(leaf, certs[1:], t.roots, now) // EKU is checked below, on the leaf only
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
	if _, err := checkCertRules(leaf, certrules.Client, now, true); err != nil {
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

// revoked reports whether a trusted CRL of the issuer of any certificate in
// the chain lists it (certrules.Revoked: the chain is first completed up to
// its root, so an intermediate listed in cacert.pem can be revoked by its
// own issuer's CRL).
func (t *tlsServer) revoked(chain []*x509.Certificate) bool {
	return certrules.Revoked(chain, t.cas, func(cert, issuer *x509.Certificate) bool {
		for _, crl := range t.crls {
			if crl.issuer.Equal(issuer) && crl.revoked[cert.SerialNumber.String()] {
				return true
			}
		}
		return false
	}) != nil
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
