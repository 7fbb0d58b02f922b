package pki_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/virtwire/virtwire/internal/pki"
)

// Generate a CA, server and client, and write the client side as the
// directory a libvirt URI's pkipath= names.
func Example() {
	p, err := pki.Generate(pki.WithCRL())
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "pki-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	f, err := p.WriteClientDir(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{f.CACert, f.Cert, f.Key, f.CRL} {
		fmt.Println(filepath.Base(name))
	}
	fmt.Println(p.Server.Cert.DNSNames, p.Server.Cert.IPAddresses)
	// Output:
	// cacert.pem
	// clientcert.pem
	// clientkey.pem
	// cacrl.pem
	// [localhost] [127.0.0.1]
}

// Build one row of a TLS matrix by hand: a server certificate whose
// keyUsage is not critical, which crypto/x509 alone cannot produce.
func ExampleNewCert() {
	ca, err := pki.NewCert(pki.CASpec("ca"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := pki.ServerSpec("localhost")
	s.KeyUsage.Critical = false
	srv, err := pki.NewCert(s, ca)
	if err != nil {
		fmt.Println(err)
		return
	}
	ku, _ := srv.Extension(pki.OIDKeyUsage)
	bc, _ := srv.Extension(pki.OIDBasicConstraints)
	fmt.Println("keyUsage critical:", ku.Critical)
	fmt.Println("basicConstraints critical:", bc.Critical)
	// Output:
	// keyUsage critical: false
	// basicConstraints critical: true
}
