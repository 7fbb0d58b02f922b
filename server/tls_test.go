package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// startTLS serves a TLS listener with cfg and returns its address.
func startTLS(t *testing.T, opts Options, cfg TLSConfig) (*Server, *testLog, string) {
	t.Helper()
	lg := &testLog{}
	opts.Logger = newSlog(lg)
	s := New(opts)
	echoSetup(s)
	ln, err := s.ListenTLS("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ln) }()
	t.Cleanup(func() { s.Close(); <-served })
	return s, lg, ln.Addr().String()
}

// tlsDial handshakes as a client with the given certificate (nil: none)
// and returns the connection, or the handshake error.
func tlsDial(t *testing.T, addr string, ca *testCert, cert *tls.Certificate, maxVersion uint16) (*tls.Conn, error) {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MaxVersion: maxVersion}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	tc := tls.Client(nc, cfg)
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return nil, err
	}
	return tc, nil
}

// confirmation reads what follows the handshake: the 0x01 byte and a
// working connection, or EOF with no byte. A CALL is sent at once, as a
// client that does not wait for the byte would (test 52).
func confirmation(t *testing.T, tc *tls.Conn) (accepted bool) {
	t.Helper()
	tc.Write(frame(callHeader(echoProc, 1), []byte{0, 0, 0, 1}))
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	n, err := io.ReadFull(tc, b[:])
	if n == 0 {
		if err == nil || (!errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isReset(err)) {
			t.Fatalf("after the handshake: %v, want the byte or EOF", err)
		}
		return false
	}
	if b[0] != 1 {
		t.Fatalf("confirmation byte %#x, want 0x01", b[0])
	}
	fr := protocol.NewFrameReader(tc)
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatalf("reply after the confirmation byte: %v", err)
	}
	if f.Header.Serial != 1 || f.Header.Status != protocol.StatusOK {
		t.Fatalf("reply %v", f.Header)
	}
	return true
}

