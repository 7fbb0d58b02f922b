package tlsmatrix_test

import (
	"crypto/tls"
	"log/slog"
	"testing"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
	"github.com/virtwire/virtwire/server"
)

// TestTLSSessionMatrix runs the 15 DO_SESS_TEST rows of libvirt's
// virnettlssessiontest.c with real handshakes between virtwire's client and
// virtwire's server over loopback, under TLS 1.2 and TLS 1.3
// (RELIABILITY.md tests 49 and 50).
//
// libvirt checks each side's certificate separately after a handshake that
// always completes; here a refusal ends the handshake, so each side is
// checked alone, with the other side lenient, and then both together:
//
//   - server: the client sets no_verify=1, so the server's verdict on the
//     client certificate (and the DN list) decides: the 0x01 byte or EOF;
//   - client (libvirt's rule): the server has NoVerifyCertificate, and the
//     client WithLegacyCommonName, which is gnutls's host name rule;
//   - client (default): the same without WithLegacyCommonName, where a
//     server certificate naming the host only in its CN is refused;
//   - both: every check on, with WithLegacyCommonName; the client's
//     refusal comes first, since it ends the handshake.
func TestTLSSessionMatrix(t *testing.T) {
	set, err := tlsmatrix.Generate(tlsmatrix.SessionReqs())
	if err != nil {
		t.Fatal(err)
	}
	legacy := client.WithLegacyCommonName()
	for _, v := range versions {
		passed := 0
		for _, r := range tlsmatrix.SessionRows() {
			ok := t.Run(tls.VersionName(v)+"/"+r.Name, func(t *testing.T) {
				srvLayout, err := set.Layout(r.ServerCA, r.ServerCert)
				if err != nil {
					t.Fatal(err)
				}
				cliLayout, err := set.Layout(r.ClientCA, r.ClientCert)
				if err != nil {
					t.Fatal(err)
				}
				dir := clientDir(t, cliLayout)

				check := func(what string, f *fake, want outcome, extra []string, opts ...client.Option) {
					t.Helper()
					uri := tlsURI(r.Hostname, f.addr, dir, append(extra, priority(v))...)
					c, err := dial(t, uri, f.addr, opts...)
					if got := classify(err); got != want {
						t.Errorf("%s: Dial = %v (%v); want %v\nserver log:\n%s", what, got, err, want, f.log)
						return
					}
					if err != nil {
						t.Logf("%s: %v", what, err)
						return
					}
					if got := works(t, c, f); got != v {
						t.Errorf("%s: negotiated %s; want %s", what, tls.VersionName(got), tls.VersionName(v))
					}
					c.Close()
				}
				refusedBy := func(fails bool, by outcome) outcome {
					if fails {
						return by
					}
					return accepted
				}

				strict := serve(t, srvLayout, server.TLSConfig{AllowedDNs: r.AllowedDNs})
				check("server check", strict, refusedBy(r.ServerFails, serverRefused), []string{"no_verify=1"})
				if r.ServerFails && !strict.log.Has(slog.LevelError) {
					t.Errorf("server check: the refusal was not logged:\n%s", strict.log)
				}

				lenient := serve(t, srvLayout, server.TLSConfig{NoVerifyCertificate: true})
				check("client check, libvirt's rule", lenient, refusedBy(r.ClientFails, clientRefused), nil, legacy)
				check("client check, default", lenient, refusedBy(r.ClientFailsByDefault, clientRefused), nil)

				both := accepted
				switch {
				case r.ClientFails:
					both = clientRefused
				case r.ServerFails:
					both = serverRefused
				}
				check("both", strict, both, nil, legacy)
			})
			if ok {
				passed++
			}
		}
		t.Logf("%s: %d/15 session rows as libvirt expects, on each side and together", tls.VersionName(v), passed)
	}
}
