package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/virtwire/virtwire/internal/certrules"
	"github.com/virtwire/virtwire/protocol"
)

// PKI file names inside a pkipath directory and $HOME/.pki/libvirt
// (FACTS §11).
const (
	CACertFile     = "cacert.pem"
	CRLFile        = "cacrl.pem"
	ClientCertFile = "clientcert.pem"
	ClientKeyFile  = "clientkey.pem"
)

// PKIFiles are the files a TLS client reads. CRL is optional; Cert and Key
// are used only when both exist (libvirt's client lets them be missing, and
// the server then rejects the connection).
type PKIFiles struct {
	CACert string
	CRL    string
	Cert   string
	Key    string
}

// GlobalPKI are the system-wide files a root client, or a missing user
// file, falls back to (FACTS §11). It is a variable only for tests.
var GlobalPKI = PKIFiles{
	CACert: "/etc/pki/CA/cacert.pem",
	CRL:    "/etc/pki/CA/cacrl.pem",
	Cert:   "/etc/pki/libvirt/clientcert.pem",
	Key:    "/etc/pki/libvirt/private/clientkey.pem",
}

// PKIFiles returns the TLS files the connection uses, located as libvirt's
// client locates them (virNetTLSContextLocateCredentials): every file in
// pkipath=DIR when given; otherwise, when not root and $HOME is set,
// $HOME/.pki/libvirt/ with the CA and the CRL each falling back to the
// global file when missing, and the certificate and key falling back
// together unless both exist; otherwise the global files.
func (u *URI) PKIFiles() PKIFiles {
	if u.PKIPath != "" {
		return pkiIn(u.PKIPath)
	}
	home := os.Getenv("HOME")
	if geteuid() == 0 || home == "" {
		return GlobalPKI
	}
	f := pkiIn(filepath.Join(home, ".pki", "libvirt"))
	if !fileExists(f.CACert) {
		f.CACert = GlobalPKI.CACert
	}
	if !fileExists(f.CRL) {
		f.CRL = GlobalPKI.CRL
	}
	if !fileExists(f.Cert) || !fileExists(f.Key) {
		f.Cert, f.Key = GlobalPKI.Cert, GlobalPKI.Key
	}
	return f
}

func pkiIn(dir string) PKIFiles {
	return PKIFiles{
		CACert: filepath.Join(dir, CACertFile),
		CRL:    filepath.Join(dir, CRLFile),
		Cert:   filepath.Join(dir, ClientCertFile),
		Key:    filepath.Join(dir, ClientKeyFile),
	}
}

// tlsClient holds what a TLS connection needs: the trusted CAs, CRLs, our
// certificate and the verification settings of the URI.
type tlsClient struct {
	files    PKIFiles
	roots    *x509.CertPool
	cas      []*x509.Certificate // the certificates of roots, for certrules.Revoked
	crls     []*x509.RevocationList
	cert     *tls.Certificate // nil: none
	hostname string
	noVerify bool
	legacyCN bool // WithLegacyCommonName
	min, max uint16
	logger   *slog.Logger
}

// WithLegacyCommonName lets a TLS server certificate that has no DNS
// subjectAltName be matched against the URI's host by its subject common
// name (CN), as gnutls, and so libvirt's client, does.
//
// Without it, the default, only the subjectAltName extension names the
// server, as in crypto/tls since Go 1.15: a certificate carrying the host
// name only in its CN fails with a *CertificateError that says so. libvirt's
// own tests use such certificates (virnettlssessiontest.c's "perfect" server
// certificate), and old deployments made with certtool templates without
// dns_name have them; new certificates should list the host in
// subjectAltName (RELIABILITY.md test 50).
func WithLegacyCommonName() Option { return func(o *options) { o.legacyCommonName = true } }

