package libvirtdtest_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
)

// virshListArgs returns the option sets of `virsh list` to compare: every
// filter of FACTS §12 and protocol-ref §6 on its own and in pairs, under
// each base (default, --inactive, --all) and each output mode.
func virshListArgs() [][]string {
	filters := append(libvirtd.VirshListFilters(), []string{"--no-autostart", "--without-checkpoint", "--persistent"})
	bases := libvirtd.VirshListBases()
	modes := append(libvirtd.VirshListModes(), []string{"--name", "--title"})
	// Filters decide which domains are listed and modes how they are
	// printed, so each filter is tried with two modes and each mode
	// with two filters, under every base, rather than the whole product.
	var out [][]string
	add := func(parts ...[]string) {
		args := []string{"list"}
		for _, p := range parts {
			args = append(args, p...)
		}
		out = append(out, args)
	}
	for _, b := range bases {
		for _, f := range filters {
			add(b, f, modes[0])
			add(b, f, modes[1])
		}
		for _, m := range modes[2:] {
			add(b, filters[0], m)
			add(b, filters[3], m)
		}
	}
	out = append(out,
		[]string{"-r", "list", "--all"}, []string{"-r", "list", "--all", "--title"}, []string{"-q", "list", "--all"},
		[]string{"-q", "list", "--all", "--title"}, []string{"list", "--table", "--name"},
		[]string{"list", "--table", "--uuid"}, []string{"list", "--all", "--state-shutoff", "--inactive"},
		[]string{"-r", "list", "--inactive", "--name"})
	return out
}

// TestConformanceVirshList runs `virsh list` with every option set against
// libvirtd 9.0 and against the fake on the same node files and requires
// byte-identical output, error output and exit status.
func TestConformanceVirshList(t *testing.T) {
	libvirtd.RequireVirsh(t)
	argsets := virshListArgs()
	for _, node := range []string{"testdata/node.xml", "testdata/node-virsh.xml", "testdata/node-empty.xml"} {
		t.Run(baseName(node), func(t *testing.T) {
			p := startPair(t, node)
			real := libvirtd.VirshAll(t, p.real.URI(p.node), 0, argsets)
			fake := libvirtd.VirshAll(t, p.fake.URI, 0, argsets)
			ro := []string{"-r", "list", "--all", "--title"}
			realRO := libvirtd.VirshAll(t, p.real.ROURI(p.node), 0, [][]string{ro})
			fakeRO := libvirtd.VirshAll(t, p.fake.ROURI(), 0, [][]string{ro})
			real, fake = append(real, realRO...), append(fake, fakeRO...)
			argsets := append(argsets, ro)
			bad := 0
			for i, args := range argsets {
				if real[i] != fake[i] {
					bad++
					if bad <= 5 {
						t.Errorf("virsh %s:\nreal (exit %d):\n%s%s\nfake (exit %d):\n%s%s", strings.Join(args, " "),
							real[i].Exit, real[i].Stdout, real[i].Stderr, fake[i].Exit, fake[i].Stdout, fake[i].Stderr)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d option sets differ", bad, len(argsets))
			}
			if real[0].Exit != 0 || !strings.Contains(real[0].Stdout, "Id") {
				t.Errorf("virsh list against libvirtd: exit %d, %q %q", real[0].Exit, real[0].Stdout, real[0].Stderr)
			}
		})
	}
}

// TestVirshListFallback: with CONNECT_LIST_ALL_DOMAINS answered "unknown
// procedure" (an old libvirtd) virsh falls back to the old listing calls
// and filters on its side; with an INVALID_ARG for filter bits it retries
// with ACTIVE|INACTIVE only. Either way it must print what libvirtd's
// answers make it print (FACTS §12).
func TestVirshListFallback(t *testing.T) {
	libvirtd.RequireVirsh(t)
	p := startPair(t, "testdata/node-virsh.xml")
	var argsets [][]string
	for _, args := range virshListArgs() {
		if slices.Contains(args, "--all") {
			argsets = append(argsets, args)
		}
	}
	real := libvirtd.VirshAll(t, p.real.URI(p.node), 0, argsets)
	check := func(name string) {
		fake := libvirtd.VirshAll(t, p.fake.URI, 0, argsets)
		bad := 0
		for i, args := range argsets {
			if real[i] != fake[i] {
				if bad++; bad <= 3 {
					t.Errorf("%s: virsh %s:\nreal (exit %d):\n%s%s\nfake (exit %d):\n%s%s", name, strings.Join(args, " "),
						real[i].Exit, real[i].Stdout, real[i].Stderr, fake[i].Exit, fake[i].Stdout, fake[i].Stderr)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d option sets differ", name, bad, len(argsets))
		}
	}
	p.fake.SetFault(protocol.ProcConnectListAllDomains, libvirtdtestFault(protocol.NewError(protocol.FromRPC, protocol.ErrRPC, "unknown procedure: 273")))
	check("unknown procedure")
	p.fake.ClearFault(protocol.ProcConnectListAllDomains)
	p.fake.Handle(protocol.ProcConnectListAllDomains, func(ctx context.Context, c *server.Call, next server.Handler) (protocol.Message, error) {
		var a protocol.ConnectListAllDomainsArgs
		if err := c.Decode(&a); err != nil {
			return nil, err
		}
		if a.Flags&^3 != 0 {
			return nil, protocol.UnsupportedFlagsError(protocol.FromTest, "testConnectListAllDomains", uint32(a.Flags&^3))
		}
		return next(ctx, c)
	})
	check("invalid flags")
}
