package libvirtdtest_test

import (
	"context"
	"testing"

	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server/libvirtdtest"
)

// TestTransports: virsh, python-libvirt and virtwire's client reach the
// fake over unix, TCP and TLS (with the generated PKI and pkipath), and
// virsh prints over each what it prints over the same transport from
// libvirtd.
func TestTransports(t *testing.T) {
	libvirtd.RequireVirsh(t)
	libvirtd.RequirePython(t)
	p := pki.New(t)
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TCP(), libvirtd.TLS(p))
	node := d.File("node.xml")
	realPKI, err := p.WriteClientDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXML(node), libvirtdtest.TCP(), libvirtdtest.TLS())
	if srv.TCPURI() == "" || srv.TLSURI() == "" || srv.PKIDir == "" {
		t.Fatalf("TCPURI %q TLSURI %q PKIDir %q", srv.TCPURI(), srv.TLSURI(), srv.PKIDir)
	}
	for _, tc := range []struct{ name, real, fake string }{
		{"unix", d.URI(node), srv.URI},
		{"tcp", d.TCPURI(node), srv.TCPURI()},
		{"tls", d.TLSURI(node, realPKI.Dir), srv.TLSURI()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			ro, re, rx, err := libvirtd.Virsh(ctx, tc.real, "list", "--all")
			if err != nil || rx != 0 {
				t.Fatalf("virsh on libvirtd: exit %d, %v, %s", rx, err, re)
			}
			fo, fe, fx, err := libvirtd.Virsh(ctx, tc.fake, "list", "--all")
			if err != nil || fx != 0 || fo != ro {
				t.Errorf("virsh -c %s list --all: exit %d, %v, %s\n%s\nwant\n%s", tc.fake, fx, err, fe, fo, ro)
			}
			res, err := libvirtd.PyListAllDomains(ctx, tc.fake, false, []uint32{0, 1 << 30})
			if err != nil || len(res[0].Domains) != 8 || res[1].Error == nil || res[1].Error.Code != 8 {
				t.Errorf("python over %s: %v %+v", tc.name, err, res)
			}
			c, err := client.Dial(ctx, tc.fake)
			if err != nil {
				t.Fatalf("client.Dial(%s): %v", tc.fake, err)
			}
			defer c.Close()
			doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive)
			if err != nil || len(doms) != 5 {
				t.Errorf("client over %s: %v %v", tc.name, doms, err)
			}
		})
	}
}
