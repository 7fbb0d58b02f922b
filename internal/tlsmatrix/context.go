package tlsmatrix

import (
	"strings"

	"github.com/virtwire/virtwire/internal/pki"
)

// Side is the end of a connection a row is checked on.
type Side int

// The two sides.
const (
	ServerSide Side = iota // libvirtd: virNetTLSContextNewServer; virtwire: server.ListenTLS
	ClientSide             // libvirt's client: virNetTLSContextNewClient; virtwire: client.Dial
)

// String returns "server" or "client".
func (s Side) String() string {
	if s == ServerSide {
		return "server"
	}
	return "client"
}

// ContextRow is one DO_CTX_TEST row: our own CA file and certificate, and
// whether creating the TLS context with them must fail.
type ContextRow struct {
	// Side is libvirt's isServer.
	Side Side
	// CAFile names the CA file in libvirt's test name when it is not the
	// single CA of CA ("cacertchain-ctx.pem").
	CAFile string
	// CA lists the certificates of the CA file, in order; nil with Missing.
	CA []string
	// Cert is the Req name of our certificate.
	Cert string
	// Missing means neither file exists (libvirt's "cacertdoesnotexist.pem").
	Missing bool
	// ExpectFail is libvirt's expectFail.
	ExpectFail bool
	// Warns marks a row that passes with a warning: libvirt logs one for a
	// rule broken in an extension that is not critical.
	Warns bool
	// Checks says what the row is about, after libvirt's comments.
	Checks string
}

// Name is the row's name after libvirt's test name ("TLS Context
// cacert4req.filename + servercert4req.filename"): "cacert4req+servercert4req".
func (r ContextRow) Name() string {
	ca := r.CAFile
	if ca == "" && len(r.CA) > 0 {
		ca = r.CA[0]
	}
	return ca + "+" + r.Cert
}

// Mirror returns the row for the other side: the same CA, and our
// certificate with the TLS server and client purposes exchanged (the Req
// that Req.SwapRole makes, which ContextReqs includes). libvirt applies the
// same rules on both sides, so the expected result does not change: server
// rows 7-16 mirror client rows 1-10, and the CA, expiry and chain rows
// check the CA rules on the side libvirt does not.
func (r ContextRow) Mirror() ContextRow {
	r.Side = 1 - r.Side
	r.Cert += "~mirror" // for Missing, only the name changes
	return r
}

// The perfect leaf extensions of libvirt's tests: basicConstraints
// critical CA:FALSE, keyUsage critical digitalSignature+keyEncipherment,
// extKeyUsage critical for the role.
func perfectServer(name, issuer, cn string) Req {
	return Req{Name: name, Issuer: issuer, Country: "UK", CN: cn,
		BC: bc(true, false), KU: ku(true, kuDigSig|kuEncipher), EKU: eku(true, kpServer)}
}

func perfectClient(name, issuer, cn string) Req {
	r := perfectServer(name, issuer, cn)
	r.EKU = eku(true, kpClient)
	return r
}

// caReq is a root (issuer "") or intermediate CA with basicConstraints
// critical CA:TRUE and keyUsage critical keyCertSign.
func caReq(name, issuer, cn string) Req {
	return Req{Name: name, Issuer: issuer, Country: "UK", CN: cn, BC: bc(true, true), KU: ku(true, kuCertSign)}
}

// leafReq is a leaf of cacertreq with CN libvirt and basicConstraints
// critical CA:FALSE, and the given keyUsage and extKeyUsage.
func leafReq(name string, k *pki.KeyUsage, e *pki.ExtKeyUsage) Req {
	return Req{Name: name, Issuer: "cacertreq", Country: "UK", CN: "libvirt", BC: bc(true, false), KU: k, EKU: e}
}

// chainReqs are the certificates of libvirt's chain rows: root, 1a and 1b
// under it, 2a under 1a; a server under 2a and a client under 1b.
func chainReqs() []Req {
	return []Req{
		caReq("cacertrootreq", "", "libvirt root"),
		caReq("cacertlevel1areq", "cacertrootreq", "libvirt level 1a"),
		caReq("cacertlevel1breq", "cacertrootreq", "libvirt level 1b"),
		caReq("cacertlevel2areq", "cacertlevel1areq", "libvirt level 2a"),
		perfectServer("servercertlevel3areq", "cacertlevel2areq", "libvirt.org"),
		perfectClient("clientcertlevel2breq", "cacertlevel1breq", "libvirt client level 2b"),
	}
}

// chainCA is the content of libvirt's cacertchain file.
var chainCA = []string{"cacertrootreq", "cacertlevel1areq", "cacertlevel1breq", "cacertlevel2areq"}