// TestTLSClientCertificates covers RELIABILITY tests 49-53 and 58 from the
// server's side: which client certificates get the confirmation byte, and
// that every refusal is a close with no byte, after a handshake that
// succeeded (gnutls's CERT_REQUEST), even for a CALL sent at once.
func TestTLSClientCertificates(t *testing.T) {
	p := newPKI(t)
	otherCA := makeCert(t, caSpec("Other CA"), nil)
	inter := makeCert(t, caSpec("Libvirt Intermediate"), p.ca)
	leaf := func(mod func(*certSpec), issuer *testCert) *testCert {
		s := clientSpec()
		if mod != nil {
			mod(&s)
		}
		return makeCert(t, s, issuer)
	}
	good := leaf(nil, p.ca)
	revoked := leaf(nil, p.ca)
	p.write(t, CRLFile, append(crlPEM(t, p.ca, revoked), crlPEM(t, otherCA, good)...))

	type row struct {
		name    string
		cert    *testCert
		chain   []*testCert
		dns     []string // AllowedDNs
		accept  bool
		logLine string
	}
	rows := []row{
		{name: "perfect client", cert: good, accept: true},
		{name: "no client certificate", cert: nil, logLine: "Unable to verify TLS peer: No certificate was found."},
		{name: "other CA", cert: leaf(nil, otherCA)},
		{name: "expired", cert: leaf(func(s *certSpec) { s.notBefore, s.notAfter = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour) }, p.ca), logLine: "The client certificate has expired"},
		{name: "not yet valid", cert: leaf(func(s *certSpec) { s.notBefore, s.notAfter = time.Now().Add(time.Hour), time.Now().Add(2*time.Hour) }, p.ca), logLine: "The client certificate is not yet active"},
		{name: "revoked by the CA's CRL", cert: revoked, logLine: "Certificate failed validation: The certificate has been revoked."},
		{name: "chain root→intermediate→client", cert: leaf(nil, inter), chain: []*testCert{inter}, accept: true},
		{name: "leaf is a CA (P7)", cert: leaf(func(s *certSpec) { s.isCA = true }, p.ca)},
		{name: "KU certSign critical (client 8)", cert: leaf(func(s *certSpec) { s.ku = x509.KeyUsageCertSign }, p.ca)},
		{name: "KU certSign non-critical (refused in the handshake by gnutls, test 50)", cert: leaf(func(s *certSpec) { s.ku, s.kuCritical = x509.KeyUsageCertSign, false }, p.ca)},
		{name: "KU digSig non-critical", cert: leaf(func(s *certSpec) { s.ku, s.kuCritical = x509.KeyUsageDigitalSignature, false }, p.ca), accept: true},
		{name: "KU 0 critical", cert: leaf(func(s *certSpec) { s.ku = 0 }, p.ca)},
		{name: "no KU, no EKU, no BC", cert: leaf(func(s *certSpec) { s.kuSet, s.eku, s.bc = false, nil, false }, p.ca), accept: true},
		{name: "EKU server critical", cert: leaf(func(s *certSpec) { s.eku = []asn1.ObjectIdentifier{oidServerAuth} }, p.ca)},
		{name: "EKU server non-critical (stricter than libvirt)", cert: leaf(func(s *certSpec) { s.eku, s.ekuCrit = []asn1.ObjectIdentifier{oidServerAuth}, false }, p.ca)},
		{name: "EKU client+server", cert: leaf(func(s *certSpec) { s.eku = []asn1.ObjectIdentifier{oidServerAuth, oidClientAuth} }, p.ca), accept: true},
		{name: "DN list empty admits nobody", cert: good, dns: []string{}, logLine: errDNNotAllowed.Error()},
		{name: "DN C=UK,CN=dogfood", cert: good, dns: []string{"C=UK,CN=dogfood"}},
		{name: "DN C=UK,CN=libvirt", cert: good, dns: []string{"C=UK,CN=libvirt"}, accept: true},
		{name: "DN both", cert: good, dns: []string{"C=UK,CN=dogfood", "C=UK,CN=libvirt"}, accept: true},
		{name: "DN C=UK,CN=libvirtstuff", cert: good, dns: []string{"C=UK,CN=libvirtstuff"}},
		{name: "DN C=UK,CN=libvirt*", cert: good, dns: []string{"C=UK,CN=libvirt*"}, accept: true},
		{name: "DN C=UK,CN=*virt*", cert: good, dns: []string{"C=UK,CN=*virt*"}, accept: true},
		{name: "DN in Go's order does not match", cert: good, dns: []string{"CN=libvirt,C=UK"}},
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, r := range rows {
			t.Run(tls.VersionName(version)+"/"+r.name, func(t *testing.T) {
				s, lg, addr := startTLS(t, Options{}, TLSConfig{Dir: p.dir, AllowedDNs: r.dns})
				var cert *tls.Certificate
				if r.cert != nil {
					c := r.cert.tlsCert(r.chain...)
					cert = &c
				}
				tc, err := tlsDial(t, addr, p.ca, cert, version)
				if err != nil {
					t.Fatalf("handshake failed: %v (the server only requests a certificate)", err)
				}
				if got := confirmation(t, tc); got != r.accept {
					t.Fatalf("accepted = %v, want %v; log:\n%s", got, r.accept, lg)
				}
				if r.accept {
					conn := s.Conns()[0]
					if dn := conn.ClientDN(); dn != "C=UK,CN=libvirt" || conn.TLSState() == nil || conn.Transport() != TransportTLS {
						t.Errorf("ClientDN %q TLSState %v transport %v", dn, conn.TLSState(), conn.Transport())
					}
				} else {
					waitFor(t, "the rejection", func() bool { return s.Stats().Rejected == 1 })
					if s.Stats().Frames != 0 {
						t.Error("a frame was read from a refused client")
					}
					if r.logLine != "" && !lg.has(r.logLine) {
						t.Errorf("log lacks %q:\n%s", r.logLine, lg)
					}
				}
			})
		}
	}
}

// TestTLSNoVerify covers tls_no_verify_certificate (test 53): no client
// certificate needed, and a warning logged.
func TestTLSNoVerify(t *testing.T) {
	p := newPKI(t)
	_, lg, addr := startTLS(t, Options{}, TLSConfig{Dir: p.dir, NoVerifyCertificate: true})
	tc, err := tlsDial(t, addr, p.ca, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !confirmation(t, tc) {
		t.Fatal("refused with NoVerifyCertificate")
	}
	if !lg.has("TLS client certificate not verified (NoVerifyCertificate)") {
		t.Errorf("no warning:\n%s", lg)
	}
	s := New(Options{})
	defer s.Close()
	if _, err := s.ListenTLS("0.0.0.0:0", TLSConfig{Dir: p.dir, NoVerifyCertificate: true}); !errors.Is(err, ErrInsecureListen) {
		t.Errorf("non-loopback TLS without verification: %v, want ErrInsecureListen", err)
	}
}

// TestTLSHandshakeTimeout checks that a client that never handshakes is
// closed after HandshakeTimeout.
func TestTLSHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	s, _, addr := startTLS(t, Options{}, TLSConfig{Dir: p.dir, HandshakeTimeout: 100 * time.Millisecond})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(nc); err != nil && !isReset(err) {
		t.Fatalf("read: %v", err)
	}
	waitFor(t, "the rejection", func() bool { return s.Stats().Rejected == 1 })
}

