package tlsmatrix

import (
	"crypto/x509"
	"encoding/asn1"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
)

// PeerCase is a peer certificate on which crypto/x509's default
// verification, libvirt's and virtwire's may disagree (RELIABILITY.md P7,
// test 50), with the answer of each: true means the connection is accepted.
type PeerCase struct {
	// Name says what is wrong with the certificate.
	Name string
	// Rows names the libvirt context rows with the same certificate.
	Rows string
	// Edit turns the usual leaf of the role (pki.ServerSpec or
	// pki.ClientSpec: critical CA:FALSE, critical
	// digitalSignature+keyEncipherment, non-critical extKeyUsage of the
	// role, SAN localhost and 127.0.0.1) into the case's.
	Edit func(s *pki.Spec, server bool)
	// ServerOnly marks a case about naming the server's host.
	ServerOnly bool
	// Go is what crypto/tls accepts with its default verification
	// (x509.Certificate.Verify with the role's extKeyUsage, and the host
	// name for a server).
	Go bool
	// Libvirt is what libvirt 9.0 accepts: virsh checking a server, or
	// libvirtd checking a client (tests measure it where the tools exist).
	Libvirt bool
	// Virtwire is what virtwire's client (checking a server) and server
	// (checking a client) accept; VirtwireLegacyCN is the client's answer
	// with WithLegacyCommonName.
	Virtwire, VirtwireLegacyCN bool
}

func otherRole(server bool) x509.ExtKeyUsage {
	if server {
		return x509.ExtKeyUsageClientAuth
	}
	return x509.ExtKeyUsageServerAuth
}

var oidCodeSigning = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}

// PeerCases returns the cases of RELIABILITY.md P7 and test 50.
func PeerCases() []PeerCase {
	all := func(c PeerCase, ok bool) PeerCase {
		c.Go, c.Libvirt, c.Virtwire, c.VirtwireLegacyCN = ok, ok, ok, ok
		return c
	}
	return []PeerCase{
		all(PeerCase{Name: "usual leaf", Edit: func(*pki.Spec, bool) {}}, true),
		all(PeerCase{Name: "no basicConstraints, keyUsage or extKeyUsage", Rows: "servercert7req, clientcert1req",
			Edit: func(s *pki.Spec, _ bool) { s.BasicConstraints, s.KeyUsage, s.ExtKeyUsage = nil, nil, nil }}, true),
		{Name: "keyUsage certSign only, critical", Rows: "servercert14req, clientcert8req",
			Edit: func(s *pki.Spec, _ bool) { s.KeyUsage = ku(true, kuCertSign) },
			Go:   true},
		{Name: "keyUsage empty, critical", Rows: "servercert16req, clientcert10req",
			Edit: func(s *pki.Spec, _ bool) { s.KeyUsage = ku(true, 0) },
			Go:   true},
		// libvirt's own check only warns (context rows 9 and 3 pass), but
		// gnutls refuses the handshake: the peer signed it with a key its
		// certificate does not allow to sign.
		{Name: "keyUsage certSign only, not critical", Rows: "servercert9req, clientcert3req",
			Edit: func(s *pki.Spec, _ bool) { s.KeyUsage = ku(false, kuCertSign) },
			Go:   true},
		all(PeerCase{Name: "keyUsage digitalSignature only, not critical",
			Edit: func(s *pki.Spec, _ bool) { s.KeyUsage = ku(false, kuDigSig) }}, true),
		{Name: "leaf with basicConstraints CA:TRUE",
			Edit: func(s *pki.Spec, _ bool) { s.BasicConstraints = bc(true, true) },
			Go:   true},
		{Name: "extKeyUsage of the other role, not critical",
			Edit:    func(s *pki.Spec, server bool) { s.ExtKeyUsage = eku(false, otherRole(server)) },
			Libvirt: true},
		all(PeerCase{Name: "extKeyUsage of the other role, critical", Rows: "servercert15req, clientcert9req",
			Edit: func(s *pki.Spec, server bool) { s.ExtKeyUsage = eku(true, otherRole(server)) }}, false),
		{Name: "extKeyUsage anyExtendedKeyUsage only, critical",
			Edit: func(s *pki.Spec, _ bool) { s.ExtKeyUsage = eku(true, x509.ExtKeyUsageAny) },
			Go:   true, Virtwire: true, VirtwireLegacyCN: true},
		{Name: "extKeyUsage codeSigning only, critical",
			Edit: func(s *pki.Spec, _ bool) {
				s.ExtKeyUsage = &pki.ExtKeyUsage{Critical: true, OIDs: []asn1.ObjectIdentifier{oidCodeSigning}}
			},
			Libvirt: true},
		{Name: "host named only by the subject CN", ServerOnly: true,
			Edit:    func(s *pki.Spec, _ bool) { s.DNSNames, s.IPAddresses = nil, nil },
			Libvirt: true, VirtwireLegacyCN: true},
		all(PeerCase{Name: "expired",
			Edit: func(s *pki.Spec, _ bool) {
				s.NotBefore, s.NotAfter = time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
			}}, false),
		all(PeerCase{Name: "not yet valid",
			Edit: func(s *pki.Spec, _ bool) {
				s.NotBefore, s.NotAfter = time.Now().Add(time.Hour), time.Now().Add(2*time.Hour)
			}}, false),
	}
}

// Leaf returns the case's certificate for the role, signed by ca, named
// host (the CN; and the SANs unless the case removes them).
func (c PeerCase) Leaf(ca *pki.Cert, server bool) (*pki.Cert, error) {
	var s pki.Spec
	if server {
		s = pki.ServerSpec("localhost")
	} else {
		s = pki.ClientSpec("libvirt")
		s.Subject.Country = []string{"UK"}
	}
	c.Edit(&s, server)
	return pki.NewCert(s, ca)
}
