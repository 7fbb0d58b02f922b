package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// TestErrorReplyTooLargeCloses checks what happens to an error reply that
// cannot be encoded (a message over REMOTE_STRING_MAX, as libvirtd's "no
// connection driver available for <4 MiB name>"): as libvirtd ("Failed to
// serialize remote error") the connection is closed with no reply, where
// the server used to send the generic "did not set virError" error. Other
// connections are unaffected.
func TestErrorReplyTooLargeCloses(t *testing.T) {
	huge := strings.Repeat("x", protocol.StringMax)
	ts := startServer(t, "unix", Options{}, func(s *Server) {
		echoSetup(s)
		s.Handle(remote, v1, 7020, func(context.Context, *Call) (protocol.Message, error) {
			return nil, protocol.NewError(protocol.FromNone, protocol.ErrNoConnect, huge)
		})
	})
	good := ts.dial(t)
	c := ts.dial(t)
	c.send(callHeader(7020, 1), nil)
	c.expectClosed(5 * time.Second)
	if !ts.log.has("Failed to serialize remote error; closing the connection") {
		t.Errorf("no log line; have:\n%s", ts.log)
	}
	good.roundTrip(2)
}