// TestTLSServerPKI covers the server's checks of its own files at load
// (RELIABILITY test 48, server side): libvirt's fatal rows fail ListenTLS,
// its warning rows pass.
func TestTLSServerPKI(t *testing.T) {
	p := newPKI(t)
	ca := p.ca
	srv := func(mod func(*certSpec)) *testCert {
		s := serverSpec()
		mod(&s)
		return makeCert(t, s, ca)
	}
	caMod := func(mod func(*certSpec)) *testCert {
		s := caSpec("Bad CA")
		mod(&s)
		return makeCert(t, s, nil)
	}
	cases := []struct {
		name    string
		ca      *testCert // nil: the good CA
		server  *testCert // nil: signed by ca with serverSpec
		wantErr string    // "" for success
	}{
		{name: "perfect"},
		{name: "CA without basicConstraints (cacert5)", ca: caMod(func(s *certSpec) { s.bc = false }), wantErr: "missing basic constraints"},
		{name: "CA with KU digSig critical (cacert6)", ca: caMod(func(s *certSpec) { s.ku = x509.KeyUsageDigitalSignature }), wantErr: "certificate signing"},
		{name: "CA with KU digSig non-critical (cacert4)", ca: caMod(func(s *certSpec) { s.ku, s.kuCritical = x509.KeyUsageDigitalSignature, false }), wantErr: "does not verify"},
		{name: "CA without KU", ca: caMod(func(s *certSpec) { s.kuSet = false })},
		{name: "CA with BC non-critical", ca: caMod(func(s *certSpec) { s.bcCritical = false })},
		{name: "expired CA", ca: caMod(func(s *certSpec) { s.notBefore, s.notAfter = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour) }), wantErr: "has expired"},
		{name: "server KU certSign critical (server 14)", server: srv(func(s *certSpec) { s.ku = x509.KeyUsageCertSign }), wantErr: "digital signature"},
		{name: "server KU certSign non-critical", server: srv(func(s *certSpec) { s.ku, s.kuCritical = x509.KeyUsageCertSign, false })},
		{name: "server EKU client critical (server 15)", server: srv(func(s *certSpec) { s.eku = []asn1.ObjectIdentifier{oidClientAuth} }), wantErr: "purpose"},
		{name: "server EKU client non-critical", server: srv(func(s *certSpec) { s.eku, s.ekuCrit = []asn1.ObjectIdentifier{oidClientAuth}, false })},
		{name: "server is a CA", server: srv(func(s *certSpec) { s.isCA = true }), wantErr: "show a CA"},
		{name: "server not yet valid", server: srv(func(s *certSpec) { s.notBefore, s.notAfter = time.Now().Add(time.Hour), time.Now().Add(2*time.Hour) }), wantErr: "not yet active"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := ca
			if tc.ca != nil {
				c = tc.ca
			}
			server := tc.server
			if server == nil {
				server = makeCert(t, serverSpec(), c)
			}
			os.WriteFile(filepath.Join(dir, CACertFile), c.pem, 0o600)
			os.WriteFile(filepath.Join(dir, ServerCertFile), server.pem, 0o600)
			os.WriteFile(filepath.Join(dir, ServerKeyFile), server.kpem, 0o600)
			s := New(Options{})
			defer s.Close()
			ln, err := s.ListenTLS("127.0.0.1:0", TLSConfig{Dir: dir})
			if ln != nil {
				ln.Close()
			}
			var te *TLSError
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("ListenTLS: %v", err)
			case tc.wantErr != "" && (!errors.As(err, &te) || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("ListenTLS = %v, want a TLSError containing %q", err, tc.wantErr)
			}
		})
	}
	s := New(Options{})
	defer s.Close()
	if _, err := s.ListenTLS("127.0.0.1:0", TLSConfig{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "Cannot read CA certificate") {
		t.Errorf("missing files: %v", err)
	}
}

