package client

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/protocol"
)

// testPKI is a generated PKI with the client's files written where a
// pkipath= parameter can point.
type testPKI struct {
	*pki.PKI
	clientDir string
}

func newTestPKI(t *testing.T, opts ...pki.Option) *testPKI {
	t.Helper()
	p := pki.New(t, opts...)
	dir := filepath.Join(t.TempDir(), "client")
	if _, err := p.WriteClientDir(dir); err != nil {
		t.Fatal(err)
	}
	return &testPKI{PKI: p, clientDir: dir}
}

// writeClient writes an arbitrary client layout and returns its directory.
func writeClient(t *testing.T, l pki.Layout) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "client")
	if _, err := pki.WriteClient(dir, l); err != nil {
		t.Fatal(err)
	}
	return dir
}

func wantLibvirtError(t *testing.T, what string, err error, code protocol.ErrorCode, domain protocol.ErrorDomain, msg string) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code || pe.Domain != domain || pe.Message.Value != msg {
		t.Errorf("%s = %v; want %d/%d %q", what, err, code, domain, msg)
	}
}

// TestTLSRealDaemon connects to libvirtd's TLS listener with the client
// layouts of FACTS §11 and h_tls_probe: a good PKI, a CA the server's
// certificate does not chain to (with and without no_verify=1), a server
// certificate for another host, a CRL revoking the server, no client
// certificate (the server closes instead of confirming), and a missing CA
// file. Where libvirt's client fails with a libvirt error, python-libvirt is
// run on the same URI and must fail with the same code, domain and text.
func TestTLSRealDaemon(t *testing.T) {
	p := newTestPKI(t)
	// An unrelated CA. Its name differs too: gnutls matches CRLs to
	// certificates by issuer name, so a CRL from another CA with the same
	// name would revoke for libvirt.
	other := pki.New(t, pki.EditCA(func(s *pki.Spec) { s.Subject.CommonName = "another CA" }))
	elsewhere := pki.New(t, pki.WithServerNames("elsewhere.example"))
	revokeServer, err := pki.NewCRL(p.CA, pki.CRLSpec{Revoked: []*big.Int{p.Server.Cert.SerialNumber}})
	if err != nil {
		t.Fatal(err)
	}
	revokeOther, err := pki.NewCRL(other.CA, pki.CRLSpec{Revoked: []*big.Int{p.Server.Cert.SerialNumber}})
	if err != nil {
		t.Fatal(err)
	}
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TLS(p.PKI))
	d2 := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TLS(elsewhere))
	ip := "test+tls://127.0.0.1:" + d.TLSPort() + d.File("node.xml") + "?pkipath=" + p.clientDir

	verifyFailed := "authentication failed: Failed to verify peer's certificate"
	for _, tc := range []struct {
		name     string
		uri      string
		ok       bool
		rejected bool   // the server refuses our certificate
		libvirt  string // a libvirt error message, checked against python
		code     protocol.ErrorCode
	}{
		{name: "good", uri: d.TLSURI("node.xml", p.clientDir), ok: true},
		{name: "good by IP SAN", uri: ip, ok: true},
		{name: "unknown CA", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{other.CA}})),
			libvirt: verifyFailed, code: protocol.ErrAuthFailed},
		{name: "unknown CA, no_verify", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{other.CA}})) + "&no_verify=1",
			rejected: true},
		{name: "unknown CA, no_verify, our cert", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{other.CA}, Cert: p.Client})) + "&no_verify=1&no_sanity=1",
			ok: true},
		{name: "hostname mismatch", uri: d2.TLSURI("node.xml", writeClient(t, elsewhere.ClientLayout())),
			libvirt: verifyFailed, code: protocol.ErrAuthFailed},
		{name: "hostname mismatch, no_verify", uri: d2.TLSURI("node.xml", writeClient(t, elsewhere.ClientLayout())) + "&no_verify=1",
			ok: true},
		{name: "server revoked", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{p.CA}, Cert: p.Client, CRLs: []*pki.CRL{revokeServer}})),
			libvirt: verifyFailed, code: protocol.ErrAuthFailed},
		{name: "CRL from another CA is ignored", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{p.CA}, Cert: p.Client, CRLs: []*pki.CRL{revokeOther}})),
			ok: true},
		{name: "no client certificate", uri: d.TLSURI("node.xml", writeClient(t, pki.Layout{CA: []*pki.Cert{p.CA}})), rejected: true},
		{name: "missing CA", uri: d.TLSURI("node.xml", "/nonexistent/pki"),
			libvirt: "Cannot read CA certificate '/nonexistent/pki/cacert.pem': No such file or directory", code: protocol.ErrSystemError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Dial(testCtx(t), tc.uri)
			if (tc.ok || tc.rejected) && libvirtd.PythonAvailable() {
				if py := runPyOpen(t, []string{tc.uri})[0]; py.OK != tc.ok {
					t.Errorf("python-libvirt: ok=%v %+v; want ok=%v", py.OK, py.Error, tc.ok)
				} else if !py.OK {
					t.Logf("python-libvirt: %d/%d %q", py.Error.Code, py.Error.Domain, py.Error.Message)
				}
			}
			switch {
			case tc.ok:
				if err != nil {
					t.Fatalf("Dial = %v", err)
				}
				defer c.Close()
				doms, err := c.ListAllDomains(testCtx(t), 0)
				if err != nil || len(doms) != 8 {
					t.Errorf("ListAllDomains = %d, %v", len(doms), err)
				}
				if sec, err := c.ConnectIsSecure(testCtx(t)); err != nil || !sec {
					t.Errorf("ConnectIsSecure = %v, %v; want true over TLS", sec, err)
				}
			case tc.rejected:
				if !errors.Is(err, ErrCertificateRejected) {
					t.Errorf("Dial = %v; want ErrCertificateRejected", err)
				}
			default:
				wantLibvirtError(t, "Dial", err, tc.code, protocol.FromRPC, tc.libvirt)
				if libvirtd.PythonAvailable() {
					py := runPyOpen(t, []string{tc.uri})[0]
					if py.OK || py.Error.Code != int32(tc.code) || py.Error.Domain != int32(protocol.FromRPC) || py.Error.Message != tc.libvirt {
						t.Errorf("python-libvirt: %+v; want %d/7 %q", py.Error, tc.code, tc.libvirt)
					}
				}
			}
		})
	}
}

