package libvirtd

import (
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/internal/pki"
)

// virshOrder is setup/node.xml as virsh prints it: active domains by ID,
// then inactive ones by name (FACTS S4).
var virshOrder = []string{"alpha", "bravo", "echo", "foxtrot", "hotel", "charlie", "delta", "golf"}

func names(stdout string) []string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// virshNames runs `virsh -c uri [extra...] list --all --name` and fails t
// unless it exits 0.
func virshNames(t *testing.T, uri string, extra ...string) []string {
	t.Helper()
	args := append(extra, "list", "--all", "--name")
	out, errOut, code, err := Virsh(t.Context(), uri, args...)
	if err != nil || code != 0 {
		t.Fatalf("virsh -c %s %v: exit %d, %v\nstderr: %s", uri, args, code, err, errOut)
	}
	return names(out)
}

func TestUnixVirsh(t *testing.T) {
	RequireVirsh(t)
	d := Start(t, WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	if _, err := os.Stat(node); err != nil {
		t.Fatalf("WithFile did not copy node.xml: %v", err)
	}
	for _, s := range []string{d.Socket, d.ROSocket, d.AdminSocket} {
		st, err := os.Stat(s)
		if err != nil || st.Mode()&os.ModeSocket == 0 {
			t.Errorf("%s: %v, mode %v; want a socket", s, err, st.Mode())
		}
		if len(s) >= 108 {
			t.Errorf("socket path %q is %d bytes; want < 108", s, len(s))
		}
	}

	if got := virshNames(t, d.URI(node)); !slices.Equal(got, virshOrder) {
		t.Errorf("virsh list --all --name = %v; want %v", got, virshOrder)
	}
	out, _, code, err := Virsh(t.Context(), d.URI(node), "list", "--all")
	if err != nil || code != 0 {
		t.Fatalf("virsh list --all: exit %d, %v", code, err)
	}
	for _, want := range []string{" 1    alpha     running", " 4    foxtrot   crashed", " 5    hotel     pmsuspended", " -    golf      shut off"} {
		if !strings.Contains(out, want) {
			t.Errorf("virsh list --all output lacks %q:\n%s", want, out)
		}
	}

	// The read-only socket: virsh -r lists the active domains and is
	// refused a write (FACTS S10).
	out, _, code, err = Virsh(t.Context(), d.ROURI(node), "-r", "list", "--name")
	if err != nil || code != 0 || !slices.Equal(names(out), virshOrder[:5]) {
		t.Errorf("virsh -r list --name = %q, exit %d, %v; want %v", out, code, err, virshOrder[:5])
	}
	_, errOut, code, err := Virsh(t.Context(), d.ROURI(node), "-r", "suspend", "alpha")
	if err != nil || code != 1 || !strings.Contains(errOut, "operation forbidden: read only access prevents virDomainSuspend") {
		t.Errorf("virsh -r suspend alpha: exit %d, %v, stderr %q; want exit 1 and the read-only error", code, err, errOut)
	}

	// test:///default has its one domain.
	if got := virshNames(t, d.DefaultURI()); !slices.Equal(got, []string{"test"}) {
		t.Errorf("default node: %v; want [test]", got)
	}

	log, err := d.Log()
	if err != nil || !strings.Contains(log, "libvirt version: 9.") {
		t.Errorf("Log() = %q, %v; want the daemon's version banner", log, err)
	}
}

func TestTCPAndTLS(t *testing.T) {
	RequireVirsh(t)
	for _, kt := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		t.Run(kt.String(), func(t *testing.T) {
			p := pki.New(t, pki.WithKeyType(kt), pki.WithCRL())
			d := Start(t, WithFile("testdata/node.xml"), TCP(), TLS(p))
			node := d.File("node.xml")
			if d.TLSFiles.CRL == "" {
				t.Errorf("TLS with a CRL: no crl_file written")
			}
			conf, err := os.ReadFile(d.ConfigPath)
			if err != nil || !strings.Contains(string(conf), d.TLSFiles.Conf()) {
				t.Errorf("libvirtd.conf lacks the TLS file lines:\n%s", conf)
			}
			cf, err := p.WriteClientDir(filepath.Join(t.TempDir(), "client"))
			if err != nil {
				t.Fatal(err)
			}
			for _, uri := range []string{d.URI(node), d.TCPURI(node), d.TLSURI(node, cf.Dir)} {
				if got := virshNames(t, uri); !slices.Equal(got, virshOrder) {
					t.Errorf("virsh -c %s list: %v; want %v", uri, got, virshOrder)
				}
			}
		})
	}
}