// TestFormatDN checks libvirt's DN order and escaping (RELIABILITY P7).
func TestFormatDN(t *testing.T) {
	name := pkix.Name{Country: []string{"UK"}, Organization: []string{"Libvirt, Inc+"}, CommonName: "libvirt"}
	raw, _ := asn1.Marshal(name.ToRDNSequence())
	got, err := FormatDN(raw)
	if want := `C=UK,O=Libvirt\, Inc\+,CN=libvirt`; err != nil || got != want {
		t.Errorf("FormatDN = %q, %v; want %q", got, err, want)
	}
	if goOrder := name.String(); goOrder == got {
		t.Errorf("Go's order %q equals libvirt's", goOrder)
	}
	// The certificate's own order of RDNs is kept, whatever it is (the
	// attributes of one RDN are a DER SET, sorted).
	rev := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " lead#"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 6}, Value: "UK"}, {Type: asn1.ObjectIdentifier{1, 2, 3}, Value: 7}},
	}
	raw, _ = asn1.Marshal(rev)
	if got, err := FormatDN(raw); got != `CN=\ lead#,1.2.3=#020107+C=UK` || err != nil {
		t.Errorf("FormatDN = %q, %v", got, err)
	}
	if _, err := FormatDN([]byte{0x30, 0x05}); err == nil {
		t.Error("FormatDN accepted garbage")
	}
}

// TestMatchDN checks g_pattern_match_simple's rules.
func TestMatchDN(t *testing.T) {
	for _, tc := range []struct {
		pattern, dn string
		want        bool
	}{
		{"C=UK,CN=libvirt", "C=UK,CN=libvirt", true},
		{"C=UK,CN=libvirt*", "C=UK,CN=libvirt", true},
		{"C=UK,CN=libvirt*", "C=UK,CN=libvirtstuff", true},
		{"C=UK,CN=*virt*", "C=UK,CN=libvirt", true},
		{"C=UK,CN=dogfood", "C=UK,CN=libvirt", false},
		{"C=UK,CN=libvirtstuff", "C=UK,CN=libvirt", false},
		{"C=UK,CN=libvir?", "C=UK,CN=libvirt", true},
		{"C=UK,CN=libvir?", "C=UK,CN=libvir", false},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"C=UK,CN=é?", "C=UK,CN=éé", true},
		{`CN=a\,b`, `CN=a\,b`, true},
		{"[a]", "a", false},
	} {
		if got := MatchDN(tc.pattern, tc.dn); got != tc.want {
			t.Errorf("MatchDN(%q, %q) = %v, want %v", tc.pattern, tc.dn, got, tc.want)
		}
	}
}

var _ = context.Background

// ticketCache records whether the server sent a session ticket.
type ticketCache struct{ puts atomic.Int64 }

func (c *ticketCache) Get(string) (*tls.ClientSessionState, bool) { return nil, false }
func (c *ticketCache) Put(string, *tls.ClientSessionState)        { c.puts.Add(1) }

// TestTLSNoSessionTickets checks that the server sends no TLS 1.3
// NewSessionTicket: it arrives after the handshake, and libvirt's client
// takes the GNUTLS_E_AGAIN it causes for a failure to read the
// confirmation byte.
func TestTLSNoSessionTickets(t *testing.T) {
	p := newPKI(t)
	_, _, addr := startTLS(t, Options{}, TLSConfig{Dir: p.dir})
	cache := &ticketCache{}
	pool := x509.NewCertPool()
	pool.AddCert(p.ca.cert)
	cert := makeCert(t, clientSpec(), p.ca).tlsCert()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	tc := tls.Client(nc, &tls.Config{RootCAs: pool, ServerName: "localhost", Certificates: []tls.Certificate{cert}, ClientSessionCache: cache})
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if !confirmation(t, tc) {
		t.Fatal("refused")
	}
	if v := tc.ConnectionState().Version; v != tls.VersionTLS13 {
		t.Fatalf("negotiated %s, want TLS 1.3", tls.VersionName(v))
	}
	if n := cache.puts.Load(); n != 0 {
		t.Errorf("the server sent %d session tickets", n)
	}
}
