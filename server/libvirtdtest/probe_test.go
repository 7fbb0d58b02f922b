//go:build probe

package libvirtdtest_test

import (
	"encoding"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
)

func zeros(n int) protocol.RawPayload { return make(protocol.RawPayload, n) }

func feature(f int32) *protocol.ConnectSupportsFeatureArgs {
	return &protocol.ConnectSupportsFeatureArgs{Feature: protocol.Feature(f)}
}

func TestProbePreOpen(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	r := dialRaw(t, "unix", d.Socket)
	for _, p := range []struct {
		proc protocol.Procedure
		args encoding.BinaryAppender
	}{
		{66, nil}, {60, feature(10)}, {60, feature(14)}, {60, feature(8)}, {60, feature(9)},
		{157, nil}, {110, nil}, {59, nil}, {3, nil}, {4, nil}, {149, nil}, {360, nil}, {361, nil},
		{316, zeros(8)}, {317, zeros(4)}, {105, nil}, {106, nil}, {167, zeros(4)}, {273, zeros(8)},
		{51, nil}, {419, zeros(8)}, {6, nil}, {7, nil}, {5, zeros(4)}, {203, zeros(4)}, {67, nil}, {70, nil},
		{212, zeros(64)}, {23, zeros(8)}, {34, zeros(64)},
	} {
		var args encoding.BinaryAppender
		if p.args != nil {
			args = p.args
		}
		fmt.Printf("preopen %3d %-40v %s\n", p.proc, p.proc, describe(r.call(p.proc, args)))
	}
}

func TestProbeOpen(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	cases := []struct {
		name  *string
		flags uint32
	}{}
	s := func(v string) *string { return &v }
	for _, n := range []string{"test:///default", "test://" + node, "test:///", "test://", "", "qemu:///system",
		"test:///nonexistent.xml", "test:///default?foo=bar", "test:///default#frag", "TEST:///default",
		"test://host/default", "test:/default", "test:default", "test:///default/", "test:////default", "Test:///default", "test+unix:///default", "xyz", "/default", "test:///tmp"} {
		cases = append(cases, struct {
			name  *string
			flags uint32
		}{s(n), 0})
	}
	cases = append(cases, struct {
		name  *string
		flags uint32
	}{nil, 0}, struct {
		name  *string
		flags uint32
	}{s("test:///default"), 2}, struct {
		name  *string
		flags uint32
	}{s("test:///default"), 3}, struct {
		name  *string
		flags uint32
	}{s("test:///default"), 4}, struct {
		name  *string
		flags uint32
	}{s("test:///"), 4}, struct {
		name  *string
		flags uint32
	}{s("qemu:///system"), 4})
	for _, c := range cases {
		r := dialRaw(t, "unix", d.Socket)
		var a protocol.ConnectOpenArgs
		if c.name != nil {
			a.Name = protocol.Some(*c.name)
		}
		a.Flags = protocol.ConnectFlags(c.flags)
		b := r.call(1, &a)
		nm := "<NULL>"
		if c.name != nil {
			nm = *c.name
		}
		fmt.Printf("open %q flags %d: %s\n", nm, c.flags, describe(b))
		if replyError(b) == nil {
			fmt.Printf("   uri: %s\n", describe(r.call(110, nil)))
			fmt.Printf("   open again: %s\n", describe(r.call(1, &a)))
		} else {
			fmt.Printf("   after failed open LIST_ALL: %s\n", describe(r.call(273, zeros(8))))
			fmt.Printf("   open default: %s\n", describe(r.call(1, &protocol.ConnectOpenArgs{Name: protocol.Some("test:///default")})))
		}
		r.c.Close()
	}
}

func dom(name string, uuidByte byte, id int32) protocol.NonnullDomain {
	var u protocol.UUID
	for i := range u {
		u[i] = uuidByte
	}
	return protocol.NonnullDomain{Name: name, UUID: u, ID: id}
}

type pcall struct {
	label string
	proc  protocol.Procedure
	args  encoding.BinaryAppender
}

func runCalls(t *testing.T, r *rawConn, calls []pcall) {
	for _, c := range calls {
		b := r.call(c.proc, c.args)
		fmt.Printf("%-40s %s\n", c.label, describe(b))
		for _, e := range r.events {
			fmt.Printf("     event: %x\n", e)
		}
		r.events = nil
	}
}

