package tlsmatrix

// SessionRow is one DO_SESS_TEST row: a server and a client, each with its
// CA file and certificate, a handshake between them, and whether each
// side's check of the other's certificate must fail.
type SessionRow struct {
	// Name is unique: libvirt names rows only by their certificates, so
	// the host name or the DN list is appended where they repeat.
	Name string
	// ServerCA and ClientCA list the certificates of each side's CA file.
	ServerCA, ClientCA []string
	// ServerCert and ClientCert are Req names.
	ServerCert, ClientCert string
	// Hostname is the host the client connects to (the URI's host).
	Hostname string
	// AllowedDNs is the server's tls_allowed_dn_list; nil for none.
	AllowedDNs []string
	// ServerFails and ClientFails are libvirt's expectServerFail (the
	// server refuses the client's certificate) and expectClientFail (the
	// client refuses the server's).
	ServerFails, ClientFails bool
	// ClientFailsByDefault is ClientFails for virtwire's client without
	// WithLegacyCommonName: true also where only the server certificate's
	// CN names the host (libvirt's "perfect" server certificate has no
	// subjectAltName), which crypto/x509 and virtwire ignore by default
	// (RELIABILITY.md test 50).
	ClientFailsByDefault bool
}

// SessionReqs returns every certificate the session rows use, issuers
// first.
func SessionReqs() []Req {
	alt := func(name string, dns ...string) Req {
		r := perfectServer(name, "cacertreq", "libvirt.org")
		r.DNS = dns
		r.IPs = []string{"192.168.122.1", "fec0::dead:beaf"}
		return r
	}
	rs := []Req{
		caReq("cacertreq", "", "libvirt CA"),
		{Name: "altcacertreq", Country: "UK", CN: "libvirt CA 1", BC: bc(true, true)},
		perfectServer("servercertreq", "cacertreq", "libvirt.org"),
		perfectClient("clientcertreq", "cacertreq", "libvirt"),
		perfectClient("clientcertaltreq", "altcacertreq", "libvirt"),
		// When an altname is set the CN is ignored, so alt1 repeats it as
		// an altname and alt2 does not.
		alt("servercertalt1req", "www.libvirt.org", "libvirt.org"),
		alt("servercertalt2req", "www.libvirt.org", "wiki.libvirt.org"),
	}
	return append(rs, chainReqs()...)
}

// The tls_allowed_dn_list values of libvirt's session test.
var (
	wildcards1 = []string{"C=UK,CN=dogfood"}
	wildcards2 = []string{"C=UK,CN=libvirt"}
	wildcards3 = []string{"C=UK,CN=dogfood", "C=UK,CN=libvirt"}
	wildcards4 = []string{"C=UK,CN=libvirtstuff"}
	wildcards5 = []string{"C=UK,CN=libvirt*"}
	wildcards6 = []string{"C=UK,CN=*virt*"}
)

// SessionRows returns the 15 DO_SESS_TEST rows of libvirt's
// tests/virnettlssessiontest.c, in libvirt's order, with libvirt's expected
// results.
func SessionRows() []SessionRow {
	ca := []string{"cacertreq"}
	row := func(name, server, host string, serverFails, clientFails, cnOnly bool, dns []string) SessionRow {
		return SessionRow{Name: name, ServerCA: ca, ClientCA: ca, ServerCert: server, ClientCert: "clientcertreq",
			Hostname: host, AllowedDNs: dns, ServerFails: serverFails, ClientFails: clientFails,
			ClientFailsByDefault: clientFails || cnOnly}
	}
	return []SessionRow{
		row("servercertreq+clientcertreq", "servercertreq", "libvirt.org", false, false, true, nil),
		{Name: "servercertreq+clientcertaltreq", ServerCA: ca, ClientCA: []string{"altcacertreq"},
			ServerCert: "servercertreq", ClientCert: "clientcertaltreq", Hostname: "libvirt.org",
			ServerFails: true, ClientFails: true, ClientFailsByDefault: true},

		row("servercertalt1req+clientcertreq@libvirt.org", "servercertalt1req", "libvirt.org", false, false, false, nil),
		row("servercertalt1req+clientcertreq@www.libvirt.org", "servercertalt1req", "www.libvirt.org", false, false, false, nil),
		row("servercertalt1req+clientcertreq@wiki.libvirt.org", "servercertalt1req", "wiki.libvirt.org", false, true, false, nil),

		row("servercertalt2req+clientcertreq@libvirt.org", "servercertalt2req", "libvirt.org", false, true, false, nil),
		row("servercertalt2req+clientcertreq@www.libvirt.org", "servercertalt2req", "www.libvirt.org", false, false, false, nil),
		row("servercertalt2req+clientcertreq@wiki.libvirt.org", "servercertalt2req", "wiki.libvirt.org", false, false, false, nil),

		row("servercertreq+clientcertreq#wildcards1", "servercertreq", "libvirt.org", true, false, true, wildcards1),
		row("servercertreq+clientcertreq#wildcards2", "servercertreq", "libvirt.org", false, false, true, wildcards2),
		row("servercertreq+clientcertreq#wildcards3", "servercertreq", "libvirt.org", false, false, true, wildcards3),
		row("servercertreq+clientcertreq#wildcards4", "servercertreq", "libvirt.org", true, false, true, wildcards4),
		row("servercertreq+clientcertreq#wildcards5", "servercertreq", "libvirt.org", false, false, true, wildcards5),
		row("servercertreq+clientcertreq#wildcards6", "servercertreq", "libvirt.org", false, false, true, wildcards6),

		{Name: "servercertlevel3areq+clientcertlevel2breq", ServerCA: chainCA, ClientCA: chainCA,
			ServerCert: "servercertlevel3areq", ClientCert: "clientcertlevel2breq", Hostname: "libvirt.org",
			ClientFailsByDefault: true},
	}
}