// TestTLSFakeServer covers what libvirtd cannot be made to do: an expired
// server certificate (libvirtd refuses to start with one), and a bad,
// missing or late confirmation byte.
func TestTLSFakeServer(t *testing.T) {
	answer := func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err != nil {
			return
		}
		p.serve(func(f frame) bool { p.reply(f, &protocol.StringRet{Value: "TEST"}); return true })
	}
	serverConf := func(p *pki.PKI) *tls.Config {
		kp, err := tls.X509KeyPair(pki.PEMBundle(p.Server), mustKeyPEM(t, p.Server))
		if err != nil {
			t.Fatal(err)
		}
		return &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequestClientCert}
	}
	good := newTestPKI(t)
	expired := newTestPKI(t, pki.EditServer(func(s *pki.Spec) {
		s.NotBefore, s.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	}))
	for _, tc := range []struct {
		name    string
		p       *testPKI
		confirm int
		extra   string
		opts    []Option
		check   func(t *testing.T, c *Conn, err error)
	}{
		{"good", good, 1, "", nil, func(t *testing.T, c *Conn, err error) {
			if err != nil {
				t.Fatalf("Dial = %v", err)
			}
			if typ, err := c.ConnectGetType(testCtx(t)); err != nil || typ != "TEST" {
				t.Errorf("ConnectGetType = %q, %v", typ, err)
			}
		}},
		{"expired server certificate", expired, 1, "", nil, func(t *testing.T, c *Conn, err error) {
			wantLibvirtError(t, "Dial", err, protocol.ErrAuthFailed, protocol.FromRPC, "authentication failed: Failed to verify peer's certificate")
			var ce *CertificateError
			if !errors.As(err, &ce) || !strings.Contains(ce.Error(), "expired") {
				t.Errorf("reason = %v; want an expiry", err)
			}
		}},
		{"expired server certificate, no_verify", expired, 1, "&no_verify=1", nil, func(t *testing.T, c *Conn, err error) {
			if err != nil {
				t.Errorf("Dial = %v; want success", err)
			}
		}},
		{"confirmation byte 2", good, 2, "", nil, func(t *testing.T, c *Conn, err error) {
			if !errors.Is(err, ErrProtocol) {
				t.Errorf("Dial = %v; want ErrProtocol", err)
			}
		}},
		{"closed without confirmation", good, -1, "", nil, func(t *testing.T, c *Conn, err error) {
			if !errors.Is(err, ErrCertificateRejected) {
				t.Errorf("Dial = %v; want ErrCertificateRejected", err)
			}
		}},
		{"no confirmation", good, -2, "", []Option{func(o *options) { o.confirmTimeout = 100 * time.Millisecond }},
			func(t *testing.T, c *Conn, err error) {
				if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrCertificateRejected) {
					t.Errorf("Dial = %v; want a timeout", err)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeTCPServer(t, serverConf(tc.p.PKI), tc.confirm, answer)
			c, err := Dial(testCtx(t), s.URI()+"?pkipath="+tc.p.clientDir+tc.extra, append(tc.opts, WithKeepalive(0, 0))...)
			if c != nil {
				defer c.Close()
			}
			tc.check(t, c, err)
		})
	}
}