func TestProbeAfterOpen(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	r := dialRaw(t, "unix", d.Socket)
	r.open("test://"+node, 0)
	var calls []pcall
	for _, f := range []int32{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 9999} {
		calls = append(calls, pcall{fmt.Sprintf("feature %d", f), 60, feature(f)})
	}
	alpha := dom("alpha", 0x11, 1)
	bravo := dom("bravo", 0x22, 2)
	charlie := dom("charlie", 0x33, -1)
	echo := dom("echo", 0x55, 3)
	ghost := dom("ghost", 0, 7)
	calls = append(calls,
		pcall{"hostname", 59, nil},
		pcall{"type", 3, nil},
		pcall{"version", 4, nil},
		pcall{"libversion", 157, nil},
		pcall{"issecure", 149, nil},
		pcall{"nodeinfo", 6, nil},
		pcall{"maxvcpus NULL", 5, &protocol.ConnectGetMaxVcpusArgs{}},
		pcall{"maxvcpus qemu", 5, &protocol.ConnectGetMaxVcpusArgs{Type: protocol.Some("qemu")}},
		pcall{"sysinfo 0", 203, &protocol.Uint32Value{}},
		pcall{"sysinfo 1", 203, &protocol.Uint32Value{Value: 1}},
		pcall{"setidentity", 419, zeros(8)},
		pcall{"register close", 360, nil},
		pcall{"register close again", 360, nil},
		pcall{"unregister close", 361, nil},
		pcall{"unregister close again", 361, nil},
		pcall{"getinfo alpha", 16, &protocol.DomainArgs{Dom: alpha}},
		pcall{"getinfo charlie", 16, &protocol.DomainArgs{Dom: charlie}},
		pcall{"getinfo ghost", 16, &protocol.DomainArgs{Dom: ghost}},
		pcall{"maxmem alpha", 17, &protocol.DomainArgs{Dom: alpha}},
		pcall{"maxmem ghost", 17, &protocol.DomainArgs{Dom: ghost}},
		pcall{"getstate bravo", 212, &protocol.DomainFlagsArgs{Dom: bravo}},
		pcall{"getstate bravo f1", 212, &protocol.DomainFlagsArgs{Dom: bravo, Flags: 1}},
		pcall{"getstate ghost f1", 212, &protocol.DomainFlagsArgs{Dom: ghost, Flags: 1}},
		pcall{"getstate wrongname uuid alpha", 212, &protocol.DomainFlagsArgs{Dom: dom("zzz", 0x11, 99)}},
		pcall{"lookup id 1", 22, &protocol.Int32Value{Value: 1}},
		pcall{"lookup id 0", 22, &protocol.Int32Value{Value: 0}},
		pcall{"lookup id -1", 22, &protocol.Int32Value{Value: -1}},
		pcall{"lookup id 99", 22, &protocol.Int32Value{Value: 99}},
		pcall{"lookup name alpha", 23, &protocol.DomainLookupByNameArgs{Name: "alpha"}},
		pcall{"lookup name ALPHA", 23, &protocol.DomainLookupByNameArgs{Name: "ALPHA"}},
		pcall{"lookup name empty", 23, &protocol.DomainLookupByNameArgs{Name: ""}},
		pcall{"isactive charlie", 150, &protocol.DomainArgs{Dom: charlie}},
		pcall{"ispersistent echo", 151, &protocol.DomainArgs{Dom: echo}},
		pcall{"isactive ghost", 150, &protocol.DomainArgs{Dom: ghost}},
		pcall{"getautostart ghost", 15, &protocol.DomainArgs{Dom: ghost}},
		pcall{"hasmanagedsave charlie", 183, &protocol.DomainFlagsArgs{Dom: charlie}},
		pcall{"hasmanagedsave charlie f1", 183, &protocol.DomainFlagsArgs{Dom: charlie, Flags: 1}},
		pcall{"hasmanagedsave ghost", 183, &protocol.DomainFlagsArgs{Dom: ghost}},
		pcall{"setautostart echo 1", 29, &protocol.DomainSetAutostartArgs{Dom: echo, Autostart: 1}},
		pcall{"setautostart alpha 5", 29, &protocol.DomainSetAutostartArgs{Dom: alpha, Autostart: 5}},
		pcall{"getautostart alpha", 15, &protocol.DomainArgs{Dom: alpha}},
		pcall{"setautostart alpha -1", 29, &protocol.DomainSetAutostartArgs{Dom: alpha, Autostart: -1}},
		pcall{"getautostart alpha", 15, &protocol.DomainArgs{Dom: alpha}},
		pcall{"setautostart ghost", 29, &protocol.DomainSetAutostartArgs{Dom: ghost, Autostart: 1}},
		pcall{"numofdomains", 51, nil},
		pcall{"numofdefined", 25, nil},
		pcall{"listdomains 10", 37, &protocol.Int32Value{Value: 10}},
		pcall{"listdomains 2", 37, &protocol.Int32Value{Value: 2}},
		pcall{"listdomains 0", 37, &protocol.Int32Value{Value: 0}},
		pcall{"listdomains -1", 37, &protocol.Int32Value{Value: -1}},
		pcall{"listdomains 16385", 37, &protocol.Int32Value{Value: 16385}},
		pcall{"listdefined 10", 21, &protocol.Int32Value{Value: 10}},
		pcall{"listdefined 1", 21, &protocol.Int32Value{Value: 1}},
		pcall{"listdefined -1", 21, &protocol.Int32Value{Value: -1}},
		pcall{"listdefined 16385", 21, &protocol.Int32Value{Value: 16385}},
		pcall{"snapnum delta", 187, &protocol.DomainFlagsArgs{Dom: dom("delta", 0x44, -1)}},
		pcall{"snapnum delta f=0xffff", 187, &protocol.DomainFlagsArgs{Dom: dom("delta", 0x44, -1), Flags: 0xffff}},
		pcall{"snapnum delta f=0x10000", 187, &protocol.DomainFlagsArgs{Dom: dom("delta", 0x44, -1), Flags: 0x10000}},
		pcall{"snapnum ghost", 187, &protocol.DomainFlagsArgs{Dom: ghost}},
		pcall{"snaplistnames delta 10", 188, &protocol.DomainSnapshotListNamesArgs{Dom: dom("delta", 0x44, -1), MaxNames: 10}},
		pcall{"snaplistnames delta -1", 188, &protocol.DomainSnapshotListNamesArgs{Dom: dom("delta", 0x44, -1), MaxNames: -1}},
		pcall{"listallsnap delta 1", 274, &protocol.DomainListAllChildrenArgs{Dom: dom("delta", 0x44, -1), NeedResults: 1}},
		pcall{"listallsnap delta 0", 274, &protocol.DomainListAllChildrenArgs{Dom: dom("delta", 0x44, -1), NeedResults: 0}},
		pcall{"listallcp alpha 0", 413, &protocol.DomainListAllChildrenArgs{Dom: alpha}},
		pcall{"listallcp alpha 1", 413, &protocol.DomainListAllChildrenArgs{Dom: alpha, NeedResults: 1}},
		pcall{"listallcp alpha f=0xffffffff", 413, &protocol.DomainListAllChildrenArgs{Dom: alpha, Flags: 0xffffffff}},
		pcall{"listallcp ghost", 413, &protocol.DomainListAllChildrenArgs{Dom: ghost}},
		pcall{"meta title alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
		pcall{"meta desc alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 0}},
		pcall{"meta elem alpha NULL", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 2}},
		pcall{"meta elem alpha uri", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 2, URI: protocol.Some("http://x/")}},
		pcall{"meta title alpha uri", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, URI: protocol.Some("http://x/")}},
		pcall{"meta type 3", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 3}},
		pcall{"meta type -1", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: -1}},
		pcall{"meta flags 4", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 4}},
		pcall{"meta flags 1 charlie", 265, &protocol.DomainGetMetadataArgs{Dom: charlie, Type: 1, Flags: 1}},
		pcall{"meta flags 3 alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 3}},
		pcall{"meta flags 2 alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 2}},
		pcall{"meta ghost", 265, &protocol.DomainGetMetadataArgs{Dom: ghost, Type: 1}},
		pcall{"meta ghost flags 4", 265, &protocol.DomainGetMetadataArgs{Dom: ghost, Type: 1, Flags: 4}},
		pcall{"meta ghost type 3", 265, &protocol.DomainGetMetadataArgs{Dom: ghost, Type: 3}},
		pcall{"setmeta title alpha", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Metadata: protocol.Some("New title")}},
		pcall{"meta title alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
		pcall{"setmeta title alpha nl", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Metadata: protocol.Some("a\nb")}},
		pcall{"setmeta desc alpha", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 0, Metadata: protocol.Some("d\ne")}},
		pcall{"meta desc alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 0}},
		pcall{"setmeta title alpha empty", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Metadata: protocol.Some("")}},
		pcall{"meta title alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
		pcall{"xmldesc alpha", 14, &protocol.DomainFlagsArgs{Dom: alpha}},
		pcall{"caps", 7, nil},
	)
	runCalls(t, r, calls)
}