// newTLSClient loads the files and checks our own CA and certificate as
// libvirt's client does when it creates its TLS context; with no_sanity=1 a
// failed check is logged as a warning instead of failing.
func newTLSClient(u *URI, o options) (*tlsClient, error) {
	t := &tlsClient{files: u.PKIFiles(), hostname: u.Hostname(), noVerify: u.NoVerify,
		legacyCN: o.legacyCommonName, logger: o.logger}
	var err error
	if t.min, t.max, err = parsePriority(u.TLSPriority); err != nil {
		return nil, err
	}
	cas, err := readCerts(t.files.CACert, "CA certificate")
	if err != nil {
		return nil, err
	}
	t.roots, t.cas = x509.NewCertPool(), cas
	for _, c := range cas {
		t.roots.AddCert(c)
	}
	if fileExists(t.files.CRL) {
		if t.crls, err = readCRLs(t.files.CRL); err != nil {
			return nil, err
		}
	}
	if fileExists(t.files.Cert) && fileExists(t.files.Key) {
		kp, err := tls.LoadX509KeyPair(t.files.Cert, t.files.Key)
		if err != nil {
			return nil, tlsSetupError(fmt.Sprintf("Unable to set x509 key and certificate: %s, %s", t.files.Key, t.files.Cert), err)
		}
		if kp.Leaf == nil {
			if kp.Leaf, err = x509.ParseCertificate(kp.Certificate[0]); err != nil {
				return nil, tlsSetupError("Unable to set x509 key and certificate: "+t.files.Cert, err)
			}
		}
		t.cert = &kp
	}
	if err := t.sanityCheck(cas); err != nil {
		if !u.NoSanity {
			return nil, err
		}
		if t.logger != nil {
			t.logger.Warn("client: ignoring a failed check of our own TLS certificates because of no_sanity=1",
				"host", t.hostname, "reason", err)
		}
	}
	return t, nil
}

func tlsSetupError(text string, cause error) error {
	return &Error{Libvirt: protocol.NewError(protocol.FromRPC, protocol.ErrSystemError, text+": "+cause.Error()), Err: cause}
}

// readCerts reads every certificate of a PEM file. A missing file gives
// libvirt's "Cannot read CA certificate '…': No such file or directory".
func readCerts(name, what string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, systemError(protocol.FromRPC, "Cannot read "+what+" '"+name+"'", errnoOf(err), err)
	}
	certs, err := certrules.ParseCerts(data)
	if err != nil {
		return nil, tlsSetupError("Unable to set x509 CA certificate: "+name, err)
	}
	if len(certs) == 0 {
		return nil, tlsSetupError("Unable to set x509 CA certificate: "+name, errors.New("no PEM certificate found"))
	}
	return certs, nil
}

// readCRLs reads every CRL of a PEM file.
func readCRLs(name string) ([]*x509.RevocationList, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, systemError(protocol.FromRPC, "Cannot read CA revocation list '"+name+"'", errnoOf(err), err)
	}
	crls, err := certrules.ParseCRLs(data)
	if err != nil {
		return nil, tlsSetupError("Unable to set x509 certificate revocation list: "+name, err)
	}
	if len(crls) == 0 {
		return nil, tlsSetupError("Unable to set x509 certificate revocation list: "+name, errors.New("no PEM CRL found"))
	}
	return crls, nil
}

// config returns the crypto/tls configuration. Go's own verification is off
// so that VerifyConnection applies libvirt's rules, explicitly; no SNI is
// sent, as libvirt sends none (FACTS §11).
func (t *tlsClient) config() *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true,
		VerifyConnection:   t.verifyConnection,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if t.cert == nil {
				return &tls.Certificate{}, nil
			}
			return t.cert, nil
		},
		MinVersion: t.min,
		MaxVersion: t.max,
	}
}

// verifyConnection checks the server's certificate. Any failure is
// libvirt's VIR_ERR_AUTH_FAILED "Failed to verify peer's certificate",
// carrying the reason, unless no_verify=1, which logs the reason and goes
// on (virNetTLSContextCheckCertificate).
func (t *tlsClient) verifyConnection(cs tls.ConnectionState) error {
	err := t.checkServer(cs.PeerCertificates, time.Now())
	if err == nil {
		return nil
	}
	if t.noVerify {
		if t.logger != nil {
			t.logger.Warn("client: ignoring a bad server certificate because of no_verify=1", "host", t.hostname, "reason", err)
		}
		return nil
	}
	return &Error{Libvirt: protocol.NewError(protocol.FromRPC, protocol.ErrAuthFailed, "Failed to verify peer's certificate"), Err: err}
}

