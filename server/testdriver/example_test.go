package testdriver_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// A node XML file for libvirt's test driver loads into Go values: IDs
// follow node order for the domains that are not shut off.
func ExampleParseNodeXML() {
	n, err := testdriver.ParseNodeXML([]byte(`<node>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>web</name><memory unit='GiB'>2</memory><os><type>hvm</type></os>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>db</name><memory>1048576</memory><os><type>hvm</type></os>
    <test:runstate>5</test:runstate><test:hasmanagedsave/>
  </domain>
  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>cache</name><memory>1048576</memory><os><type>hvm</type></os>
    <test:runstate>3</test:runstate><test:transient/>
  </domain>
</node>`), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range n.Domains {
		fmt.Println(d.ID, d.Name, d.State, d.MemoryKiB, "transient:", d.Transient, "managed save:", d.ManagedSave)
	}
	// Output:
	// 1 web RUNNING 2097152 transient: false managed save: false
	// -1 db SHUTOFF 1048576 transient: false managed save: true
	// 2 cache PAUSED 1048576 transient: true managed save: false
}

// A Driver serves nodes on any server.Server: this is what libvirtdtest and
// `virtwire serve` do.
func ExampleDriver() {
	drv := testdriver.NewDriver()
	if _, err := drv.Serve(testdriver.DefaultName, testdriver.Default()); err != nil {
		log.Fatal(err)
	}
	srv := server.New(server.Options{})
	drv.Register(srv)
	dir, err := os.MkdirTemp("", "vwt-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ln, err := srv.ListenUnix(filepath.Join(dir, "sock"), 0o600, false)
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer drv.Close()
	defer srv.Close()
	fmt.Println("test+unix:///default?socket=" + ln.Addr().String()[len(dir):] + " …")
	fmt.Println(len(drv.Procedures()), "procedures, including", protocol.ProcConnectListAllDomains)
	// Output:
	// test+unix:///default?socket=/sock …
	// 54 procedures, including CONNECT_LIST_ALL_DOMAINS
}
