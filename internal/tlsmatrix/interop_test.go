package tlsmatrix_test

import (
	"context"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/server"
)

func ptr[T any](v T) *T { return &v }

// pyOpen opens uri with python-libvirt and lists the domains; it returns
// nil on success or the libvirt error message.
func pyOpen(t *testing.T, uri string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := libvirtd.PyListAllDomains(ctx, uri, false, []uint32{0})
	var pe *libvirtd.PyError
	switch {
	case errors.As(err, &pe):
		return pe
	case err != nil:
		t.Fatalf("python: %v", err)
	case len(res) != 1 || res[0].Error != nil || len(res[0].Domains) != 1:
		t.Errorf("python listAllDomains on %s: %+v", uri, res)
	}
	return nil
}

// TestTLSInterop is RELIABILITY.md test 54: the rows of FACTS §11's
// h_tls_probe table in all four directions (virsh and python-libvirt, and
// virtwire's client, each against libvirtd 9.0 and against virtwire's
// server), with one PKI for both servers, so every client directory means
// the same to both. Each client must meet the same outcome from both
// servers, and virtwire's client the same as virsh:
//
//   - a client certificate, host localhost (DNS SAN) or 127.0.0.1 (IP SAN),
//     under TLS 1.2 and 1.3: the domains are listed;
//   - TLS 1.1 only: libvirtd accepts it (Debian's gnutls NORMAL keeps it);
//     virtwire's server, deliberately, does not: the handshake fails;
//   - the CA only: the server closes instead of confirming; libvirt says
//     "Unable to read TLS confirmation", virtwire ErrCertificateRejected;
//   - a CA that did not sign the server: "authentication failed: Failed to
//     verify peer's certificate" (VIR_ERR_AUTH_FAILED) on the client;
//   - the same with no_verify=1: the client goes on, and the server, which
//     got no client certificate, closes without confirming.
func TestTLSInterop(t *testing.T) {
	libvirtd.RequireVirsh(t)
	libvirtd.RequirePython(t)
	p := pki.New(t)
	other := pki.New(t, pki.EditCA(func(s *pki.Spec) { s.Subject.CommonName = "another CA" }))
	d := libvirtd.Start(t, libvirtd.TLS(p))
	f := serve(t, p.ServerLayout(), server.TLSConfig{})

	good := clientDir(t, p.ClientLayout())
	caOnly := clientDir(t, pki.Layout{CA: []*pki.Cert{p.CA}})
	wrongCA := clientDir(t, pki.Layout{CA: []*pki.Cert{other.CA}})
	const (
		confirmation = "Unable to read TLS confirmation"
		verifyFailed = "authentication failed: Failed to verify peer's certificate"
	)
	rows := []struct {
		name     string
		host     string
		dir      string
		extra    []string
		want     outcome
		text     string // in libvirt's error, for virsh and python
		version  uint16 // negotiated, checked on virtwire's server
		virtwire *outcome
		vtext    string // text for virsh and python from virtwire's server, if it differs
	}{
		{name: "client certificate, host by DNS SAN", host: "localhost", dir: good, want: accepted, version: tls.VersionTLS13},
		{name: "client certificate, host by IP SAN", host: "127.0.0.1", dir: good, want: accepted},
		{name: "client certificate, TLS 1.2 only", host: "localhost", dir: good, extra: []string{priority(tls.VersionTLS12)},
			want: accepted, version: tls.VersionTLS12},
		{name: "client certificate, TLS 1.3 only", host: "localhost", dir: good, extra: []string{priority(tls.VersionTLS13)},
			want: accepted, version: tls.VersionTLS13},
		// Debian's gnutls NORMAL still has TLS 1.1, and libvirtd takes
		// it; virtwire's server accepts TLS 1.2 and later only.
		{name: "client certificate, TLS 1.1 only", host: "localhost", dir: good,
			extra: []string{"tls_priority=" + url.QueryEscape("NORMAL:-VERS-ALL:+VERS-TLS1.1")},
			want:  accepted, virtwire: ptr(handshakeFailed), vtext: "authentication failed: TLS handshake failed"},
		{name: "CA only", host: "localhost", dir: caOnly, want: serverRefused, text: confirmation},
		{name: "wrong CA", host: "localhost", dir: wrongCA, want: clientRefused, text: verifyFailed},
		{name: "wrong CA, no_verify=1", host: "localhost", dir: wrongCA, extra: []string{"no_verify=1"}, want: serverRefused, text: confirmation},
	}
	servers := []struct {
		name string
		addr string
	}{{"libvirtd", d.TLSAddr}, {"virtwire", f.addr}}
	passed := 0
	for _, r := range rows {
		for _, s := range servers {
			ok := t.Run(r.name+"/"+s.name, func(t *testing.T) {
				want, text := r.want, r.text
				if s.name == "virtwire" && r.virtwire != nil {
					want, text = *r.virtwire, r.vtext
				}
				uri := tlsURI(r.host, s.addr, r.dir, r.extra...)
				vok, vmsg := virshOK(t, uri)
				if vok != (want == accepted) || (!vok && !strings.Contains(vmsg, text)) {
					t.Errorf("virsh: connected %v, %q; want %v, %q\nvirtwire server log:\n%s", vok, vmsg, want, text, f.log)
				}
				perr := pyOpen(t, uri)
				if (perr == nil) != (want == accepted) || (perr != nil && !strings.Contains(perr.Error(), text)) {
					t.Errorf("python: %v; want %v, %q", perr, want, text)
				}
				c, err := dial(t, uri, s.addr)
				if got := classify(err); got != want {
					t.Errorf("virtwire: Dial = %v (%v); want %v", got, err, want)
				} else if err == nil {
					if s.name == "virtwire" {
						if v := works(t, c, f); r.version != 0 && v != r.version {
							t.Errorf("virtwire: negotiated %s; want %s", tls.VersionName(v), tls.VersionName(r.version))
						}
					} else {
						ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						defer cancel()
						if doms, err := c.ListAllDomains(ctx, 0); err != nil || len(doms) != 1 {
							t.Errorf("virtwire: ListAllDomains = %v, %v", doms, err)
						}
					}
					c.Close()
				}
				if err != nil {
					t.Logf("virsh: %s | virtwire: %v", vmsg, err)
				}
			})
			if ok {
				passed++
			}
		}
	}
	t.Logf("interop: %d/%d rows × servers pass for virsh, python-libvirt and virtwire's client", passed, len(rows)*len(servers))
}