// CertificateError is the reason a certificate failed libvirt's checks.
// It is wrapped in the client's *Error (for a server certificate,
// VIR_ERR_AUTH_FAILED) and reachable with errors.As.
type CertificateError struct {
	Subject string // the certificate's subject in libvirt's DN order (C=UK,CN=…), or its file
	Reason  string
	Err     error // a crypto/x509 error, if any
}

// Error returns the subject and the reason.
func (e *CertificateError) Error() string {
	s := "certificate " + e.Subject + ": " + e.Reason
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the crypto/x509 error, if any.
func (e *CertificateError) Unwrap() error { return e.Err }

// checkServer applies libvirt's checks to the server's chain
// (virNetTLSContextValidCertificate): the chain leads to a trusted CA and
// every certificate is within its validity (crypto/x509 does both); no
// certificate in it is revoked by a CRL its issuer signed; the leaf is not a
// CA, its critical keyUsage allows digitalSignature and keyEncipherment, its
// extKeyUsage, critical or not, allows TLS server use (libvirt only warns
// when it is not critical); and it names the host (matchHostname).
//
// crypto/x509's Verify alone would accept a leaf that is a CA or whose
// keyUsage is certSign only, and knows no CRLs (RELIABILITY.md P7), hence
// the explicit checks after it.
func (t *tlsClient) checkServer(chain []*x509.Certificate, now time.Time) error {
	if len(chain) == 0 {
		return &CertificateError{Subject: "(none)", Reason: "the server presented no certificate"}
	}
	leaf := chain[0]
	subj := certrules.Subject(leaf) // in libvirt's order, as the server writes DNs
	// EKU is checked below, by libvirt's rule.
	chains, err := certrules.Verify(leaf, chain[1:], t.roots, now)
	if err != nil {
		return &CertificateError{Subject: subj, Reason: "not trusted", Err: err}
	}
	if len(t.crls) > 0 {
		for _, ch := range chains {
			if c := t.revoked(ch); c != nil {
				return &CertificateError{Subject: certrules.Subject(c), Reason: "revoked"}
			}
		}
	}
	if err := checkLeaf(leaf, subj, true, true, t.logger); err != nil {
		return err
	}
	if !matchHostname(leaf, t.hostname, t.legacyCN) {
		reason := "owner does not match the hostname " + t.hostname
		if !t.legacyCN && matchHostname(leaf, t.hostname, true) {
			reason += " (only its subject CN names it, and a CN is not used without WithLegacyCommonName)"
		}
		return &CertificateError{Subject: subj, Reason: reason}
	}
	return nil
}

// revoked returns the first certificate of a verified chain that a CRL
// signed by its issuer revokes. A CRL that no issuer in the chain signed is
// not trusted and ignored. The chain is first completed up to its root
// (certrules.Revoked), so an intermediate listed in cacert.pem can be
// revoked by its own issuer's CRL.
func (t *tlsClient) revoked(chain []*x509.Certificate) *x509.Certificate {
	return certrules.Revoked(chain, t.cas, func(c, issuer *x509.Certificate) bool {
		for _, l := range t.crls {
			if !bytes.Equal(l.RawIssuer, issuer.RawSubject) || l.CheckSignatureFrom(issuer) != nil {
				continue
			}
			for _, r := range l.RevokedCertificateEntries {
				if r.SerialNumber != nil && r.SerialNumber.Cmp(c.SerialNumber) == 0 {
					return true
				}
			}
		}
		return false
	})
}

// checkLeaf applies libvirt's rules (certrules.Check) to a leaf
// certificate, ours or the server's: basicConstraints must not say CA;
// keyUsage, when critical, must allow digitalSignature and
// keyEncipherment; extKeyUsage, when critical, must allow TLS server
// (server) or client use, or any use. A non-critical keyUsage or
// extKeyUsage that lacks them only logs a warning, and a certificate
// without the extension passes.
//
// peer is set for the other end's certificate (the server's, for the
// client), where two rules are stricter (RELIABILITY.md test 50): an
// extKeyUsage without the role is refused even when not critical, as
// crypto/x509 does (libvirt only warns); and a keyUsage without
// digitalSignature is refused even when not critical, since the peer signed
// the handshake with that key: gnutls, and so libvirt, refuses such a peer
// during the handshake ("Key usage violation in certificate has been
// detected").
func checkLeaf(c *x509.Certificate, subj string, server, peer bool, logger *slog.Logger) error {
	role := certrules.Client
	if server {
		role = certrules.Server
	}
	return checkRules(c, subj, role, peer, logger)
}

// checkCA applies libvirt's rules to a trusted CA certificate:
// basicConstraints must be present and say CA; keyUsage, when critical,
// must allow certificate signing.
func checkCA(c *x509.Certificate, subj string, logger *slog.Logger) error {
	return checkRules(c, subj, certrules.CA, false, logger)
}

// checkRules words the findings of certrules.Check: the first fatal one is
// a *CertificateError, the others are logged as warnings.
func checkRules(c *x509.Certificate, subj string, role certrules.Role, peer bool, logger *slog.Logger) error {
	for _, f := range certrules.Check(c, role, peer) {
		var reason string
		switch f.Problem {
		case certrules.NoBasicConstraints, certrules.NotCA:
			reason = "basic constraints do not show a CA"
		case certrules.IsCA:
			reason = "basic constraints show a CA, but a leaf certificate is needed"
		case certrules.KeyUsage:
			reason = "usage does not permit " + certrules.UsageName(f.Usage)
		case certrules.ExtKeyUsage:
			reason = "purpose does not allow use with a TLS " + role.String()
		}
		if f.Fatal {
			return &CertificateError{Subject: subj, Reason: reason}
		}
		if role == certrules.CA {
			warn(logger, "CA certificate "+reason, subj)
		} else {
			warn(logger, "certificate "+reason, subj)
		}
	}
	return nil
}

// checkTimes checks the validity window: expiry first, then activation, in
// libvirt's order (certrules.Validity).
func checkTimes(c *x509.Certificate, subj string, now time.Time) error {
	switch certrules.Validity(c, now) {
	case certrules.Expired:
		return &CertificateError{Subject: subj, Reason: "has expired"}
	case certrules.NotYetActive:
		return &CertificateError{Subject: subj, Reason: "is not yet active"}
	}
	return nil
}

func warn(logger *slog.Logger, msg, subj string) {
	if logger != nil {
		logger.Warn("client: "+msg, "certificate", subj)
	}
}

// sanityCheck checks our own CA certificates and client certificate, as
// libvirt does when it creates its TLS context (no_sanity=1 ignores it):
// validity, the CA and leaf rules above, and that the client certificate
// chains to the CA and is not revoked.
func (t *tlsClient) sanityCheck(cas []*x509.Certificate) error {
	now := time.Now()
	for _, ca := range cas {
		if err := checkTimes(ca, t.files.CACert, now); err != nil {
			return sanityError(err)
		}
		if err := checkCA(ca, t.files.CACert, t.logger); err != nil {
			return sanityError(err)
		}
	}
	if t.cert == nil {
		return nil
	}
	leaf := t.cert.Leaf
	if err := checkTimes(leaf, t.files.Cert, now); err != nil {
		return sanityError(err)
	}
	if err := checkLeaf(leaf, t.files.Cert, false, false, t.logger); err != nil {
		return sanityError(err)
	}
	chains, err := certrules.Verify(leaf, certrules.ParseDER(t.cert.Certificate[1:]), t.roots, now)
	if err != nil {
		return sanityError(&CertificateError{Subject: t.files.Cert, Reason: "cannot be verified against the CA certificate " + t.files.CACert, Err: err})
	}
	for _, ch := range chains {
		if c := t.revoked(ch); c != nil {
			return sanityError(&CertificateError{Subject: t.files.Cert, Reason: "is revoked"})
		}
	}
	return nil
}

func sanityError(err error) error {
	return &Error{Libvirt: protocol.NewError(protocol.FromRPC, protocol.ErrSystemError, err.Error()), Err: err}
}

// matchHostname reports whether the certificate names host, by the rules of
// gnutls_x509_crt_check_hostname that libvirt relies on: an IP address is
// compared with the IP SANs, and, when none matches, also as a name (some
// servers put IPs in DNS SANs); a name is compared with the DNS SANs, with a
// leading wildcard. gnutls also uses the subject's single CN when the
// certificate has no DNS SAN at all; matchHostname does so only with
// legacyCN (WithLegacyCommonName), as crypto/x509 no longer does.
func matchHostname(c *x509.Certificate, host string, legacyCN bool) bool {
	if ip := net.ParseIP(host); ip != nil {
		for _, cip := range c.IPAddresses {
			if cip.Equal(ip) {
				return true
			}
		}
	}
	if len(c.DNSNames) > 0 {
		for _, n := range c.DNSNames {
			if hostnameCompare(n, host) {
				return true
			}
		}
		return false
	}
	if !legacyCN {
		return false
	}
	var cns []string
	for _, a := range c.Subject.Names {
		if a.Type.Equal(asn1.ObjectIdentifier{2, 5, 4, 3}) {
			if s, ok := a.Value.(string); ok {
				cns = append(cns, s)
			}
		}
	}
	return len(cns) == 1 && hostnameCompare(cns[0], host)
}

// hostnameCompare matches a certificate name against a host name,
// case-insensitively. A '*' after a common prefix matches any run of
// characters inside one label, and only when at least two labels follow it.
func hostnameCompare(pattern, host string) bool {
	i := 0
	for i < len(pattern) && i < len(host) && lower(pattern[i]) == lower(host[i]) && pattern[i] != '*' {
		i++
	}
	if i == len(pattern) && i == len(host) {
		return true
	}
	if i < len(pattern) && pattern[i] == '*' {
		rest := pattern[i+1:]
		if strings.Count(rest, ".") < 2 {
			return false
		}
		for j := i; ; j++ {
			if strings.EqualFold(rest, host[j:]) {
				return true
			}
			if j >= len(host) || host[j] == '.' {
				return false
			}
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// parsePriority maps the TLS version part of a gnutls priority string
// (tls_priority=, FACTS §10) onto crypto/tls: a base keyword (NORMAL,
// SECURE128, …; NONE removes every version) then ±VERS-TLS1.x, ±VERS-ALL
// and ±VERS-TLS-ALL items. Cipher, group and other items have no crypto/tls
// counterpart and are ignored. The empty string means NORMAL: TLS 1.2 and
// 1.3.
func parsePriority(s string) (min, max uint16, err error) {
	all := []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}
	on := map[uint16]bool{tls.VersionTLS12: true, tls.VersionTLS13: true}
	if s != "" {
		for i, item := range strings.Split(s, ":") {
			if i == 0 && strings.TrimPrefix(item, "@") == "NONE" {
				clear(on)
				continue
			}
			if len(item) < 2 || !strings.HasPrefix(item[1:], "VERS-") {
				continue
			}
			add := item[0] == '+'
			if !add && item[0] != '-' && item[0] != '!' {
				continue
			}
			var vs []uint16
			switch item[6:] {
			case "ALL", "TLS-ALL":
				vs = all
			case "TLS1.0":
				vs = all[0:1]
			case "TLS1.1":
				vs = all[1:2]
			case "TLS1.2":
				vs = all[2:3]
			case "TLS1.3":
				vs = all[3:4]
			}
			for _, v := range vs {
				on[v] = add
			}
		}
	}
	for _, v := range all {
		if on[v] {
			if min == 0 {
				min = v
			}
			max = v
		}
	}
	if min == 0 {
		return 0, 0, &Error{Libvirt: protocol.NewError(protocol.FromRPC, protocol.ErrInternalError,
			"Failed to set TLS session priority to "+s+": no TLS protocol version is enabled")}
	}
	return min, max, nil
}

// errnoOf returns the errno inside err, or -1.
func errnoOf(err error) int {
	var e syscall.Errno
	if errors.As(err, &e) {
		return int(e)
	}
	return -1
}

// strerror formats err as C's strerror would when it carries an errno
// ("No such file or directory"), and as Go does otherwise.
func strerror(err error) string {
	var e syscall.Errno
	if errors.As(err, &e) {
		s := e.Error()
		if s != "" && 'a' <= s[0] && s[0] <= 'z' {
			s = string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}