func TestProbeLifecycle(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	r0 := dialRaw(t, "unix", d.Socket)
	r0.call(1, &protocol.ConnectOpenArgs{Name: protocol.Some("")})
	b := r0.call(1, &protocol.ConnectOpenArgs{Name: protocol.Some("")})
	fmt.Printf("empty-name raw: %x\n", b)
	r := dialRaw(t, "unix", d.Socket)
	r.open("test://"+node, 0)
	alpha := dom("alpha", 0x11, 1)
	bravo := dom("bravo", 0x22, 2)
	charlie := dom("charlie", 0x33, -1)
	delta := dom("delta", 0x44, -1)
	echo := dom("echo", 0x55, 3)
	fox := dom("foxtrot", 0x66, 4)
	golf := dom("golf", 0x77, -1)
	hotel := dom("hotel", 0x88, 5)
	st := func(l string, dm protocol.NonnullDomain) pcall {
		return pcall{"  state " + l, 212, &protocol.DomainFlagsArgs{Dom: dm}}
	}
	calls := []pcall{
		{"register 316 ev0", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
		{"register 316 ev0 again", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
		{"register 316 ev0 alpha", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{Dom: &alpha}},
		{"register 316 ev 99", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: 99}},
		{"register 316 ev -1", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: -1}},
		{"register 316 ev 26", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{EventID: 26}},
		{"register 105", 105, nil},
		{"register 105 again", 105, nil},
		{"register 167 ev0", 167, &protocol.Int32Value{Value: 0}},
		{"suspend alpha", 34, &protocol.DomainArgs{Dom: alpha}},
		st("alpha", alpha),
		{"suspend alpha again", 34, &protocol.DomainArgs{Dom: alpha}},
		{"suspend charlie", 34, &protocol.DomainArgs{Dom: charlie}},
		{"suspend foxtrot", 34, &protocol.DomainArgs{Dom: fox}},
		st("foxtrot", fox),
		{"suspend hotel", 34, &protocol.DomainArgs{Dom: hotel}},
		{"resume alpha", 28, &protocol.DomainArgs{Dom: alpha}},
		st("alpha", alpha),
		{"resume alpha again", 28, &protocol.DomainArgs{Dom: alpha}},
		{"resume golf", 28, &protocol.DomainArgs{Dom: golf}},
		{"destroy golf", 12, &protocol.DomainArgs{Dom: golf}},
		{"destroy bravo", 12, &protocol.DomainArgs{Dom: bravo}},
		st("bravo", bravo),
		{"getinfo bravo", 16, &protocol.DomainArgs{Dom: bravo}},
		{"create bravo", 9, &protocol.DomainArgs{Dom: bravo}},
		st("bravo", bravo),
		{"lookup bravo", 23, &protocol.DomainLookupByNameArgs{Name: "bravo"}},
		{"create alpha", 9, &protocol.DomainArgs{Dom: alpha}},
		{"create charlie (managed save)", 9, &protocol.DomainArgs{Dom: charlie}},
		st("charlie", charlie),
		{"hasmanagedsave charlie", 183, &protocol.DomainFlagsArgs{Dom: charlie}},
		{"shutdown hotel", 33, &protocol.DomainArgs{Dom: hotel}},
		st("hotel", hotel),
		{"shutdown hotel again", 33, &protocol.DomainArgs{Dom: hotel}},
		{"shutdown echo (transient)", 33, &protocol.DomainArgs{Dom: echo}},
		{"lookup echo", 23, &protocol.DomainLookupByNameArgs{Name: "echo"}},
		{"managedsave alpha f=0", 182, &protocol.DomainFlagsArgs{Dom: alpha}},
		st("alpha", alpha),
		{"hasmanagedsave alpha", 183, &protocol.DomainFlagsArgs{Dom: alpha}},
		{"managedsave alpha again", 182, &protocol.DomainFlagsArgs{Dom: alpha}},
		{"managedsave bravo f=8", 182, &protocol.DomainFlagsArgs{Dom: bravo, Flags: 8}},
		{"managedsave bravo f=16", 182, &protocol.DomainFlagsArgs{Dom: bravo, Flags: 16}},
		{"managedsave bravo f=6", 182, &protocol.DomainFlagsArgs{Dom: bravo, Flags: 6}},
		{"managedsaveremove alpha", 184, &protocol.DomainFlagsArgs{Dom: alpha}},
		{"managedsaveremove alpha again", 184, &protocol.DomainFlagsArgs{Dom: alpha}},
		{"managedsaveremove golf f=1", 184, &protocol.DomainFlagsArgs{Dom: golf, Flags: 1}},
		{"destroy delta (inactive)", 12, &protocol.DomainArgs{Dom: delta}},
		{"numdomains", 51, nil},
		{"listall 3", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: 3}},
		{"deregister 317 id0", 317, &protocol.Int32Value{Value: 0}},
		{"deregister 317 id0 again", 317, &protocol.Int32Value{Value: 0}},
		{"deregister 106", 106, nil},
		{"deregister 106 again", 106, nil},
		{"deregister 168 ev0", 168, &protocol.Int32Value{Value: 0}},
		{"deregister 168 ev0 again", 168, &protocol.Int32Value{Value: 0}},
		{"deregister 168 ev5", 168, &protocol.Int32Value{Value: 5}},
	}
	runCalls(t, r, calls)
}

