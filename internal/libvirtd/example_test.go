package libvirtd_test

import (
	"fmt"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/internal/pki"
)

// A test that compares against the real daemon starts its own, over unix,
// TCP and TLS, and runs virsh against it. (Shown as a function of t; an
// example has no *testing.T to run it with.)
func Example() {
	_ = func(t *testing.T) {
		libvirtd.RequireVirsh(t)
		p := pki.New(t)
		d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TCP(), libvirtd.TLS(p))
		client, err := p.WriteClientDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		node := d.File("node.xml")
		for _, uri := range []string{d.URI(node), d.TCPURI(node), d.TLSURI(node, client.Dir)} {
			out, stderr, exit, err := libvirtd.Virsh(t.Context(), uri, "list", "--all", "--name")
			if err != nil || exit != 0 {
				t.Fatalf("virsh -c %s: exit %d, %v: %s", uri, exit, err, stderr)
			}
			fmt.Print(out)
		}
	}
}

// The URI helpers put the daemon's own socket into every URI.
func ExampleDaemon_URI() {
	d := &libvirtd.Daemon{Socket: "/tmp/vw-123/run/libvirt-sock"}
	fmt.Println(d.URI("/srv/node.xml"))
	fmt.Println(d.DefaultURI())
	// Output:
	// test+unix:///srv/node.xml?socket=/tmp/vw-123/run/libvirt-sock
	// test+unix:///default?socket=/tmp/vw-123/run/libvirt-sock
}
