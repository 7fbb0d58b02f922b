package tlsmatrix_test

import (
	"context"
	"crypto/x509"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/internal/tlsmatrix"
	"github.com/virtwire/virtwire/server"
)

// goAccepts is crypto/tls's default verification of a peer certificate:
// x509 Verify with the role's extKeyUsage, and, for a server, the host name.
func goAccepts(leaf, ca *pki.Cert, server bool, host string) bool {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	opts := x509.VerifyOptions{Roots: roots}
	if server {
		opts.DNSName = host
	} else {
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	_, err := leaf.Cert.Verify(opts)
	return err == nil
}

// virshOK runs virsh list on uri and reports whether it connected, with
// its error output.
func virshOK(t *testing.T, uri string) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, errOut, code, err := libvirtd.Virsh(ctx, uri, "list", "--all", "--name")
	if err != nil {
		t.Fatalf("virsh: %v", err)
	}
	if code == 0 && strings.TrimSpace(out) != "test" {
		t.Errorf("virsh -c %s list: %q; want the test driver's domain \"test\"", uri, out)
	}
	return code == 0, strings.TrimSpace(errOut)
}

// TestTLSPeerServerCertificates is RELIABILITY.md test 50 on the client:
// for each peer case, a server presenting that certificate (through a
// frontListener, since ListenTLS refuses to load most of them), and what
// crypto/tls's default verification, virtwire's client (by default and
// WithLegacyCommonName) and virsh make of it. virsh is libvirt's answer,
// measured: it runs wherever libvirt's tools are installed.
func TestTLSPeerServerCertificates(t *testing.T) {
	p := pki.New(t)
	dir := clientDir(t, p.ClientLayout())
	for _, pc := range tlsmatrix.PeerCases() {
		t.Run(pc.Name, func(t *testing.T) {
			leaf, err := pc.Leaf(p.CA, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := goAccepts(leaf, p.CA, true, "localhost"); got != pc.Go {
				t.Errorf("crypto/x509 accepts it: %v; the table says %v", got, pc.Go)
			}
			addr := startFront(t, leaf)
			uri := tlsURI("localhost", addr, dir)
			for _, tc := range []struct {
				name string
				want bool
				opts []client.Option
			}{
				{"virtwire", pc.Virtwire, nil},
				{"virtwire WithLegacyCommonName", pc.VirtwireLegacyCN, []client.Option{client.WithLegacyCommonName()}},
			} {
				_, err := dial(t, uri, addr, tc.opts...)
				want := accepted
				if !tc.want {
					want = clientRefused
				}
				if got := classify(err); got != want {
					t.Errorf("%s: Dial = %v (%v); want %v", tc.name, got, err, want)
				} else if err != nil {
					t.Logf("%s: %v", tc.name, err)
				}
			}
			// no_verify=1 is the way out, and says so when it is used.
			var log tlsmatrix.Log
			if _, err := dial(t, tlsURI("localhost", addr, dir, "no_verify=1"), addr, client.WithLogger(log.Logger())); err != nil {
				t.Errorf("no_verify=1: Dial = %v", err)
			}
			if warned := log.Has(slog.LevelWarn, "no_verify=1"); warned == pc.Virtwire {
				t.Errorf("no_verify=1: warning logged %v; want %v\n%s", warned, !pc.Virtwire, &log)
			}
			t.Run("virsh", func(t *testing.T) {
				libvirtd.RequireVirsh(t)
				ok, msg := virshOK(t, uri)
				if ok != pc.Libvirt {
					t.Errorf("virsh connected: %v (%s); the table says %v", ok, msg, pc.Libvirt)
				}
				// Either libvirt's check or gnutls's handshake refuses.
				if !ok && !strings.Contains(msg, "authentication failed: ") {
					t.Errorf("virsh: %s; want VIR_ERR_AUTH_FAILED", msg)
				}
			})
		})
	}
}

// TestTLSPeerClientCertificates is RELIABILITY.md test 50 on the server:
// for each peer case, a client presenting that certificate (no_sanity=1,
// so that the client sends it), and what crypto/tls's default verification
// and virtwire's server make of it. Where libvirt's tools exist, virsh
// presents it too, to virtwire's server and to libvirtd, and virtwire's
// client presents it to libvirtd: libvirtd's verdict is libvirt's answer,
// measured, and virtwire's server must give the same verdict to virsh as
// to virtwire's client.
func TestTLSPeerClientCertificates(t *testing.T) {
	p := pki.New(t)
	f := serve(t, p.ServerLayout(), server.TLSConfig{})
	var d *libvirtd.Daemon // one daemon for every case; nil without libvirt's tools
	if libvirtd.Available() && libvirtd.VirshAvailable() {
		d = libvirtd.Start(t, libvirtd.TLS(p))
	}
	for _, pc := range tlsmatrix.PeerCases() {
		if pc.ServerOnly {
			continue
		}
		t.Run(pc.Name, func(t *testing.T) {
			leaf, err := pc.Leaf(p.CA, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := goAccepts(leaf, p.CA, false, ""); got != pc.Go {
				t.Errorf("crypto/x509 accepts it: %v; the table says %v", got, pc.Go)
			}
			dir := clientDir(t, pki.Layout{CA: []*pki.Cert{p.CA}, Cert: leaf})
			want := accepted
			if !pc.Virtwire {
				want = serverRefused
			}
			_, err = dial(t, tlsURI("localhost", f.addr, dir, "no_sanity=1"), f.addr)
			if got := classify(err); got != want {
				t.Errorf("virtwire → virtwire: Dial = %v (%v); want %v\nserver log:\n%s", got, err, want, f.log)
			}
			t.Run("libvirt", func(t *testing.T) {
				libvirtd.Require(t)
				libvirtd.RequireVirsh(t)
				if ok, msg := virshOK(t, tlsURI("localhost", f.addr, dir, "no_sanity=1")); ok != pc.Virtwire {
					t.Errorf("virsh → virtwire: connected %v (%s); want %v", ok, msg, pc.Virtwire)
				}
				ok, msg := virshOK(t, d.TLSURI("/default", dir)+"&no_sanity=1")
				if ok != pc.Libvirt {
					t.Errorf("virsh → libvirtd: connected %v (%s); the table says %v", ok, msg, pc.Libvirt)
				}
				if !ok && !strings.Contains(msg, "Unable to read TLS confirmation") {
					t.Errorf("virsh → libvirtd: %s; want the server's refusal", msg)
				}
				want := accepted
				if !pc.Libvirt {
					want = serverRefused
				}
				_, err := dial(t, d.TLSURI("/default", dir)+"&no_sanity=1", d.TLSAddr)
				if got := classify(err); got != want {
					t.Errorf("virtwire → libvirtd: Dial = %v (%v); want %v", got, err, want)
				}
			})
		})
	}
}
