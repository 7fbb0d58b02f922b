package server

import (
	"testing"
)

func TestEchoRoundTrip(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, Options{}, echoSetup)
			c := ts.dial(t)
			for i := range uint32(10) {
				c.roundTrip(i)
			}
		})
	}
}