func TestProbeReadOnly(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	alpha := dom("alpha", 0x11, 1)
	ghost := dom("ghost", 0, 7)
	for _, mode := range []string{"ro-socket", "flag"} {
		fmt.Println("==", mode)
		var r *rawConn
		if mode == "ro-socket" {
			r = dialRaw(t, "unix", d.ROSocket)
			r.open("test://"+node, 0)
		} else {
			r = dialRaw(t, "unix", d.Socket)
			r.open("test://"+node, 1)
		}
		runCalls(t, r, []pcall{
			{"suspend alpha", 34, &protocol.DomainArgs{Dom: alpha}},
			{"suspend ghost", 34, &protocol.DomainArgs{Dom: ghost}},
			{"resume", 28, &protocol.DomainArgs{Dom: alpha}},
			{"setautostart", 29, &protocol.DomainSetAutostartArgs{Dom: alpha}},
			{"create", 9, &protocol.DomainArgs{Dom: alpha}},
			{"destroy", 12, &protocol.DomainArgs{Dom: alpha}},
			{"shutdown", 33, &protocol.DomainArgs{Dom: alpha}},
			{"managedsave", 182, &protocol.DomainFlagsArgs{Dom: alpha}},
			{"managedsave f=0x100", 182, &protocol.DomainFlagsArgs{Dom: alpha, Flags: 0x100}},
			{"managedsaveremove", 184, &protocol.DomainFlagsArgs{Dom: alpha}},
			{"setmeta", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1}},
			{"xmldesc 1", 14, &protocol.DomainFlagsArgs{Dom: alpha, Flags: 1}},
			{"xmldesc 8", 14, &protocol.DomainFlagsArgs{Dom: alpha, Flags: 8}},
			{"xmldesc 0 ghost", 14, &protocol.DomainFlagsArgs{Dom: ghost}},
			{"setidentity", 419, zeros(8)},
			{"register 316", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
			{"register close", 360, nil},
			{"listall", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: 1}},
			{"open again rw", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
			{"getautostart", 15, &protocol.DomainArgs{Dom: alpha}},
			{"snapnum", 187, &protocol.DomainFlagsArgs{Dom: alpha}},
			{"meta", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
			{"hostname", 59, nil},
			{"close", 2, nil},
		})
	}
}

func TestProbeDefault(t *testing.T) {
	d := libvirtd.Start(t)
	r := dialRaw(t, "unix", d.Socket)
	r.open("test:///default", 0)
	test := dom("test", 0, 1)
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	test.UUID = u
	runCalls(t, r, []pcall{
		{"listall", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: 0}},
		{"getinfo", 16, &protocol.DomainArgs{Dom: test}},
		{"maxmem", 17, &protocol.DomainArgs{Dom: test}},
		{"state", 212, &protocol.DomainFlagsArgs{Dom: test}},
		{"autostart", 15, &protocol.DomainArgs{Dom: test}},
		{"nodeinfo", 6, nil},
		{"meta title", 265, &protocol.DomainGetMetadataArgs{Dom: test, Type: 1}},
		{"snapnum", 187, &protocol.DomainFlagsArgs{Dom: test}},
		{"caps", 7, nil},
	})
}