func mustKeyPEM(t *testing.T, c *pki.Cert) []byte {
	t.Helper()
	b, err := c.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTLSNoSNI checks that the client sends no SNI, as libvirt (FACTS
// §11), and that the server certificate is still checked against the URI's
// host.
func TestTLSNoSNI(t *testing.T) {
	p := newTestPKI(t)
	kp, err := tls.X509KeyPair(pki.PEMBundle(p.Server), mustKeyPEM(t, p.Server))
	if err != nil {
		t.Fatal(err)
	}
	sni := make(chan string, 1)
	conf := &tls.Config{
		Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAnyClientCert,
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) { sni <- h.ServerName; return nil, nil },
	}
	s := newFakeTCPServer(t, conf, 1, func(p *peer) {
		if _, err := p.handshake(handshakeOpts{}); err == nil {
			p.serve(func(frame) bool { return true })
		}
	})
	c, err := Dial(testCtx(t), s.URI()+"?pkipath="+p.clientDir, WithKeepalive(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-sni; got != "" {
		t.Errorf("SNI = %q; want none", got)
	}
}

// hostCert makes a server certificate with the given CN and SANs.
func hostCert(t *testing.T, cn string, names ...string) *x509.Certificate {
	t.Helper()
	ca := pki.New(t).CA
	s := pki.ServerSpec(cn)
	s.DNSNames, s.IPAddresses = nil, nil
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			s.IPAddresses = append(s.IPAddresses, ip)
		} else {
			s.DNSNames = append(s.DNSNames, n)
		}
	}
	return pki.MustCert(t, s, ca).Cert
}

// TestMatchHostname checks the hostname rules of gnutls that libvirt uses,
// including the rows of libvirt's virnettlssessiontest.c (RELIABILITY.md
// test 49: alt1, alt2, the CN-only "perfect" certificate).
func TestMatchHostname(t *testing.T) {
	alt1 := hostCert(t, "libvirt.org", "www.libvirt.org", "libvirt.org", "192.168.122.1", "fec0::dead:beaf")
	alt2 := hostCert(t, "libvirt.org", "www.libvirt.org", "wiki.libvirt.org")
	cnOnly := hostCert(t, "libvirt.org")
	wild := hostCert(t, "x", "*.libvirt.org", "w*.example.com", "*.org")
	ipInDNS := hostCert(t, "x", "127.0.0.1")
	ipInDNS.DNSNames, ipInDNS.IPAddresses = []string{"127.0.0.1"}, nil
	twoCN := hostCert(t, "libvirt.org")
	twoCN.Subject.Names = append(twoCN.Subject.Names, pkix.AttributeTypeAndValue{Type: []int{2, 5, 4, 3}, Value: "other"})
	// want is gnutls's answer, which WithLegacyCommonName gives; by
	// default a CN never names the server, so the CN-only rows fail.
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		host string
		want bool
		dflt bool
	}{
		{"alt1 libvirt.org", alt1, "libvirt.org", true, true},
		{"alt1 www", alt1, "www.libvirt.org", true, true},
		{"alt1 wiki", alt1, "wiki.libvirt.org", false, false},
		{"alt1 IPv4", alt1, "192.168.122.1", true, true},
		{"alt1 IPv6", alt1, "fec0::dead:beaf", true, true},
		{"alt1 other IP", alt1, "192.168.122.2", false, false},
		{"alt2 CN ignored with SANs", alt2, "libvirt.org", false, false},
		{"alt2 www", alt2, "www.libvirt.org", true, true},
		{"alt2 wiki", alt2, "wiki.libvirt.org", true, true},
		{"CN only", cnOnly, "libvirt.org", true, false},
		{"CN only, case", cnOnly, "LibVirt.ORG", true, false},
		{"CN only, other", cnOnly, "www.libvirt.org", false, false},
		{"two CNs", twoCN, "libvirt.org", false, false},
		{"wildcard", wild, "www.libvirt.org", true, true},
		{"wildcard one label only", wild, "a.b.libvirt.org", false, false},
		{"wildcard not the parent", wild, "libvirt.org", false, false},
		{"partial wildcard", wild, "www.example.com", true, true},
		{"partial wildcard prefix", wild, "xww.example.com", false, false},
		{"wildcard needs two labels", wild, "libvirt.org.", false, false},
		{"no *.org", wild, "example.org", false, false},
		{"IP in a DNS SAN", ipInDNS, "127.0.0.1", true, true},
	} {
		if got := matchHostname(tc.cert, tc.host, true); got != tc.want {
			t.Errorf("%s: matchHostname(%v, %q, legacyCN) = %v; want %v", tc.name, tc.cert.DNSNames, tc.host, got, tc.want)
		}
		if got := matchHostname(tc.cert, tc.host, false); got != tc.dflt {
			t.Errorf("%s: matchHostname(%v, %q) = %v; want %v", tc.name, tc.cert.DNSNames, tc.host, got, tc.dflt)
		}
	}
}

