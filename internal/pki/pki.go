package pki

import (
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
)

// PKI is the common case: one CA, a server certificate and a client
// certificate signed by it, and optionally a CRL.
type PKI struct {
	// CA is the self-signed root ([CASpec]).
	CA *Cert
	// Server is the server leaf ([ServerSpec]: SAN DNS:localhost, IP:127.0.0.1).
	Server *Cert
	// Client is the client leaf ([ClientSpec]).
	Client *Cert
	// CRL is signed by CA; nil unless [WithCRL], [RevokeClient] or
	// [RevokeServer] was given.
	CRL *CRL
}

// Option changes what [New] and [Generate] make.
type Option func(*options)

type options struct {
	keyType                  KeyType
	crl                      bool
	revokeClient             bool
	revokeServer             bool
	editCA, editSrv, editCli []func(*Spec)
}

// WithKeyType selects the key algorithm of all three certificates
// (default [ECDSAP256]).
func WithKeyType(k KeyType) Option { return func(o *options) { o.keyType = k } }

// WithCRL adds a CRL signed by the CA that revokes nothing.
func WithCRL() Option { return func(o *options) { o.crl = true } }

// RevokeClient adds a CRL that revokes the client certificate.
func RevokeClient() Option { return func(o *options) { o.crl, o.revokeClient = true, true } }

// RevokeServer adds a CRL that revokes the server certificate.
func RevokeServer() Option { return func(o *options) { o.crl, o.revokeServer = true, true } }

// WithServerNames replaces the server's SAN list. Each name that parses as
// an IP address becomes an IP SAN, the others DNS SANs. No names at all
// gives a server certificate without SAN, named only by its CN.
func WithServerNames(names ...string) Option {
	return EditServer(func(s *Spec) {
		s.DNSNames, s.IPAddresses = nil, nil
		for _, n := range names {
			if ip := net.ParseIP(n); ip != nil {
				s.IPAddresses = append(s.IPAddresses, ip)
			} else {
				s.DNSNames = append(s.DNSNames, n)
			}
		}
	})
}

// WithClientSubject sets the client certificate's subject DN, the name
// libvirtd's tls_allowed_dn_list matches.
func WithClientSubject(n pkix.Name) Option {
	return EditClient(func(s *Spec) { s.Subject = n })
}

// EditCA lets f change the CA's Spec before it is signed.
func EditCA(f func(*Spec)) Option { return func(o *options) { o.editCA = append(o.editCA, f) } }

// EditServer lets f change the server's Spec before it is signed.
func EditServer(f func(*Spec)) Option { return func(o *options) { o.editSrv = append(o.editSrv, f) } }

// EditClient lets f change the client's Spec before it is signed.
func EditClient(f func(*Spec)) Option { return func(o *options) { o.editCli = append(o.editCli, f) } }

// Default subjects of the certificates [Generate] makes.
const (
	DefaultCACommonName     = "virtwire test CA"
	DefaultServerCommonName = "localhost"
	DefaultClientCommonName = "virtwire client"
)

// Generate makes a PKI. Without options: an ECDSA P-256 CA
// (O=virtwire, CN=virtwire test CA), a server certificate (O=virtwire,
// CN=localhost, SAN DNS:localhost and IP:127.0.0.1) and a client
// certificate (O=virtwire, CN=virtwire client, same SAN), no CRL.
func Generate(opts ...Option) (*PKI, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	mk := func(s Spec, edits []func(*Spec), issuer *Cert) (*Cert, error) {
		s.KeyType = o.keyType
		for _, f := range edits {
			f(&s)
		}
		return NewCert(s, issuer)
	}
	var p PKI
	var err error
	if p.CA, err = mk(CASpec(DefaultCACommonName), o.editCA, nil); err != nil {
		return nil, err
	}
	if p.Server, err = mk(ServerSpec(DefaultServerCommonName), o.editSrv, p.CA); err != nil {
		return nil, err
	}
	if p.Client, err = mk(ClientSpec(DefaultClientCommonName), o.editCli, p.CA); err != nil {
		return nil, err
	}
	if o.crl {
		var revoked []*big.Int
		if o.revokeServer {
			revoked = append(revoked, p.Server.Cert.SerialNumber)
		}
		if o.revokeClient {
			revoked = append(revoked, p.Client.Cert.SerialNumber)
		}
		if p.CRL, err = NewCRL(p.CA, CRLSpec{Revoked: revoked}); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// New is [Generate] for tests: it fails t on error.
func New(t testing.TB, opts ...Option) *PKI {
	t.Helper()
	p, err := Generate(opts...)
	if err != nil {
		t.Fatalf("pki.New: %v", err)
	}
	return p
}

// MustCert is [NewCert] for tests: it fails t on error.
func MustCert(t testing.TB, s Spec, issuer *Cert) *Cert {
	t.Helper()
	c, err := NewCert(s, issuer)
	if err != nil {
		t.Fatalf("pki.NewCert(%v): %v", s.Subject, err)
	}
	return c
}

// ClientLayout returns the client's Layout: the CA, the client
// certificate and the CRL if there is one.
func (p *PKI) ClientLayout() Layout { return p.layout(p.Client) }

// ServerLayout returns the server's Layout: the CA, the server
// certificate and the CRL if there is one.
func (p *PKI) ServerLayout() Layout { return p.layout(p.Server) }

func (p *PKI) layout(leaf *Cert) Layout {
	l := Layout{CA: []*Cert{p.CA}, Cert: leaf}
	if p.CRL != nil {
		l.CRLs = []*CRL{p.CRL}
	}
	return l
}

// WriteClientDir writes cacert.pem, clientcert.pem, clientkey.pem and, if
// there is a CRL, cacrl.pem into dir: what a client URI's pkipath=dir reads.
func (p *PKI) WriteClientDir(dir string) (Files, error) {
	return WriteClient(dir, p.ClientLayout())
}

// WriteServerDir writes cacert.pem, servercert.pem, serverkey.pem and, if
// there is a CRL, cacrl.pem into dir; [Files.Conf] gives the libvirtd.conf
// lines.
func (p *PKI) WriteServerDir(dir string) (Files, error) {
	return WriteServer(dir, p.ServerLayout())
}
