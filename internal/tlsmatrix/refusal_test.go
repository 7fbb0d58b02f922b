package tlsmatrix_test

import (
	"crypto/tls"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
	"github.com/virtwire/virtwire/server"
)

// TestTLSRefusals covers RELIABILITY.md test 53 with virtwire on both ends,
// under TLS 1.2 and TLS 1.3: a client without a certificate, a client
// certificate from another CA, a server certificate from another CA and an
// expired client certificate are refused with verification at its
// defaults; no_verify=1, no_sanity=1 and the server's NoVerifyCertificate
// are explicit and each logs a warning when it lets a connection through.
func TestTLSRefusals(t *testing.T) {
	p := pki.New(t)
	other := pki.New(t, pki.EditCA(func(s *pki.Spec) { s.Subject.CommonName = "another CA" }))
	expired := pki.MustCert(t, withTimes(pki.ClientSpec("expired"), -2*time.Hour, -time.Hour), p.CA)
	type row struct {
		name      string
		client    pki.Layout
		query     []string
		noVerify  bool // the server's NoVerifyCertificate
		want      outcome
		serverLog string // in the server's error log
		clientLog string // in a client warning
		serverWrn string // in a server warning
	}
	rows := []row{
		{name: "good", client: p.ClientLayout(), want: accepted},
		{name: "no client certificate", client: pki.Layout{CA: []*pki.Cert{p.CA}}, want: serverRefused,
			serverLog: "No certificate was found"},
		{name: "client certificate from another CA",
			client: pki.Layout{CA: []*pki.Cert{p.CA, other.CA}, Cert: other.Client}, want: serverRefused,
			serverLog: "hasn't got a known issuer"},
		{name: "server certificate from another CA", client: other.ClientLayout(), want: clientRefused},
		{name: "expired client certificate", client: pki.Layout{CA: []*pki.Cert{p.CA}, Cert: expired}, want: clientSetupErr},
		{name: "expired client certificate, no_sanity=1", client: pki.Layout{CA: []*pki.Cert{p.CA}, Cert: expired},
			query: []string{"no_sanity=1"}, want: serverRefused, serverLog: "has expired", clientLog: "no_sanity=1"},
		{name: "server certificate from another CA, no_verify=1",
			client: pki.Layout{CA: []*pki.Cert{other.CA}, Cert: p.Client}, query: []string{"no_verify=1", "no_sanity=1"},
			want: accepted, clientLog: "no_verify=1"},
		{name: "no client certificate, server NoVerifyCertificate", client: pki.Layout{CA: []*pki.Cert{p.CA}},
			noVerify: true, want: accepted, serverWrn: "NoVerifyCertificate"},
	}
	for _, v := range versions {
		for _, r := range rows {
			t.Run(tls.VersionName(v)+"/"+r.name, func(t *testing.T) {
				f := serve(t, p.ServerLayout(), server.TLSConfig{NoVerifyCertificate: r.noVerify})
				var cl tlsmatrix.Log
				uri := tlsURI("localhost", f.addr, clientDir(t, r.client), append(r.query, priority(v))...)
				c, err := dial(t, uri, f.addr, client.WithLogger(cl.Logger()))
				if got := classify(err); got != r.want {
					t.Fatalf("Dial = %v (%v); want %v\nserver log:\n%s", got, err, r.want, f.log)
				}
				if err == nil {
					if got := works(t, c, f); got != v {
						t.Errorf("negotiated %s; want %s", tls.VersionName(got), tls.VersionName(v))
					}
				}
				if r.want == clientSetupErr && f.srv.Stats().Accepted != 0 {
					t.Errorf("the client connected although its own certificate failed its checks")
				}
				if r.serverLog != "" && !f.log.Has(slog.LevelError, r.serverLog) {
					t.Errorf("server log lacks an error with %q:\n%s", r.serverLog, f.log)
				}
				if r.serverWrn != "" && !f.log.Has(slog.LevelWarn, r.serverWrn) {
					t.Errorf("server log lacks a warning with %q:\n%s", r.serverWrn, f.log)
				}
				if r.clientLog != "" && !cl.Has(slog.LevelWarn, r.clientLog) {
					t.Errorf("client log lacks a warning with %q:\n%s", r.clientLog, &cl)
				}
				if r.clientLog == "" && cl.Count(slog.LevelWarn) != 0 {
					t.Errorf("unexpected client warnings:\n%s", &cl)
				}
			})
		}
	}
}

