package pki

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// File names libvirt uses inside a PKI directory (FACTS §11;
// virnettlscontext.c). A client's pkipath=DIR holds CACertFile, CRLFile,
// ClientCertFile and ClientKeyFile; this package writes a server directory
// with the same names and the server ones.
const (
	CACertFile     = "cacert.pem"
	CRLFile        = "cacrl.pem"
	ClientCertFile = "clientcert.pem"
	ClientKeyFile  = "clientkey.pem"
	ServerCertFile = "servercert.pem"
	ServerKeyFile  = "serverkey.pem"
)

// Layout is what one side of a libvirt TLS setup reads.
type Layout struct {
	// CA is written, concatenated in order, to cacert.pem. It must not be
	// empty. For a chain, list the root and the intermediates.
	CA []*Cert
	// Cert is the leaf certificate; nil writes no certificate or key file
	// (a client with a CA only, which libvirt's client allows).
	Cert *Cert
	// WithChain appends Cert's intermediates (see [Cert.Chain]) to the
	// certificate file after the leaf.
	WithChain bool
	// CRLs are written, concatenated, to cacrl.pem; none writes no file.
	CRLs []*CRL
}

// Files names the files of one written Layout. Empty fields were not
// written. The field names follow libvirtd.conf: ca_file, cert_file,
// key_file, crl_file.
type Files struct {
	// Dir is the directory; for a client it is the pkipath= value.
	Dir string
	// CACert is DIR/cacert.pem.
	CACert string
	// Cert is DIR/clientcert.pem or DIR/servercert.pem.
	Cert string
	// Key is DIR/clientkey.pem or DIR/serverkey.pem.
	Key string
	// CRL is DIR/cacrl.pem.
	CRL string
}

// Conf returns the libvirtd.conf lines that point the daemon at f
// (ca_file, cert_file, key_file and, when written, crl_file), one per line.
func (f Files) Conf() string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s = %q\n", k, v)
		}
	}
	line("ca_file", f.CACert)
	line("cert_file", f.Cert)
	line("key_file", f.Key)
	line("crl_file", f.CRL)
	return b.String()
}

// WriteClient writes l into dir with the client names cacert.pem,
// clientcert.pem, clientkey.pem and cacrl.pem, creating dir (mode 0700) if
// needed. The result's Dir is what a client URI's pkipath= takes.
func WriteClient(dir string, l Layout) (Files, error) {
	return write(dir, l, ClientCertFile, ClientKeyFile)
}

// WriteServer writes l into dir with the server names cacert.pem,
// servercert.pem, serverkey.pem and cacrl.pem, creating dir (mode 0700) if
// needed. [Files.Conf] gives the matching libvirtd.conf lines.
func WriteServer(dir string, l Layout) (Files, error) {
	return write(dir, l, ServerCertFile, ServerKeyFile)
}

func write(dir string, l Layout, certName, keyName string) (Files, error) {
	if len(l.CA) == 0 {
		return Files{}, fmt.Errorf("pki: write %s: %w", dir, ErrNoCA)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Files{}, fmt.Errorf("pki: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Files{}, fmt.Errorf("pki: %w", err)
	}
	f := Files{Dir: abs, CACert: filepath.Join(abs, CACertFile)}
	if err := writeFile(f.CACert, PEMBundle(l.CA...), 0o644); err != nil {
		return Files{}, err
	}
	if l.Cert != nil {
		certs := []*Cert{l.Cert}
		if l.WithChain {
			certs = l.Cert.Chain()
		}
		key, err := l.Cert.KeyPEM()
		if err != nil {
			return Files{}, err
		}
		f.Cert = filepath.Join(abs, certName)
		f.Key = filepath.Join(abs, keyName)
		if err := writeFile(f.Cert, PEMBundle(certs...), 0o644); err != nil {
			return Files{}, err
		}
		if err := writeFile(f.Key, key, 0o600); err != nil {
			return Files{}, err
		}
	}
	if len(l.CRLs) > 0 {
		var b []byte
		for _, c := range l.CRLs {
			b = append(b, c.PEM()...)
		}
		f.CRL = filepath.Join(abs, CRLFile)
		if err := writeFile(f.CRL, b, 0o644); err != nil {
			return Files{}, err
		}
	}
	return f, nil
}

func writeFile(name string, data []byte, perm os.FileMode) error {
	if err := os.WriteFile(name, data, perm); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	// WriteFile keeps the mode of an existing file; make it exact.
	if err := os.Chmod(name, perm); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