func TestProbeMore(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	node := d.File("node.xml")
	alpha := dom("alpha", 0x11, 1)
	echo := dom("echo", 0x55, 3)
	ghost := dom("ghost", 0, 7)
	r := dialRaw(t, "unix", d.Socket)
	r.open("test://"+node, 0)
	runCalls(t, r, []pcall{
		{"setautostart alpha", 29, &protocol.DomainSetAutostartArgs{Dom: alpha, Autostart: 1}},
		{"open again", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
		{"listall", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: 1024}},
		{"open third", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
		{"listall autostart", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1, Flags: 1024}},
		{"register 105", 105, nil},
		{"register 167 ev0", 167, &protocol.Int32Value{Value: 0}},
		{"register 167 ev1", 167, &protocol.Int32Value{Value: 1}},
		{"register 167 ev27", 167, &protocol.Int32Value{Value: 27}},
		{"register 316 ev0 NULL", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
		{"register 316 ev0 ghost", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{Dom: &ghost}},
		{"suspend alpha", 34, &protocol.DomainArgs{Dom: alpha}},
		{"resume alpha", 28, &protocol.DomainArgs{Dom: alpha}},
		{"meta flags 2 echo", 265, &protocol.DomainGetMetadataArgs{Dom: echo, Type: 1, Flags: 2}},
		{"meta flags 3 uri", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 3, URI: protocol.Some("x")}},
		{"meta flags 7 uri", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 7, URI: protocol.Some("x")}},
		{"meta flags 7", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 7}},
		{"meta type 99", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 99}},
		{"meta type 99 uri", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 99, URI: protocol.Some("x")}},
		{"meta type 99 ghost flags 1", 265, &protocol.DomainGetMetadataArgs{Dom: ghost, Type: 99, Flags: 1}},
		{"meta type 3 flags 1 charlie", 265, &protocol.DomainGetMetadataArgs{Dom: dom("charlie", 0x33, -1), Type: 3, Flags: 1}},
		{"setmeta ghost", 264, &protocol.DomainSetMetadataArgs{Dom: ghost, Type: 1, Metadata: protocol.Some("x")}},
		{"setmeta title uri", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Metadata: protocol.Some("x"), URI: protocol.Some("u")}},
		{"setmeta title key", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Metadata: protocol.Some("x"), Key: protocol.Some("k")}},
		{"setmeta elem no uri", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 2, Metadata: protocol.Some("<a/>")}},
		{"setmeta elem no key", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 2, Metadata: protocol.Some("<a/>"), URI: protocol.Some("http://u/")}},
		{"setmeta type 3", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 3, Metadata: protocol.Some("x")}},
		{"setmeta flags 4", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Flags: 4}},
		{"setmeta flags 2 echo", 264, &protocol.DomainSetMetadataArgs{Dom: echo, Type: 1, Flags: 2, Metadata: protocol.Some("x")}},
		{"setmeta flags 1 charlie", 264, &protocol.DomainSetMetadataArgs{Dom: dom("charlie", 0x33, -1), Type: 1, Flags: 1, Metadata: protocol.Some("x")}},
		{"setmeta config alpha", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Flags: 2, Metadata: protocol.Some("CFG")}},
		{"meta cur alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
		{"meta cfg alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 2}},
		{"setmeta live alpha", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Flags: 1, Metadata: protocol.Some("LIVE")}},
		{"meta cur alpha", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1}},
		{"destroy alpha", 12, &protocol.DomainArgs{Dom: alpha}},
		{"meta cur alpha", 265, &protocol.DomainGetMetadataArgs{Dom: dom("alpha", 0x11, -1), Type: 1}},
		{"managedsave echo", 182, &protocol.DomainFlagsArgs{Dom: echo}},
		{"lookup echo", 23, &protocol.DomainLookupByNameArgs{Name: "echo"}},
		{"setmeta desc NULL alpha", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 0}},
	})
	r2 := dialRaw(t, "unix", d.ROSocket)
	r2.open("test://"+node, 0)
	runCalls(t, r2, []pcall{
		{"RO managedsave f=6", 182, &protocol.DomainFlagsArgs{Dom: alpha, Flags: 6}},
		{"RO setmeta flags 3", 264, &protocol.DomainSetMetadataArgs{Dom: alpha, Type: 1, Flags: 3}},
		{"RO meta flags 3", 265, &protocol.DomainGetMetadataArgs{Dom: alpha, Type: 1, Flags: 3}},
		{"RO lookup id -1", 22, &protocol.Int32Value{Value: -1}},
		{"RO open flags 0 again", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
		{"RO open after close", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
		{"RO suspend", 34, &protocol.DomainArgs{Dom: alpha}},
		{"RO close", 2, nil},
		{"RO list after close", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1}},
		{"RO open after close", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + node)}},
		{"RO list after reopen", 273, &protocol.ConnectListAllDomainsArgs{NeedResults: 0}},
	})
	fmt.Println("closed after RO close?", r2.isClosed(500*time.Millisecond))
}