// TestCheckLeaf checks libvirt's rules for a leaf certificate's
// extensions, with their criticality (rows of virnettlscontexttest.c,
// RELIABILITY.md tests 48 and 50).
func TestCheckLeaf(t *testing.T) {
	ca := pki.New(t).CA
	mk := func(edit func(s *pki.Spec)) *x509.Certificate {
		s := pki.ServerSpec("localhost")
		edit(&s)
		return pki.MustCert(t, s, ca).Cert
	}
	ds, ke, cs := x509.KeyUsageDigitalSignature, x509.KeyUsageKeyEncipherment, x509.KeyUsageCertSign
	for _, tc := range []struct {
		name   string
		cert   *x509.Certificate
		server bool
		ok     bool // libvirt's rule, for our own certificates
	}{
		{"usual server", mk(func(*pki.Spec) {}), true, true},
		{"no extensions", mk(func(s *pki.Spec) { s.BasicConstraints, s.KeyUsage, s.ExtKeyUsage = nil, nil, nil }), true, true},
		{"leaf that is a CA", mk(func(s *pki.Spec) {
			s.BasicConstraints = &pki.BasicConstraints{Critical: true, IsCA: true, MaxPathLen: -1}
		}), true, false},
		{"KU certSign critical", mk(func(s *pki.Spec) { s.KeyUsage = &pki.KeyUsage{Critical: true, Usage: cs} }), true, false},
		{"KU certSign non-critical", mk(func(s *pki.Spec) { s.KeyUsage = &pki.KeyUsage{Usage: cs} }), true, true},
		{"KU 0 critical", mk(func(s *pki.Spec) { s.KeyUsage = &pki.KeyUsage{Critical: true} }), true, false},
		{"KU DS only critical", mk(func(s *pki.Spec) { s.KeyUsage = &pki.KeyUsage{Critical: true, Usage: ds} }), true, false},
		{"KU DS+KE+certSign critical", mk(func(s *pki.Spec) { s.KeyUsage = &pki.KeyUsage{Critical: true, Usage: ds | ke | cs} }), true, true},
		{"EKU client critical, as server", mk(func(s *pki.Spec) {
			s.ExtKeyUsage = &pki.ExtKeyUsage{Critical: true, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		}), true, false},
		{"EKU client non-critical, as server", mk(func(s *pki.Spec) {
			s.ExtKeyUsage = &pki.ExtKeyUsage{Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		}), true, true},
		{"EKU client+server critical", mk(func(s *pki.Spec) {
			s.ExtKeyUsage = &pki.ExtKeyUsage{Critical: true, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
		}), true, true},
		{"EKU server critical, as client", mk(func(s *pki.Spec) {
			s.ExtKeyUsage = &pki.ExtKeyUsage{Critical: true, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		}), false, false},
	} {
		err := checkLeaf(tc.cert, "test", tc.server, false, nil)
		if (err == nil) != tc.ok {
			t.Errorf("%s: checkLeaf = %v; want ok=%v", tc.name, err, tc.ok)
		}
		// For the server's certificate, a wrong extKeyUsage and a
		// keyUsage without digitalSignature fail even when not critical
		// (test 50); nothing else changes.
		peerOK := tc.ok && !strings.HasPrefix(tc.name, "EKU client non-critical") && tc.name != "KU certSign non-critical"
		if err := checkLeaf(tc.cert, "test", tc.server, true, nil); (err == nil) != peerOK {
			t.Errorf("%s: checkLeaf(peer) = %v; want ok=%v", tc.name, err, peerOK)
		}
	}
}

// TestSanityChecks checks our own certificates at Dial, before any
// connection (no_sanity=1 skips them): an expired client certificate, a
// client certificate from another CA, a CA without basicConstraints.
func TestSanityChecks(t *testing.T) {
	other := pki.New(t)
	expiredClient := pki.New(t, pki.EditClient(func(s *pki.Spec) { s.NotAfter = time.Now().Add(-time.Hour) }))
	noBC := pki.New(t, pki.EditCA(func(s *pki.Spec) { s.BasicConstraints = nil }))
	for _, tc := range []struct {
		name   string
		layout pki.Layout
		reason string
	}{
		{"expired client certificate", expiredClient.ClientLayout(), "has expired"},
		{"client certificate from another CA", pki.Layout{CA: []*pki.Cert{other.CA}, Cert: pki.New(t).Client}, "cannot be verified"},
		{"CA without basicConstraints", noBC.ClientLayout(), "basic constraints do not show a CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeClient(t, tc.layout)
			// Nothing listens here: the check fails before connecting.
			uri := "test+tls://127.0.0.1:1/x?pkipath=" + dir
			_, err := Dial(testCtx(t), uri)
			var ce *CertificateError
			if !errors.Is(err, protocol.ErrSystemError) || !errors.As(err, &ce) || !strings.Contains(ce.Reason, tc.reason) {
				t.Errorf("Dial = %v; want a system error about %q", err, tc.reason)
			}
			if err != nil && strings.Count(err.Error(), tc.reason) != 1 {
				t.Errorf("Dial = %q; want the reason %q said once", err, tc.reason)
			}
			if _, err := Dial(testCtx(t), uri+"&no_sanity=1"); errors.As(err, &ce) {
				t.Errorf("Dial with no_sanity=1 = %v; want the checks skipped", err)
			}
		})
	}
}

// TestCheckTimesOrder checks that the validity window is checked as
// libvirt and the server check it: expiry first, so a certificate whose
// window is inverted (NotAfter before NotBefore) has expired.
func TestCheckTimesOrder(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name                string
		notBefore, notAfter time.Time
		want                string
	}{
		{"valid", now.Add(-time.Hour), now.Add(time.Hour), ""},
		{"expired", now.Add(-2 * time.Hour), now.Add(-time.Hour), "has expired"},
		{"not yet active", now.Add(time.Hour), now.Add(2 * time.Hour), "is not yet active"},
		{"inverted window", now.Add(time.Hour), now.Add(-time.Hour), "has expired"},
	} {
		err := checkTimes(&x509.Certificate{NotBefore: tc.notBefore, NotAfter: tc.notAfter}, "test", now)
		var ce *CertificateError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: checkTimes = %v; want nil", tc.name, err)
		case tc.want != "" && (!errors.As(err, &ce) || ce.Reason != tc.want):
			t.Errorf("%s: checkTimes = %v; want reason %q", tc.name, err, tc.want)
		}
	}
}

// TestServerSubjectInLibvirtOrder checks that a *CertificateError names
// the server's certificate as libvirt and the server write DNs, in the
// certificate's own order (C=UK,CN=libvirt), not in Go's reversed one.
func TestServerSubjectInLibvirtOrder(t *testing.T) {
	ca := pki.MustCert(t, pki.CASpec("ca"), nil)
	spec := pki.ServerSpec("")
	spec.SubjectSequence = pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "UK"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "libvirt"}},
	}
	srv := pki.MustCert(t, spec, ca)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	tc := &tlsClient{roots: roots, cas: []*x509.Certificate{ca.Cert}, hostname: "elsewhere.example"}
	err := tc.checkServer([]*x509.Certificate{srv.Cert}, time.Now())
	var ce *CertificateError
	if !errors.As(err, &ce) || ce.Subject != "C=UK,CN=libvirt" || !strings.HasPrefix(ce.Error(), "certificate C=UK,CN=libvirt: owner does not match") {
		t.Errorf("checkServer = %v; want a host mismatch naming C=UK,CN=libvirt", err)
	}
}