// TestTLSRejections shows the daemon really checks what the pki package
// wrote: each case fails for the reason libvirt gives (FACTS §11).
func TestTLSRejections(t *testing.T) {
	RequireVirsh(t)
	dn := pkix.Name{Country: []string{"UK"}, CommonName: "libvirt"}
	tests := []struct {
		name    string
		opts    []pki.Option
		dnList  []string // nil: no tls_allowed_dn_list
		wrongCA bool
		wantErr string // on virsh's stderr; "" means it connects
		wantLog string // in the daemon's log
	}{
		{name: "dn glob matches", opts: []pki.Option{pki.WithClientSubject(dn)}, dnList: []string{"C=UK,CN=libvirt*"}},
		{name: "dn in ASN.1 order", opts: []pki.Option{pki.WithClientSubject(dn)}, dnList: []string{"C=UK,CN=dogfood", "C=UK,CN=libvirt"}},
		{name: "dn reversed", opts: []pki.Option{pki.WithClientSubject(dn)}, dnList: []string{"CN=libvirt,C=UK"},
			wantErr: "Unable to read TLS confirmation", wantLog: "Client's Distinguished Name is not on the list of allowed clients"},
		{name: "empty dn list", dnList: []string{},
			wantErr: "Unable to read TLS confirmation", wantLog: "Client's Distinguished Name is not on the list of allowed clients"},
		{name: "revoked client", opts: []pki.Option{pki.RevokeClient()},
			wantErr: "Unable to read TLS confirmation", wantLog: "The certificate has been revoked"},
		{name: "wrong CA", wrongCA: true,
			wantErr: "authentication failed: Failed to verify peer's certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pki.New(t, tt.opts...)
			opts := []Option{WithFile("testdata/node.xml"), TLS(p)}
			if tt.dnList != nil {
				opts = append(opts, TLSAllowedDNList(tt.dnList...))
			}
			d := Start(t, opts...)
			client := p
			if tt.wrongCA {
				client = pki.New(t)
			}
			cf, err := client.WriteClientDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			out, errOut, code, err := Virsh(t.Context(), d.TLSURI(d.File("node.xml"), cf.Dir), "list", "--all", "--name")
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr == "" {
				if code != 0 || !slices.Equal(names(out), virshOrder) {
					t.Errorf("virsh: exit %d, %q, stderr %q; want the 8 domains", code, out, errOut)
				}
				return
			}
			if code == 0 || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("virsh: exit %d, stderr %q; want failure with %q", code, errOut, tt.wantErr)
			}
			if tt.wantLog != "" {
				log, _ := d.Log()
				if !strings.Contains(log, tt.wantLog) {
					t.Errorf("daemon log lacks %q:\n%s", tt.wantLog, log)
				}
			}
		})
	}
}

func TestSettings(t *testing.T) {
	d := Start(t, MaxClients(7), Set("max_anonymous_clients", "4"), Keepalive(2, 3), MaxClientRequests(9),
		LogLevel(1), LogFilters("1:rpc 3:*"))
	conf, err := os.ReadFile(d.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"max_clients = 7\n", "max_anonymous_clients = 4\n", "keepalive_interval = 2\n",
		"keepalive_count = 3\n", "max_client_requests = 9\n", `log_filters = "1:rpc 3:*"` + "\n",
		`log_outputs = "1:file:` + d.LogPath + `"` + "\n", `auth_unix_rw = "none"` + "\n", "listen_tcp = 0\n", "listen_tls = 0\n"} {
		if !strings.Contains(string(conf), line) {
			t.Errorf("libvirtd.conf lacks %q:\n%s", line, conf)
		}
	}
	// The daemon itself reports the client limits it took.
	out, errOut, code, err := VirtAdmin(t.Context(), d.AdminURI(), "srv-clients-info", "libvirtd")
	if err != nil || code != 0 {
		t.Fatalf("virt-admin srv-clients-info: exit %d, %v, %s", code, err, errOut)
	}
	for _, want := range []string{"nclients_max        : 7", "nclients_unauth_max : 4"} {
		if !strings.Contains(out, want) {
			t.Errorf("srv-clients-info lacks %q:\n%s", want, out)
		}
	}
}

