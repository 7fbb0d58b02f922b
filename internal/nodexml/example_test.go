package nodexml_test

import (
	"fmt"

	"github.com/virtwire/virtwire/internal/nodexml"
)

// Generate a ten-domain node and show what the test driver will make of
// it: the first eight domains have the shapes of setup/node.xml.
func ExampleGenerate() {
	node := nodexml.Generate(10, 1)
	ids := node.IDs()
	for i, d := range node.Domains[:8] {
		fmt.Printf("%s id=%d %s transient=%v managedsave=%v snapshots=%d\n",
			d.Name, ids[i], d.State, d.Transient, d.ManagedSave, len(d.Snapshots))
	}
	// Output:
	// s1-dom00000 id=1 running transient=false managedsave=false snapshots=0
	// s1-dom00001 id=2 paused transient=false managedsave=false snapshots=0
	// s1-dom00002 id=-1 shutoff transient=false managedsave=true snapshots=0
	// s1-dom00003 id=-1 shutoff transient=false managedsave=false snapshots=1
	// s1-dom00004 id=3 running transient=true managedsave=false snapshots=0
	// s1-dom00005 id=4 crashed transient=false managedsave=false snapshots=0
	// s1-dom00006 id=-1 shutoff transient=false managedsave=false snapshots=0
	// s1-dom00007 id=5 pmsuspended transient=false managedsave=false snapshots=0
}
