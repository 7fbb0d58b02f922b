package protocol

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/virtwire/virtwire/internal/captures"
)

func hexString(b []byte) string { return hex.EncodeToString(b) }

// TestCapturesRoundTrip decodes the header and payload of every frame of
// every shared capture, in both directions, re-encodes them and requires the
// identical bytes (issue #3, RELIABILITY test 16).
func TestCapturesRoundTrip(t *testing.T) {
	all, err := captures.All()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range all {
		for dir, frames := range map[string][][]byte{"c2s": c.C2S, "s2c": c.S2C} {
			for i, raw := range frames {
				fr := NewFrameReader(bytes.NewReader(raw))
				f, err := fr.ReadFrame()
				if err != nil {
					t.Errorf("%s %s #%d: %v", c.Name, dir, i, err)
					continue
				}
				m := NewPayload(&f.Header)
				if m == nil {
					t.Errorf("%s %s #%d: no message type for %v", c.Name, dir, i, f.Header)
					continue
				}
				trailing, err := Unmarshal(f.Payload, m)
				if err != nil || trailing != 0 {
					t.Errorf("%s %s #%d %v: Unmarshal = %d trailing, %v", c.Name, dir, i, f.Header, trailing, err)
					continue
				}
				out, err := AppendFrame(nil, &f.Header, m)
				if err != nil {
					t.Errorf("%s %s #%d: AppendFrame: %v", c.Name, dir, i, err)
					continue
				}
				if !bytes.Equal(out, raw) {
					t.Errorf("%s %s #%d %v:\n got %x\nwant %x", c.Name, dir, i, f.Header, out, raw)
				}
				n++
			}
		}
	}
	if n != 280 { // 139 client and 141 server frames in the 11 captures
		t.Errorf("%d frames round-tripped, want all 280", n)
	}
	t.Logf("%d frames round-tripped byte for byte", n)
}
