package libvirtdtest_test

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"

	"github.com/virtwire/virtwire/internal/libvirtd"
)

// goListAll connects go-libvirt (test-only dependency) to socket, opens
// name and lists with each flag value: a domain list, sorted by name, or
// the error's code and message.
func goListAll(t *testing.T, socket, name string, flags []uint32) []string {
	t.Helper()
	l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(socket)))
	if err := l.ConnectToURI(golibvirt.ConnectURI(name)); err != nil {
		t.Fatalf("go-libvirt ConnectToURI(%s) on %s: %v", name, socket, err)
	}
	defer func() {
		if err := l.Disconnect(); err != nil {
			t.Errorf("go-libvirt Disconnect: %v", err)
		}
	}()
	out := make([]string, len(flags))
	for i, f := range flags {
		doms, ret, err := l.ConnectListAllDomains(1, golibvirt.ConnectListAllDomainsFlags(f))
		if err != nil {
			var e golibvirt.Error
			if !errors.As(err, &e) {
				t.Fatalf("go-libvirt ConnectListAllDomains(%#x): %v", f, err)
			}
			out[i] = fmt.Sprintf("error %d: %s", e.Code, e.Message)
			continue
		}
		slices.SortFunc(doms, func(a, b golibvirt.Domain) int { return cmp.Compare(a.Name, b.Name) })
		out[i] = fmt.Sprintf("%d %v", ret, doms)
	}
	return out
}

// TestConformanceGoLibvirt: github.com/digitalocean/go-libvirt, unmodified,
// gets the same ConnectListAllDomains sets for all 65,536 flag values and
// the same errors for unknown bits from the fake as from libvirtd 9.0.
func TestConformanceGoLibvirt(t *testing.T) {
	p := startPair(t, "testdata/node.xml")
	flags := sweepFlags(1<<16, 1<<30, 1<<31, 0xffffffff)
	real := goListAll(t, p.real.Socket, "test://"+p.node, flags)
	fake := goListAll(t, p.fake.Socket, p.fake.Host.Name(), flags)
	compareSweep(t, flags, real, fake)
	if want := "error 8: unsupported flags (0xffff0000) in function testConnectListAllDomains"; real[len(real)-1] != want {
		t.Errorf("libvirtd's answer to 0xffffffff = %q; want %q", real[len(real)-1], want)
	}
	var _ = libvirtd.Available
}