const nodeHead = `<node><cpu><mhz>3000</mhz></cpu>`

func TestProbeXML(t *testing.T) {
	files := map[string]string{
		"nouuid.xml": nodeHead + `<domain type='test'><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain>
<domain type='test'><name>b</name><memory unit='MiB'>3</memory><currentMemory unit='k'>1000</currentMemory><vcpu current='2'>4</vcpu><title>T1</title><description>D1</description><os><type>hvm</type></os></domain></node>`,
		"fileattr.xml":  `<node><domain file='sub/dom.xml'/></node>`,
		"sub/dom.xml":   `<domain type='test'><name>fromfile</name><uuid>12345678-1234-1234-1234-123456789abc</uuid><memory>2048</memory><os><type>hvm</type></os></domain>`,
		"escape.xml":    `<node><domain file='../escape-target.xml'/></node>`,
		"badstate.xml":  `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>8</test:runstate></domain></node>`,
		"badstate2.xml": `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>x</test:runstate></domain></node>`,
		"badstate3.xml": `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate> 3</test:runstate></domain></node>`,
		"transoff.xml":  `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate><test:transient/></domain></node>`,
		"msrun.xml":     `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:hasmanagedsave>no</test:hasmanagedsave></domain></node>`,
		"msempty.xml":   `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate><test:hasmanagedsave/></domain></node>`,
		"otherns.xml":   `<node><domain type='test' xmlns:t='http://libvirt.org/schemas/domain/test/1.0' xmlns:test='urn:x'><name>a</name><memory>1024</memory><os><type>hvm</type></os><t:runstate>3</t:runstate><test:runstate>5</test:runstate></domain></node>`,
		"notype.xml":    `<node><domain><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain></node>`,
		"noname.xml":    `<node><domain type='test'><memory>1024</memory><os><type>hvm</type></os></domain></node>`,
		"noos.xml":      `<node><domain type='test'><name>a</name><memory>1024</memory></domain></node>`,
		"nomem.xml":     `<node><domain type='test'><name>a</name><os><type>hvm</type></os></domain></node>`,
		"dupname.xml":   `<node><domain type='test'><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain><domain type='test'><name>a</name><memory>1024</memory><os><type>hvm</type></os></domain></node>`,
		"titlenl.xml": `<node><domain type='test'><name>a</name><title>x
y</title><memory>1024</memory><os><type>hvm</type></os></domain></node>`,
		"notnode.xml":    `<nodes/>`,
		"cpuonly.xml":    `<node><cpu><nodes>2</nodes><sockets>2</sockets><cores>3</cores><threads>2</threads><active>100</active><mhz>5</mhz><model>verylongmodelnamethatexceedsthirtytwobytes</model></cpu><memory>77</memory></node>`,
		"cpuactive.xml":  `<node><cpu><active>3</active></cpu></node>`,
		"poweroff.xml":   `<node><domain type='test'><name>a</name><memory>1024</memory><os><type>hvm</type></os><on_poweroff>restart</on_poweroff></domain></node>`,
		"twocurrent.xml": `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:runstate>5</test:runstate><test:domainsnapshot><name>s1</name><creationTime>1</creationTime><state>shutoff</state><active>1</active></test:domainsnapshot><test:domainsnapshot><name>s2</name><creationTime>2</creationTime><state>shutoff</state><active>1</active></test:domainsnapshot></domain></node>`,
		"snapnoname.xml": `<node><domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'><name>a</name><memory>1024</memory><os><type>hvm</type></os><test:domainsnapshot><creationTime>1</creationTime><state>shutoff</state><active>0</active></test:domainsnapshot></domain></node>`,
	}
	var opts []libvirtd.Option
	for n, c := range files {
		opts = append(opts, libvirtd.WithFileData(strings.ReplaceAll(n, "/", "_"), []byte(c)))
	}
	d := libvirtd.Start(t, opts...)
	os.MkdirAll(d.File("sub"), 0o755)
	os.WriteFile(d.File("sub/dom.xml"), []byte(files["sub/dom.xml"]), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(d.Dir), "escape-target.xml"), []byte(files["sub/dom.xml"]), 0o644)
	names := []string{}
	for n := range files {
		if !strings.Contains(n, "/") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		for range 2 {
			r := dialRaw(t, "unix", d.Socket)
			b := r.call(1, &protocol.ConnectOpenArgs{Name: protocol.Some("test://" + d.File(n))})
			fmt.Printf("%s: open %s\n", n, describe(b))
			if replyError(b) != nil {
				break
			}
			b = r.call(273, &protocol.ConnectListAllDomainsArgs{NeedResults: 1})
			var ret protocol.ConnectListAllDomainsRet
			ret.UnmarshalBinary(b[28:])
			for _, dm := range ret.Domains {
				fmt.Printf("   dom %s %s %d\n", dm.Name, dm.UUID, dm.ID)
				fmt.Printf("     info %s\n", describe(r.call(16, &protocol.DomainArgs{Dom: dm})))
				fmt.Printf("     state %s\n", describe(r.call(212, &protocol.DomainFlagsArgs{Dom: dm})))
				fmt.Printf("     title %s\n", describe(r.call(265, &protocol.DomainGetMetadataArgs{Dom: dm, Type: 1})))
				fmt.Printf("     desc %s\n", describe(r.call(265, &protocol.DomainGetMetadataArgs{Dom: dm, Type: 0})))
				fmt.Printf("     ms %s\n", describe(r.call(183, &protocol.DomainFlagsArgs{Dom: dm})))
				fmt.Printf("     snaps %s\n", describe(r.call(188, &protocol.DomainSnapshotListNamesArgs{Dom: dm, MaxNames: 100})))
				if n == "poweroff.xml" {
					fmt.Printf("     shutdown %s\n", describe(r.call(33, &protocol.DomainArgs{Dom: dm})))
					fmt.Printf("     state %s\n", describe(r.call(212, &protocol.DomainFlagsArgs{Dom: dm})))
				}
			}
			fmt.Printf("   nodeinfo %s\n", describe(r.call(6, nil)))
			r.c.Close()
			if n != "nouuid.xml" {
				break
			}
		}
	}
}