// TestParsePriority checks the TLS version part of tls_priority.
func TestParsePriority(t *testing.T) {
	for _, tc := range []struct {
		s        string
		min, max uint16
		err      bool
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13, false},
		{"NORMAL", tls.VersionTLS12, tls.VersionTLS13, false},
		{"NORMAL:-VERS-TLS1.3", tls.VersionTLS12, tls.VersionTLS12, false},
		{"NORMAL:-VERS-ALL:+VERS-TLS1.3", tls.VersionTLS13, tls.VersionTLS13, false},
		{"NORMAL:+VERS-TLS1.0", tls.VersionTLS10, tls.VersionTLS13, false},
		{"SECURE256:%COMPAT:-CIPHER-ALL:+AES-256-GCM", tls.VersionTLS12, tls.VersionTLS13, false},
		{"NONE:+VERS-TLS1.2:+AES-128-GCM", tls.VersionTLS12, tls.VersionTLS12, false},
		{"NORMAL:-VERS-TLS-ALL", 0, 0, true},
	} {
		min, max, err := parsePriority(tc.s)
		if (err != nil) != tc.err || min != tc.min || max != tc.max {
			t.Errorf("parsePriority(%q) = %#x, %#x, %v; want %#x, %#x, err %v", tc.s, min, max, err, tc.min, tc.max, tc.err)
		}
	}
}

