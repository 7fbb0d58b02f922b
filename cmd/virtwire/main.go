// Command virtwire speaks libvirt's RPC protocol without libvirt: it lists
// domains like virsh list (from one host or many at once), serves a fake
// libvirtd, records and replays conversations with a real one, and decodes
// recorded frames.
//
// Run "virtwire help" for the subcommands and "virtwire help COMMAND" for
// each one's options; docs/cli.md shows them with real output.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