func TestKillAndStop(t *testing.T) {
	RequireVirsh(t)
	d := Start(t, WithFile("testdata/node.xml"))
	if err := d.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	select {
	case <-d.Exited():
	default:
		t.Fatal("Exited() not closed after Kill")
	}
	if !isSignalExit(d.waitErr) {
		t.Errorf("exit after Kill = %v; want a signal exit", d.waitErr)
	}
	_, errOut, code, err := Virsh(t.Context(), d.URI(d.File("node.xml")), "list")
	if err != nil || code == 0 || !strings.Contains(errOut, "Failed to connect socket") {
		t.Errorf("virsh after Kill: exit %d, %v, stderr %q; want a connect failure", code, err, errOut)
	}

	d2 := Start(t)
	if err := d2.Stop(t.Context()); err != nil {
		t.Errorf("Stop: %v; want a clean exit on SIGTERM", err)
	}
	if err := d2.Stop(t.Context()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := os.Stat(d2.Socket); err == nil {
		t.Errorf("socket %s still exists after a clean stop", d2.Socket)
	}
}

func TestCleanupRemovesDir(t *testing.T) {
	Require(t)
	f := &fakeTB{}
	var d *Daemon
	f.run(func(tb testing.TB) { d = Start(tb) })
	if f.fatal != "" || len(f.errors) > 0 {
		t.Fatalf("Start: fatal %q, errors %q", f.fatal, f.errors)
	}
	if _, err := os.Stat(d.Dir); err == nil {
		t.Errorf("%s still exists after cleanup", d.Dir)
	}
	select {
	case <-d.Exited():
	default:
		t.Errorf("daemon still running after cleanup")
	}
}

func TestStartFailureReportsLog(t *testing.T) {
	Require(t)
	f := &fakeTB{}
	var dir string
	f.run(func(tb testing.TB) {
		d := Start(tb, Set("max_clients", `"bogus"`))
		dir = d.Dir // not reached
	})
	if dir != "" {
		t.Fatalf("Start returned a daemon for a bad config")
	}
	for _, want := range []string{"libvirtd exited during startup", "expected an unsigned integer for 'max_clients' parameter"} {
		if !strings.Contains(f.fatal, want) {
			t.Errorf("Start fatal message lacks %q:\n%s", want, f.fatal)
		}
	}
	if len(f.errors) > 0 {
		t.Errorf("cleanup reported errors after a failed start: %q", f.errors)
	}
}

func TestUnexpectedExitIsReported(t *testing.T) {
	Require(t)
	f := &fakeTB{}
	f.run(func(tb testing.TB) {
		d := Start(tb)
		// Someone else kills it: cleanup must say so.
		if p, err := os.FindProcess(d.PID()); err == nil {
			p.Kill()
		}
		<-d.Exited()
	})
	if len(f.errors) != 1 || !strings.Contains(f.errors[0], "exited while the test ran") {
		t.Errorf("cleanup errors = %q; want one 'exited while the test ran'", f.errors)
	}
}

// TestTLSChain uses libvirt's chain layout (virnettlssessiontest.c): the
// server signed by root→1a→2a, the client by root→1b, and every CA in
// cacert.pem on both sides.
func TestTLSChain(t *testing.T) {
	RequireVirsh(t)
	root := pki.MustCert(t, pki.CASpec("root"), nil)
	ca1a := pki.MustCert(t, pki.CASpec("1a"), root)
	ca2a := pki.MustCert(t, pki.CASpec("2a"), ca1a)
	ca1b := pki.MustCert(t, pki.CASpec("1b"), root)
	srv := pki.MustCert(t, pki.ServerSpec("localhost"), ca2a)
	cli := pki.MustCert(t, pki.ClientSpec("client"), ca1b)
	cas := []*pki.Cert{root, ca1a, ca2a, ca1b}

	d := Start(t, WithFile("testdata/node.xml"), TLSLayout(pki.Layout{CA: cas, Cert: srv}))
	cf, err := pki.WriteClient(t.TempDir(), pki.Layout{CA: cas, Cert: cli})
	if err != nil {
		t.Fatal(err)
	}
	if got := virshNames(t, d.TLSURI(d.File("node.xml"), cf.Dir)); !slices.Equal(got, virshOrder) {
		t.Errorf("virsh over a TLS chain: %v; want %v", got, virshOrder)
	}
	// With only the root in the client's cacert.pem the client's own
	// sanity check (FACTS §11) cannot chain its certificate to a CA.
	cf2, err := pki.WriteClient(t.TempDir(), pki.Layout{CA: []*pki.Cert{root}, Cert: cli})
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, code, err := Virsh(t.Context(), d.TLSURI(d.File("node.xml"), cf2.Dir), "list", "--all", "--name")
	if err != nil || code == 0 || !strings.Contains(errOut, "failed validation against") || !strings.Contains(errOut, "hasn't got a known issuer") {
		t.Errorf("virsh with the root only: exit %d, %v, stderr %q; want the own-certificate check to fail", code, err, errOut)
	}
}