// TestPKIFiles checks the TLS file lookup of FACTS §11.
func TestPKIFiles(t *testing.T) {
	dir := fakeRoot(t, 1000)
	home := filepath.Join(dir, "home")
	user := filepath.Join(home, ".pki", "libvirt")
	t.Setenv("HOME", home)
	old := GlobalPKI
	GlobalPKI = PKIFiles{CACert: "/g/ca", CRL: "/g/crl", Cert: "/g/cert", Key: "/g/key"}
	t.Cleanup(func() { GlobalPKI = old })
	parse := func(s string) *URI {
		u, err := ParseURI(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	check := func(name string, got, want PKIFiles) {
		t.Helper()
		if got != want {
			t.Errorf("%s: PKIFiles() = %+v; want %+v", name, got, want)
		}
	}
	u := parse("qemu+tls://h/system")
	check("user, no files", u.PKIFiles(), GlobalPKI)
	touch(t, filepath.Join(user, "cacert.pem"))
	touch(t, filepath.Join(user, "clientcert.pem"))
	check("user CA, cert without key", u.PKIFiles(), PKIFiles{filepath.Join(user, "cacert.pem"), "/g/crl", "/g/cert", "/g/key"})
	touch(t, filepath.Join(user, "clientkey.pem"))
	touch(t, filepath.Join(user, "cacrl.pem"))
	check("user, all files", u.PKIFiles(), pkiIn(user))
	geteuid = func() int { return 0 }
	check("root", u.PKIFiles(), GlobalPKI)
	check("pkipath", parse("qemu+tls://h/system?pkipath=/p").PKIFiles(), PKIFiles{"/p/cacert.pem", "/p/cacrl.pem", "/p/clientcert.pem", "/p/clientkey.pem"})
	geteuid = func() int { return 1000 }
	t.Setenv("HOME", "")
	check("user without HOME", u.PKIFiles(), GlobalPKI)
}
