package captures

import "testing"

func TestAll(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 11 {
		t.Fatalf("got %d captures, want 11", len(all))
	}
	for _, c := range all {
		if len(c.C2S) == 0 || len(c.S2C) == 0 {
			t.Errorf("%s: %d/%d frames", c.Name, len(c.C2S), len(c.S2C))
		}
		for _, f := range append(c.C2S, c.S2C...) {
			if len(f) < 28 {
				t.Errorf("%s: frame of %d bytes", c.Name, len(f))
			}
		}
	}
	res, err := PyFlagResults()
	if err != nil || len(res) != 31 {
		t.Fatalf("PyFlagResults: %d entries, %v", len(res), err)
	}
	if x, err := NodeXML("node.xml"); err != nil || len(x) == 0 {
		t.Fatalf("NodeXML: %v", err)
	}
}
