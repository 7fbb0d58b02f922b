package faultconn

import (
	"net"
	"testing"
)

// TCPPair returns the two ends of a fresh TCP connection over loopback, the
// dialing end first, for a test to wrap with faults or to use as it is.
// Both are closed when the test ends.
func TCPPair(tb testing.TB) (dialed, accepted net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	dialed, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	accepted, err = ln.Accept()
	if err != nil {
		dialed.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { dialed.Close(); accepted.Close() })
	return dialed, accepted
}