// ContextReqs returns every certificate the context rows use, issuers
// first, followed by the role-swapped copy of each leaf for Mirror.
func ContextReqs() []Req {
	rs := []Req{
		// A perfect CA, perfect client and perfect server.
		caReq("cacertreq", "", "libvirt CA"),
		perfectServer("servercertreq", "cacertreq", "libvirt.org"),
		perfectClient("clientcertreq", "cacertreq", "libvirt"),

		// Good CAs: no keyUsage; basicConstraints not critical; keyUsage certSign.
		{Name: "cacert1req", Country: "UK", CN: "libvirt CA 1", BC: bc(true, true)},
		perfectServer("servercert1req", "cacert1req", "libvirt.org"),
		{Name: "cacert2req", Country: "UK", CN: "libvirt CA 2", BC: bc(false, true)},
		perfectServer("servercert2req", "cacert2req", "libvirt.org"),
		caReq("cacert3req", "", "libvirt CA 3"),
		perfectServer("servercert3req", "cacert3req", "libvirt.org"),

		// Bad CAs: keyUsage digitalSignature not critical; no
		// basicConstraints; keyUsage digitalSignature critical.
		{Name: "cacert4req", Country: "UK", CN: "libvirt CA 4", BC: bc(true, true), KU: ku(false, kuDigSig)},
		perfectServer("servercert4req", "cacert4req", "libvirt.org"),
		{Name: "cacert5req", Country: "UK", CN: "libvirt CA 5"},
		perfectServer("servercert5req", "cacert5req", "libvirt.org"),
		{Name: "cacert6req", Country: "UK", CN: "libvirt CA 6", BC: bc(true, true), KU: ku(true, kuDigSig)},
		perfectServer("servercert6req", "cacert6req", "libvirt.org"),

		// Good servers.
		leafReq("servercert7req", nil, nil),
		leafReq("servercert8req", ku(true, kuDigSig|kuEncipher|kuCertSign), nil),
		leafReq("servercert9req", ku(false, kuCertSign), nil),
		leafReq("servercert10req", nil, eku(true, kpServer)),
		leafReq("servercert11req", nil, eku(false, kpServer)),
		leafReq("servercert12req", nil, eku(true, kpClient, kpServer)),
		leafReq("servercert13req", nil, eku(false, kpClient, kpServer)),
		// Bad servers.
		leafReq("servercert14req", ku(true, kuCertSign), nil),
		leafReq("servercert15req", nil, eku(true, kpClient)),
		leafReq("servercert16req", ku(true, 0), nil),

		// Good clients.
		leafReq("clientcert1req", nil, nil),
		leafReq("clientcert2req", ku(true, kuDigSig|kuEncipher|kuCertSign), nil),
		leafReq("clientcert3req", ku(false, kuCertSign), nil),
		leafReq("clientcert4req", nil, eku(true, kpClient)),
		leafReq("clientcert5req", nil, eku(false, kpClient)),
		leafReq("clientcert6req", nil, eku(true, kpClient, kpServer)),
		leafReq("clientcert7req", nil, eku(false, kpClient, kpServer)),
		// Bad clients.
		leafReq("clientcert8req", ku(true, kuCertSign), nil),
		leafReq("clientcert9req", nil, eku(true, kpServer)),
		leafReq("clientcert10req", ku(true, 0), nil),

		// Expired: the CA, the server, the client (expiry one hour ago).
		{Name: "cacertexpreq", Country: "UK", CN: "libvirt", BC: bc(true, true), KU: ku(true, kuCertSign), Expire: -1},
		perfectServer("servercertexpreq", "cacertexpreq", "libvirt.org"),
		withValidity(perfectServer("servercertexp1req", "cacertreq", "libvirt"), 0, -1),
		withValidity(perfectClient("clientcertexp1req", "cacertreq", "libvirt"), 0, -1),

		// Not yet active: valid from one to two hours from now.
		{Name: "cacertnewreq", Country: "UK", CN: "libvirt", BC: bc(true, true), KU: ku(true, kuCertSign), Start: 1, Expire: 2},
		perfectServer("servercertnewreq", "cacertnewreq", "libvirt"),
		withValidity(perfectServer("servercertnew1req", "cacertreq", "libvirt"), 1, 2),
		withValidity(perfectClient("clientcertnew1req", "cacertreq", "libvirt"), 1, 2),
	}
	rs = append(rs, chainReqs()...)
	var mirrors []Req
	for _, r := range rs {
		if !isCA(r) {
			mirrors = append(mirrors, r.SwapRole())
		}
	}
	return append(rs, mirrors...)
}

func isCA(r Req) bool {
	return strings.HasPrefix(r.Name, "cacert") || strings.HasPrefix(r.Name, "altcacert")
}

func withValidity(r Req, start, expire int) Req {
	r.Start, r.Expire = start, expire
	return r
}

