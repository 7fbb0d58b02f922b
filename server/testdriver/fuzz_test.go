package testdriver

import (
	"os"
	"testing"
)

// FuzzParseNodeXML: any input either fails to parse or gives a node that
// passes Validate and can be served, without panicking.
func FuzzParseNodeXML(f *testing.F) {
	for _, name := range []string{"testdata/node.xml", "testdata/node-empty.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<node><domain type='test'` + ns + `><name>a</name><memory unit='GiB'>1</memory><os><type>hvm</type></os>` +
		`<vcpu current='1'>2</vcpu><test:runstate> 3</test:runstate><test:domainsnapshot><name>s</name><creationTime>1</creationTime>` +
		`<state>running</state><active>1</active></test:domainsnapshot></domain></node>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNodeXML(data, nil)
		if err != nil {
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("parsed node fails Validate: %v", err)
		}
		d := NewDriver()
		h, err := d.Serve("test:///fuzz.xml", n)
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if got := len(h.Domains()); got != len(n.Domains) {
			t.Fatalf("served %d domains of %d", got, len(n.Domains))
		}
	})
}
