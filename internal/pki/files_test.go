package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteDirs(t *testing.T) {
	p := New(t, RevokeClient())
	dir := t.TempDir()
	cf, err := p.WriteClientDir(filepath.Join(dir, "client"))
	if err != nil {
		t.Fatalf("WriteClientDir: %v", err)
	}
	sf, err := p.WriteServerDir(filepath.Join(dir, "server"))
	if err != nil {
		t.Fatalf("WriteServerDir: %v", err)
	}
	want := []struct {
		path, base string
		mode       os.FileMode
		check      func([]byte) error
	}{
		{cf.CACert, CACertFile, 0o644, certIs(p.CA)},
		{cf.Cert, ClientCertFile, 0o644, certIs(p.Client)},
		{cf.Key, ClientKeyFile, 0o600, keyOK},
		{cf.CRL, CRLFile, 0o644, crlOK},
		{sf.CACert, CACertFile, 0o644, certIs(p.CA)},
		{sf.Cert, ServerCertFile, 0o644, certIs(p.Server)},
		{sf.Key, ServerKeyFile, 0o600, keyOK},
		{sf.CRL, CRLFile, 0o644, crlOK},
	}
	for _, w := range want {
		if filepath.Base(w.path) != w.base {
			t.Errorf("file %q; want base name %q", w.path, w.base)
			continue
		}
		st, err := os.Stat(w.path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if st.Mode().Perm() != w.mode {
			t.Errorf("%s: mode %v; want %v", w.path, st.Mode().Perm(), w.mode)
		}
		b, _ := os.ReadFile(w.path)
		if err := w.check(b); err != nil {
			t.Errorf("%s: %v", w.path, err)
		}
	}
	if cf.Dir != filepath.Join(dir, "client") {
		t.Errorf("client Dir = %q", cf.Dir)
	}
	st, err := os.Stat(cf.Dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("client dir mode = %v, %v; want 0700", st.Mode().Perm(), err)
	}
	wantConf := `ca_file = "` + sf.CACert + `"
cert_file = "` + sf.Cert + `"
key_file = "` + sf.Key + `"
crl_file = "` + sf.CRL + `"
`
	if got := sf.Conf(); got != wantConf {
		t.Errorf("Conf() =\n%s\nwant\n%s", got, wantConf)
	}
}

func certIs(c *Cert) func([]byte) error {
	return func(b []byte) error {
		if !bytes.Equal(b, c.PEM()) {
			return errors.New("content differs from the certificate's PEM")
		}
		got, err := ParseCert(b)
		if err != nil {
			return err
		}
		if !got.Cert.Equal(c.Cert) {
			return errors.New("parsed certificate differs")
		}
		return nil
	}
}

func keyOK(b []byte) error {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return errors.New("no PRIVATE KEY block")
	}
	_, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	return err
}

func crlOK(b []byte) error {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "X509 CRL" {
		return errors.New("no X509 CRL block")
	}
	_, err := x509.ParseRevocationList(blk.Bytes)
	return err
}

func TestWriteLayoutVariants(t *testing.T) {
	root := MustCert(t, CASpec("root"), nil)
	inter := MustCert(t, CASpec("1a"), root)
	leaf := MustCert(t, ClientSpec("client"), inter)
	dir := t.TempDir()

	// CA only: no cert, key or CRL file.
	f, err := WriteClient(filepath.Join(dir, "ca-only"), Layout{CA: []*Cert{root}})
	if err != nil {
		t.Fatalf("WriteClient(CA only): %v", err)
	}
	if f.Cert != "" || f.Key != "" || f.CRL != "" {
		t.Errorf("CA-only Files = %+v; want only CACert", f)
	}
	if _, err := os.Stat(filepath.Join(dir, "ca-only", ClientCertFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("clientcert.pem written for a CA-only layout (stat error %v)", err)
	}

	// Bundle and chain.
	f, err = WriteClient(filepath.Join(dir, "chain"), Layout{CA: []*Cert{root, inter}, Cert: leaf, WithChain: true})
	if err != nil {
		t.Fatalf("WriteClient(chain): %v", err)
	}
	ca, _ := os.ReadFile(f.CACert)
	if !bytes.Equal(ca, PEMBundle(root, inter)) {
		t.Errorf("cacert.pem is not root+1a")
	}
	cert, _ := os.ReadFile(f.Cert)
	if !bytes.Equal(cert, PEMBundle(leaf, inter)) {
		t.Errorf("clientcert.pem is not leaf+1a")
	}

	if _, err := WriteServer(dir, Layout{}); !errors.Is(err, ErrNoCA) {
		t.Errorf("WriteServer(no CA) error = %v; want ErrNoCA", err)
	}
	keyless := &Cert{Cert: leaf.Cert, DER: leaf.DER}
	if _, err := WriteServer(filepath.Join(dir, "keyless"), Layout{CA: []*Cert{root}, Cert: keyless}); !errors.Is(err, ErrNoKey) {
		t.Errorf("WriteServer(keyless leaf) error = %v; want ErrNoKey", err)
	}
}