// TestTLSAllowedDNInterop runs the six tls_allowed_dn_list rows of
// libvirt's session test, plus an empty list and the DN in Go's order,
// against libvirtd and virtwire's server with the same client certificate
// (C=UK, CN=libvirt) and list: virsh and virtwire's client must be let in,
// or refused, by both servers alike and as libvirt's test expects, which
// shows that virtwire writes DNs in libvirt's order (RELIABILITY.md tests
// 49, 50 and 58).
func TestTLSAllowedDNInterop(t *testing.T) {
	libvirtd.RequireVirsh(t)
	p := pki.New(t, pki.WithClientSubject(pkix.Name{Country: []string{"UK"}, CommonName: "libvirt"}))
	dir := clientDir(t, p.ClientLayout())
	for i, r := range []struct {
		list []string
		ok   bool
	}{
		{[]string{"C=UK,CN=dogfood"}, false},
		{[]string{"C=UK,CN=libvirt"}, true},
		{[]string{"C=UK,CN=dogfood", "C=UK,CN=libvirt"}, true},
		{[]string{"C=UK,CN=libvirtstuff"}, false},
		{[]string{"C=UK,CN=libvirt*"}, true},
		{[]string{"C=UK,CN=*virt*"}, true},
		{[]string{}, false},
		{[]string{"CN=libvirt,C=UK"}, false},
	} {
		t.Run(fmt.Sprintf("%d:%q", i+1, r.list), func(t *testing.T) {
			d := libvirtd.Start(t, libvirtd.TLS(p), libvirtd.TLSAllowedDNList(r.list...))
			f := serve(t, p.ServerLayout(), server.TLSConfig{AllowedDNs: r.list})
			want := accepted
			if !r.ok {
				want = serverRefused
			}
			for _, s := range []struct{ name, addr string }{{"libvirtd", d.TLSAddr}, {"virtwire", f.addr}} {
				uri := tlsURI("localhost", s.addr, dir)
				if ok, msg := virshOK(t, uri); ok != r.ok {
					t.Errorf("virsh → %s: connected %v (%s); want %v", s.name, ok, msg, r.ok)
				}
				if _, err := dial(t, uri, s.addr); classify(err) != want {
					t.Errorf("virtwire → %s: %v; want %v", s.name, err, want)
				}
			}
			if !r.ok && !f.log.Has(slog.LevelError, "not on the list of allowed clients") {
				t.Errorf("virtwire's server did not log the DN refusal:\n%s", f.log)
			}
		})
	}
}