func TestProbeDefaultShared(t *testing.T) {
	d := libvirtd.Start(t)
	u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
	test := protocol.NonnullDomain{Name: "test", UUID: u, ID: 1}
	a := dialRaw(t, "unix", d.Socket)
	a.open("test:///default", 0)
	b := dialRaw(t, "unix", d.Socket)
	b.open("test:///default", 0)
	runCalls(t, b, []pcall{{"B register", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}}})
	runCalls(t, a, []pcall{{"A suspend", 34, &protocol.DomainArgs{Dom: test}}, {"A setautostart", 29, &protocol.DomainSetAutostartArgs{Dom: test, Autostart: 1}}})
	time.Sleep(200 * time.Millisecond)
	runCalls(t, b, []pcall{{"B state", 212, &protocol.DomainFlagsArgs{Dom: test}}, {"B autostart", 15, &protocol.DomainArgs{Dom: test}}})
	a.c.Close()
	time.Sleep(100 * time.Millisecond)
	runCalls(t, b, []pcall{{"B state after A closed", 212, &protocol.DomainFlagsArgs{Dom: test}}})
	b.c.Close()
	time.Sleep(100 * time.Millisecond)
	c := dialRaw(t, "unix", d.Socket)
	c.open("test:///default", 0)
	runCalls(t, c, []pcall{{"C state after all closed", 212, &protocol.DomainFlagsArgs{Dom: test}}, {"C autostart", 15, &protocol.DomainArgs{Dom: test}}})

	// double open: does RO (flag) survive, do callbacks survive?
	e := dialRaw(t, "unix", d.Socket)
	e.open("test:///default", 1)
	runCalls(t, e, []pcall{
		{"E register", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
		{"E open again", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test:///default")}},
		{"E reopen rw", 1, &protocol.ConnectOpenArgs{Name: protocol.Some("test:///default")}},
		{"E register again", 316, &protocol.ConnectDomainEventCallbackRegisterAnyArgs{}},
		{"E suspend", 34, &protocol.DomainArgs{Dom: test}},
		{"E resume", 28, &protocol.DomainArgs{Dom: test}},
		{"E deregister 0", 317, &protocol.Int32Value{Value: 0}},
		{"E deregister 1", 317, &protocol.Int32Value{Value: 1}},
	})
	time.Sleep(200 * time.Millisecond)
	for _, ev := range e.events {
		fmt.Printf("late event %x\n", ev)
	}
}