// ContextRows returns the 37 DO_CTX_TEST rows of libvirt's
// tests/virnettlscontexttest.c, in libvirt's order, with libvirt's expected
// results (for a gnutls of 3.1 or later, which rejects cacert4).
func ContextRows() []ContextRow {
	one := func(side Side, ca, cert string, fail bool, checks string) ContextRow {
		return ContextRow{Side: side, CA: []string{ca}, Cert: cert, ExpectFail: fail, Checks: checks}
	}
	warns := func(r ContextRow) ContextRow { r.Warns = true; return r }
	return []ContextRow{
		one(ServerSide, "cacertreq", "servercertreq", false, "perfect CA and server"),
		one(ClientSide, "cacertreq", "clientcertreq", false, "perfect CA and client"),

		one(ServerSide, "cacert1req", "servercert1req", false, "CA without keyUsage"),
		one(ServerSide, "cacert2req", "servercert2req", false, "CA with basicConstraints not critical"),
		one(ServerSide, "cacert3req", "servercert3req", false, "CA with keyUsage certSign critical"),

		one(ServerSide, "cacert4req", "servercert4req", true, "CA with keyUsage digitalSignature, not critical: the signature check refuses it"),
		one(ServerSide, "cacert5req", "servercert5req", true, "CA without basicConstraints"),
		one(ServerSide, "cacert6req", "servercert6req", true, "CA with keyUsage digitalSignature, critical"),

		one(ServerSide, "cacertreq", "servercert7req", false, "server without keyUsage or extKeyUsage"),
		one(ServerSide, "cacertreq", "servercert8req", false, "server keyUsage certSign+digitalSignature+keyEncipherment, critical"),
		warns(one(ServerSide, "cacertreq", "servercert9req", false, "server keyUsage certSign, not critical (a warning)")),
		one(ServerSide, "cacertreq", "servercert10req", false, "server extKeyUsage server, critical"),
		one(ServerSide, "cacertreq", "servercert11req", false, "server extKeyUsage server, not critical"),
		one(ServerSide, "cacertreq", "servercert12req", false, "server extKeyUsage client+server, critical"),
		one(ServerSide, "cacertreq", "servercert13req", false, "server extKeyUsage client+server, not critical"),

		one(ServerSide, "cacertreq", "servercert14req", true, "server keyUsage certSign, critical"),
		one(ServerSide, "cacertreq", "servercert15req", true, "server extKeyUsage client, critical"),
		one(ServerSide, "cacertreq", "servercert16req", true, "server keyUsage empty, critical"),

		one(ClientSide, "cacertreq", "clientcert1req", false, "client without keyUsage or extKeyUsage"),
		one(ClientSide, "cacertreq", "clientcert2req", false, "client keyUsage certSign+digitalSignature+keyEncipherment, critical"),
		warns(one(ClientSide, "cacertreq", "clientcert3req", false, "client keyUsage certSign, not critical (a warning)")),
		one(ClientSide, "cacertreq", "clientcert4req", false, "client extKeyUsage client, critical"),
		one(ClientSide, "cacertreq", "clientcert5req", false, "client extKeyUsage client, not critical"),
		one(ClientSide, "cacertreq", "clientcert6req", false, "client extKeyUsage client+server, critical"),
		one(ClientSide, "cacertreq", "clientcert7req", false, "client extKeyUsage client+server, not critical"),

		one(ClientSide, "cacertreq", "clientcert8req", true, "client keyUsage certSign, critical"),
		one(ClientSide, "cacertreq", "clientcert9req", true, "client extKeyUsage server, critical"),
		one(ClientSide, "cacertreq", "clientcert10req", true, "client keyUsage empty, critical"),

		one(ServerSide, "cacertexpreq", "servercertexpreq", true, "expired CA"),
		one(ServerSide, "cacertreq", "servercertexp1req", true, "expired server"),
		one(ClientSide, "cacertreq", "clientcertexp1req", true, "expired client"),

		one(ServerSide, "cacertnewreq", "servercertnewreq", true, "CA not yet active"),
		one(ServerSide, "cacertreq", "servercertnew1req", true, "server not yet active"),
		one(ClientSide, "cacertreq", "clientcertnew1req", true, "client not yet active"),

		{Side: ServerSide, CAFile: "cacertchain-ctx.pem", CA: chainCA, Cert: "servercertlevel3areq",
			Checks: "server under root→1a→2a, the CA file holding root, 1a, 1b and 2a"},
		{Side: ClientSide, CAFile: "cacertchain-ctx.pem", CA: chainCA, Cert: "clientcertlevel2breq",
			Checks: "client under root→1b, the same CA file"},

		{Side: ClientSide, CAFile: "cacertdoesnotexist.pem", Cert: "servercertdoesnotexist.pem", Missing: true,
			ExpectFail: true, Checks: "missing CA and certificate files"},
	}
}