// TestTLSRevocation covers RELIABILITY.md test 51, which libvirt's own unit
// tests leave out (their CRL argument is always NULL): the server refuses a
// client certificate its CA revoked, the client refuses a revoked server
// certificate, a revoked intermediate revokes what it signed, and a CRL
// that another CA signed is not trusted, even when that CA has the same
// name (gnutls matches CRLs by issuer name; virtwire checks the signature).
func TestTLSRevocation(t *testing.T) {
	p := pki.New(t)
	otherName := pki.New(t, pki.EditCA(func(s *pki.Spec) { s.Subject.CommonName = "another CA" }))
	sameName := pki.New(t) // another key under the same CA name
	crl := func(issuer *pki.Cert, revoked ...*pki.Cert) []*pki.CRL {
		var serials []*big.Int
		for _, c := range revoked {
			serials = append(serials, c.Cert.SerialNumber)
		}
		l, err := pki.NewCRL(issuer, pki.CRLSpec{Revoked: serials})
		if err != nil {
			t.Fatal(err)
		}
		return []*pki.CRL{l}
	}
	// A chain: root → 1a → 2a → server, root → 1b → client.
	root := pki.MustCert(t, pki.CASpec("chain root"), nil)
	l1a := pki.MustCert(t, pki.CASpec("level 1a"), root)
	l1b := pki.MustCert(t, pki.CASpec("level 1b"), root)
	l2a := pki.MustCert(t, pki.CASpec("level 2a"), l1a)
	chainServer := pki.MustCert(t, pki.ServerSpec("localhost"), l2a)
	chainClient := pki.MustCert(t, pki.ClientSpec("chain client"), l1b)
	chainCA := []*pki.Cert{root, l1a, l1b, l2a}

	ca := []*pki.Cert{p.CA}
	for _, r := range []struct {
		name      string
		server    pki.Layout
		client    pki.Layout
		want      outcome
		serverLog string
		untrusted bool // the server warns of a CRL no CA signed
	}{
		{name: "server revokes the client", server: pki.Layout{CA: ca, Cert: p.Server, CRLs: crl(p.CA, p.Client)},
			client: p.ClientLayout(), want: serverRefused, serverLog: "revoked"},
		{name: "client revokes the server", server: p.ServerLayout(),
			client: pki.Layout{CA: ca, Cert: p.Client, CRLs: crl(p.CA, p.Server)}, want: clientRefused},
		{name: "server: CRL from another CA", server: pki.Layout{CA: ca, Cert: p.Server, CRLs: crl(otherName.CA, p.Client)},
			client: p.ClientLayout(), want: accepted, untrusted: true},
		{name: "server: CRL from another CA of the same name", server: pki.Layout{CA: ca, Cert: p.Server, CRLs: crl(sameName.CA, p.Client)},
			client: p.ClientLayout(), want: accepted, untrusted: true},
		{name: "client: CRL from another CA", server: p.ServerLayout(),
			client: pki.Layout{CA: ca, Cert: p.Client, CRLs: crl(otherName.CA, p.Server)}, want: accepted},
		{name: "client: CRL from another CA of the same name", server: p.ServerLayout(),
			client: pki.Layout{CA: ca, Cert: p.Client, CRLs: crl(sameName.CA, p.Server)}, want: accepted},
		{name: "chain: both CRLs revoke nothing",
			server: pki.Layout{CA: chainCA, Cert: chainServer, CRLs: crl(root)},
			client: pki.Layout{CA: chainCA, Cert: chainClient, CRLs: crl(l1a)}, want: accepted},
		{name: "chain: the root revokes the client's intermediate",
			server: pki.Layout{CA: chainCA, Cert: chainServer, CRLs: crl(root, l1b)},
			client: pki.Layout{CA: chainCA, Cert: chainClient}, want: serverRefused, serverLog: "revoked"},
		{name: "chain: 1a revokes the server's intermediate",
			server: pki.Layout{CA: chainCA, Cert: chainServer},
			client: pki.Layout{CA: chainCA, Cert: chainClient, CRLs: crl(l1a, l2a)}, want: clientRefused},
		{name: "our own certificate revoked", server: p.ServerLayout(),
			client: pki.Layout{CA: ca, Cert: p.Client, CRLs: crl(p.CA, p.Client)}, want: clientSetupErr},
	} {
		t.Run(r.name, func(t *testing.T) {
			f := serve(t, r.server, server.TLSConfig{})
			_, err := dial(t, tlsURI("localhost", f.addr, clientDir(t, r.client)), f.addr)
			if got := classify(err); got != r.want {
				t.Fatalf("Dial = %v (%v); want %v\nserver log:\n%s", got, err, r.want, f.log)
			}
			if err != nil {
				t.Logf("%v", err)
			}
			if r.serverLog != "" && !f.log.Has(slog.LevelError, r.serverLog) {
				t.Errorf("server log lacks %q:\n%s", r.serverLog, f.log)
			}
			if warned := f.log.Has(slog.LevelWarn, "CRL not signed by any CA"); warned != r.untrusted {
				t.Errorf("server warned of an untrusted CRL: %v; want %v\n%s", warned, r.untrusted, f.log)
			}
		})
	}
}

func withTimes(s pki.Spec, from, to time.Duration) pki.Spec {
	s.NotBefore, s.NotAfter = time.Now().Add(from), time.Now().Add(to)
	return s
}
