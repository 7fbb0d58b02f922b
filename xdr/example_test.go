package xdr_test

import (
	"fmt"

	"github.com/virtwire/virtwire/xdr"
)

// Encode remote_nonnull_domain {name, uuid, id} for "alpha" (FACTS §4).
func ExampleAppendString() {
	uuid := [16]byte{0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11}
	buf := make([]byte, 0, 64) // reused: appending allocates nothing
	buf = xdr.AppendString(buf, "alpha")
	buf = xdr.AppendFixedOpaque(buf, uuid[:])
	buf = xdr.AppendInt32(buf, 1)
	fmt.Printf("%d bytes: % x\n", len(buf), buf)
	// Output:
	// 32 bytes: 00 00 00 05 61 6c 70 68 61 00 00 00 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 11 00 00 00 01
}

// Decode with a bounded Decoder and check the sticky error once at the end.
func ExampleDecoder() {
	wire := []byte{
		0x00, 0x00, 0x00, 0x04, 'g', 'o', 'l', 'f', // name, no padding needed
		0xff, 0xff, 0xff, 0xff, // id -1: inactive
	}
	d := xdr.NewDecoder(wire)
	name := d.String("name", 4194304) // REMOTE_STRING_MAX
	id := d.Int32("id")
	if err := d.Err(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(name, id)

	// A hostile length is refused before anything is allocated.
	d = xdr.NewDecoder([]byte{0xff, 0xff, 0xff, 0xff})
	_ = d.String("name", 4194304)
	fmt.Println(d.Err())
	// Output:
	// golf -1
	// xdr: name: length 4294967295 exceeds maximum 4194304 at offset 0
}
