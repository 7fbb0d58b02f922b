package libvirtdtest_test

import (
	"testing"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/xdr"
)

// TestConformanceCalls sends the same calls to libvirtd 9.0 and to the fake,
// both serving testdata/node.xml under the same name, and requires the same
// reply bytes (list order and cpuTime aside) and the same events: every
// procedure the fake implements, its errors, their order of checks, and the
// lifecycle state machine.
func TestConformanceCalls(t *testing.T) {
	p := startPair(t, "testdata/node.xml")
	open := openArgs("test://"+p.node, 0)

	t.Run("preopen", func(t *testing.T) {
		p.compare(t, "preopen", nil, false, []step{
			{"auth list", protocol.ProcAuthList, nil},
			{"keepalive feature", protocol.ProcConnectSupportsFeature, feature(10)},
			{"feature 14", protocol.ProcConnectSupportsFeature, feature(14)},
			{"lib version", protocol.ProcConnectGetLibVersion, nil},
			{"uri", protocol.ProcConnectGetURI, nil},
			{"hostname", protocol.ProcConnectGetHostname, nil},
			{"register close cb", protocol.ProcConnectRegisterCloseCallback, nil},
			{"register 316", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"list all", protocol.ProcConnectListAllDomains, listAll(1, 3)},
			{"list domains -1", protocol.ProcConnectListDomains, i32(-1)},
			{"snapshot names -1", protocol.ProcDomainSnapshotListNames, snapNames(delta, -1, 0)},
			{"get state short payload", protocol.ProcDomainGetState, zeros(3)},
			{"set identity", protocol.ProcConnectSetIdentity, identity()},
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
			{"sasl init", protocol.ProcAuthSASLInit, nil},
			{"node info", protocol.ProcNodeGetInfo, nil},
			{"unknown 9999", protocol.Procedure(9999), nil},
		})
	})

	t.Run("open", func(t *testing.T) {
		for _, name := range []string{"test:///", "test://", "", "qemu:///system", "TEST:///default", "xyz", "/default",
			"test:///default?foo=bar", "test:///default#frag", "test:/default"} {
			p.compare(t, "open "+name, nil, false, []step{
				{"open", protocol.ProcConnectOpen, openArgs(name, 0)},
				{"uri", protocol.ProcConnectGetURI, nil},
				{"list", protocol.ProcConnectListAllDomains, listAll(1, 0)},
			})
		}
		p.compare(t, "open NULL", nil, false, []step{
			{"open", protocol.ProcConnectOpen, &protocol.ConnectOpenArgs{}},
			{"open default", protocol.ProcConnectOpen, openArgs("test:///default", 0)},
			{"uri", protocol.ProcConnectGetURI, nil},
		})
		for _, flags := range []protocol.ConnectFlags{2, 3, 4, 0x80000000} {
			p.compare(t, fmtLabel("open flags %#x", flags), nil, false, []step{
				{"open", protocol.ProcConnectOpen, openArgs("test://"+p.node, flags)},
				{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
			})
		}
		p.compare(t, "open twice", nil, false, []step{
			{"open", protocol.ProcConnectOpen, open},
			{"set autostart", protocol.ProcDomainSetAutostart, &protocol.DomainSetAutostartArgs{Dom: alpha, Autostart: 1}},
			{"register", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"open again", protocol.ProcConnectOpen, open},
			{"list after", protocol.ProcConnectListAllDomains, listAll(1, 1024)},
			{"deregister after", protocol.ProcConnectDomainEventCallbackDeregisterAny, i32(0)},
			{"open third", protocol.ProcConnectOpen, openArgs("test://"+p.node, 0)},
			{"autostart reset", protocol.ProcConnectListAllDomains, listAll(1, 1024)},
			{"register again", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"deregister stale", protocol.ProcConnectDomainEventCallbackDeregisterAny, i32(0)},
			{"deregister new", protocol.ProcConnectDomainEventCallbackDeregisterAny, i32(1)},
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
		})
		p.compare(t, "read-only flag sticks", nil, false, []step{
			{"open ro", protocol.ProcConnectOpen, openArgs("test://"+p.node, 1)},
			{"open again", protocol.ProcConnectOpen, open},
			{"open rw", protocol.ProcConnectOpen, open},
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
		})
	})

	t.Run("pointer discriminants", func(t *testing.T) {
		// libvirtd reads XDR pointer discriminants with xdr_bool: any
		// non-zero word is TRUE. go-libvirt sends CONNECT_OPEN's as
		// 0x01000000.
		name := "test://" + p.node
		raw := func(disc uint32, rest ...[]byte) protocol.RawPayload {
			b := xdr.AppendUint32(nil, disc)
			for _, r := range rest {
				b = append(b, r...)
			}
			return b
		}
		str := xdr.AppendString(nil, name)
		p.compare(t, "discriminants", nil, false, []step{
			{"open 0x01000000", protocol.ProcConnectOpen, raw(0x01000000, str, xdr.AppendUint32(nil, 0))},
			{"uri", protocol.ProcConnectGetURI, nil},
			{"max vcpus 2", protocol.ProcConnectGetMaxVcpus, raw(2, xdr.AppendString(nil, "kvm"))},
			{"metadata uri 0xffffffff", protocol.ProcDomainGetMetadata, protocol.RawPayload(append(appendDom(nil, alpha),
				raw(2, raw(0xffffffff, xdr.AppendString(nil, "http://x/")), xdr.AppendUint32(nil, 0))...))},
			{"register dom 5", protocol.ProcConnectDomainEventCallbackRegisterAny, raw(0, raw(5, appendDom(nil, alpha)))},
		})
	})

	t.Run("getters", func(t *testing.T) {
		var steps []step
		for _, f := range []int32{-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 9999} {
			steps = append(steps, step{fmtLabel("feature %d", f), protocol.ProcConnectSupportsFeature, feature(f)})
		}
		steps = append(steps,
			step{"type", protocol.ProcConnectGetType, nil},
			step{"version", protocol.ProcConnectGetVersion, nil},
			step{"lib version", protocol.ProcConnectGetLibVersion, nil},
			step{"uri", protocol.ProcConnectGetURI, nil},
			step{"is secure", protocol.ProcConnectIsSecure, nil},
			step{"node info", protocol.ProcNodeGetInfo, nil},
			step{"capabilities", protocol.ProcConnectGetCapabilities, nil},
			step{"max vcpus NULL", protocol.ProcConnectGetMaxVcpus, &protocol.ConnectGetMaxVcpusArgs{}},
			step{"max vcpus qemu", protocol.ProcConnectGetMaxVcpus, &protocol.ConnectGetMaxVcpusArgs{Type: protocol.Some("qemu")}},
			step{"sysinfo", protocol.ProcConnectGetSysinfo, &protocol.Uint32Value{}},
			step{"sysinfo flags", protocol.ProcConnectGetSysinfo, &protocol.Uint32Value{Value: 1}},
			step{"register close", protocol.ProcConnectRegisterCloseCallback, nil},
			step{"register close again", protocol.ProcConnectRegisterCloseCallback, nil},
			step{"unregister close", protocol.ProcConnectUnregisterCloseCallback, nil},
			step{"unregister close again", protocol.ProcConnectUnregisterCloseCallback, nil},
			step{"num of domains", protocol.ProcConnectNumOfDomains, nil},
			step{"num of defined", protocol.ProcConnectNumOfDefinedDomains, nil},
			step{"list domains 10", protocol.ProcConnectListDomains, i32(10)},
			step{"list domains 0", protocol.ProcConnectListDomains, i32(0)},
			step{"list domains -1", protocol.ProcConnectListDomains, i32(-1)},
			step{"list domains 16384", protocol.ProcConnectListDomains, i32(16384)},
			step{"list domains 16385", protocol.ProcConnectListDomains, i32(16385)},
			step{"list defined 10", protocol.ProcConnectListDefinedDomains, i32(10)},
			step{"list defined 0", protocol.ProcConnectListDefinedDomains, i32(0)},
			step{"list defined -1", protocol.ProcConnectListDefinedDomains, i32(-1)},
			step{"list defined 16385", protocol.ProcConnectListDefinedDomains, i32(16385)},
			step{"lookup id 1", protocol.ProcDomainLookupByID, i32(1)},
			step{"lookup id 0", protocol.ProcDomainLookupByID, i32(0)},
			step{"lookup id -1", protocol.ProcDomainLookupByID, i32(-1)},
			step{"lookup id 99", protocol.ProcDomainLookupByID, i32(99)},
			step{"lookup name alpha", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: "alpha"}},
			step{"lookup name ALPHA", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: "ALPHA"}},
			step{"lookup name empty", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{}},
			step{"lookup uuid charlie", protocol.ProcDomainLookupByUUID, &protocol.DomainLookupByUUIDArgs{UUID: charlie.UUID}},
			step{"lookup uuid ghost", protocol.ProcDomainLookupByUUID, &protocol.DomainLookupByUUIDArgs{UUID: ghost.UUID}},
			step{"state by uuid, wrong name", protocol.ProcDomainGetState, domFlags(dom("zzz", 0x11, 99), 0)},
			step{"state flags", protocol.ProcDomainGetState, domFlags(bravo, 1)},
			step{"state ghost flags", protocol.ProcDomainGetState, domFlags(ghost, 1)},
			step{"state ghost", protocol.ProcDomainGetState, domFlags(ghost, 0)},
			step{"info ghost", protocol.ProcDomainGetInfo, domArgs(ghost)},
			step{"max memory ghost", protocol.ProcDomainGetMaxMemory, domArgs(ghost)},
			step{"autostart ghost", protocol.ProcDomainGetAutostart, domArgs(ghost)},
			step{"is active ghost", protocol.ProcDomainIsActive, domArgs(ghost)},
			step{"managed save charlie flags", protocol.ProcDomainHasManagedSaveImage, domFlags(charlie, 1)},
			step{"managed save ghost", protocol.ProcDomainHasManagedSaveImage, domFlags(ghost, 0)},
		)
		for _, d := range nodeDoms {
			steps = append(steps,
				step{d.Name + " state", protocol.ProcDomainGetState, domFlags(d, 0)},
				step{d.Name + " info", protocol.ProcDomainGetInfo, domArgs(d)},
				step{d.Name + " max memory", protocol.ProcDomainGetMaxMemory, domArgs(d)},
				step{d.Name + " autostart", protocol.ProcDomainGetAutostart, domArgs(d)},
				step{d.Name + " active", protocol.ProcDomainIsActive, domArgs(d)},
				step{d.Name + " persistent", protocol.ProcDomainIsPersistent, domArgs(d)},
				step{d.Name + " managed save", protocol.ProcDomainHasManagedSaveImage, domFlags(d, 0)},
				step{d.Name + " snapshots", protocol.ProcDomainSnapshotNum, domFlags(d, 0)},
				step{d.Name + " snapshot names", protocol.ProcDomainSnapshotListNames, snapNames(d, 10, 0)},
				step{d.Name + " all snapshots", protocol.ProcDomainListAllSnapshots, children(d, 1, 0)},
				step{d.Name + " checkpoints", protocol.ProcDomainListAllCheckpoints, children(d, 0, 0)},
				step{d.Name + " title", protocol.ProcDomainGetMetadata, meta(d, 1, nil, 0)},
				step{d.Name + " lookup", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: d.Name}},
			)
		}
		p.compare(t, "getters", open, false, steps)
	})

	t.Run("default node", func(t *testing.T) {
		u, _ := protocol.ParseUUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
		test := protocol.NonnullDomain{Name: "test", UUID: u, ID: 1}
		p.compare(t, "default", openArgs("test:///default", 0), false, []step{
			{"node info", protocol.ProcNodeGetInfo, nil},
			{"capabilities", protocol.ProcConnectGetCapabilities, nil},
			{"uri", protocol.ProcConnectGetURI, nil},
			{"list", protocol.ProcConnectListAllDomains, listAll(1, 0)},
			{"info", protocol.ProcDomainGetInfo, domArgs(test)},
			{"max memory", protocol.ProcDomainGetMaxMemory, domArgs(test)},
			{"state", protocol.ProcDomainGetState, domFlags(test, 0)},
			{"autostart", protocol.ProcDomainGetAutostart, domArgs(test)},
			{"persistent", protocol.ProcDomainIsPersistent, domArgs(test)},
			{"snapshots", protocol.ProcDomainSnapshotNum, domFlags(test, 0)},
			{"title", protocol.ProcDomainGetMetadata, meta(test, 1, nil, 0)},
			{"lookup id", protocol.ProcDomainLookupByID, i32(1)},
		})
	})

	t.Run("lists", func(t *testing.T) {
		var steps []step
		for _, f := range []uint32{0, 1, 2, 3, 4, 8, 16, 32, 64, 128, 0x30, 0x100, 0x200, 0x300, 0x400, 0x800, 0x1000, 0x2000,
			0x4000, 0x8000, 5, 0xa, 0x41, 0x1002, 0xffff, 0x10000, 0x40000000, 0x80000000, 0xffffffff} {
			steps = append(steps,
				step{fmtLabel("list all %#x", f), protocol.ProcConnectListAllDomains, listAll(1, f)},
				step{fmtLabel("count all %#x", f), protocol.ProcConnectListAllDomains, listAll(0, f)})
		}
		steps = append(steps, step{"need results -1", protocol.ProcConnectListAllDomains, listAll(-1, 0)})
		p.compare(t, "lists", open, false, steps)
	})

	t.Run("snapshots", func(t *testing.T) {
		var steps []step
		for _, f := range []uint32{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 3, 5, 12, 0x30, 0x60, 0xa0, 0x300, 0x12, 0x7ff, 0x800, 0xffff} {
			steps = append(steps,
				step{fmtLabel("num %#x", f), protocol.ProcDomainSnapshotNum, domFlags(delta, f)},
				step{fmtLabel("names %#x", f), protocol.ProcDomainSnapshotListNames, snapNames(delta, 5, f)},
				step{fmtLabel("all %#x", f), protocol.ProcDomainListAllSnapshots, children(delta, 1, f)})
		}
		for _, f := range []uint32{1, 2, 4, 8, 12, 16, 0xffffffff} {
			steps = append(steps, step{fmtLabel("checkpoints %#x", f), protocol.ProcDomainListAllCheckpoints, children(alpha, 1, f)})
		}
		steps = append(steps,
			step{"names 16384", protocol.ProcDomainSnapshotListNames, snapNames(delta, 16384, 0)},
			step{"names 16385", protocol.ProcDomainSnapshotListNames, snapNames(delta, 16385, 0)},
			step{"names ghost 16385", protocol.ProcDomainSnapshotListNames, snapNames(ghost, 16385, 0)},
			step{"names ghost", protocol.ProcDomainSnapshotListNames, snapNames(ghost, 1, 0)},
			step{"names alpha 0", protocol.ProcDomainSnapshotListNames, snapNames(alpha, 0, 0)},
			step{"all ghost", protocol.ProcDomainListAllSnapshots, children(ghost, 1, 0)},
			step{"all delta need 0", protocol.ProcDomainListAllSnapshots, children(delta, 0, 0)},
		)
		p.compare(t, "snapshots", open, false, steps)
	})

	t.Run("metadata", func(t *testing.T) {
		p.compare(t, "metadata", open, false, []step{
			{"title", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"description", protocol.ProcDomainGetMetadata, meta(alpha, 0, nil, 0)},
			{"element NULL uri", protocol.ProcDomainGetMetadata, meta(alpha, 2, nil, 0)},
			{"element uri", protocol.ProcDomainGetMetadata, meta(alpha, 2, str("http://x/"), 0)},
			{"title uri", protocol.ProcDomainGetMetadata, meta(alpha, 1, str("http://x/"), 0)},
			{"type 3", protocol.ProcDomainGetMetadata, meta(alpha, 3, nil, 0)},
			{"type 99 uri", protocol.ProcDomainGetMetadata, meta(alpha, 99, str("x"), 0)},
			{"type -1", protocol.ProcDomainGetMetadata, meta(alpha, -1, nil, 0)},
			{"flags 4", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 4)},
			{"live on inactive", protocol.ProcDomainGetMetadata, meta(charlie, 1, nil, 1)},
			{"config on transient", protocol.ProcDomainGetMetadata, meta(echo, 1, nil, 2)},
			{"live and config", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 3)},
			{"live and config with uri", protocol.ProcDomainGetMetadata, meta(alpha, 1, str("x"), 3)},
			{"flags 7", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 7)},
			{"config", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 2)},
			{"ghost", protocol.ProcDomainGetMetadata, meta(ghost, 1, nil, 0)},
			{"ghost flags 4", protocol.ProcDomainGetMetadata, meta(ghost, 1, nil, 4)},
			{"ghost type 3", protocol.ProcDomainGetMetadata, meta(ghost, 3, nil, 0)},
			{"type 3 live inactive", protocol.ProcDomainGetMetadata, meta(charlie, 3, nil, 1)},
			{"set title", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("New title"), nil, nil, 0)},
			{"get title", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"get config title", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 2)},
			{"set title newline", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("a\nb"), nil, nil, 0)},
			{"set description", protocol.ProcDomainSetMetadata, setMeta(alpha, 0, str("d\ne"), nil, nil, 0)},
			{"get description", protocol.ProcDomainGetMetadata, meta(alpha, 0, nil, 0)},
			{"remove title", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str(""), nil, nil, 0)},
			{"get removed", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"set ghost", protocol.ProcDomainSetMetadata, setMeta(ghost, 1, str("x"), nil, nil, 0)},
			{"set title uri", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("x"), nil, str("u"), 0)},
			{"set title key", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("x"), str("k"), nil, 0)},
			{"set element no uri", protocol.ProcDomainSetMetadata, setMeta(alpha, 2, str("<a/>"), nil, nil, 0)},
			{"set element no key", protocol.ProcDomainSetMetadata, setMeta(alpha, 2, str("<a/>"), nil, str("http://u/"), 0)},
			{"set type 3", protocol.ProcDomainSetMetadata, setMeta(alpha, 3, str("x"), nil, nil, 0)},
			{"set flags 4", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, nil, nil, nil, 4)},
			{"set config transient", protocol.ProcDomainSetMetadata, setMeta(echo, 1, str("x"), nil, nil, 2)},
			{"set live inactive", protocol.ProcDomainSetMetadata, setMeta(charlie, 1, str("x"), nil, nil, 1)},
			{"set type 3 live inactive", protocol.ProcDomainSetMetadata, setMeta(charlie, 3, str("x"), nil, nil, 1)},
			{"set config", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("CFG"), nil, nil, 2)},
			{"current", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"config", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 2)},
			{"set live", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, str("LIVE"), nil, nil, 1)},
			{"current live", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"set both", protocol.ProcDomainSetMetadata, setMeta(bravo, 0, str("BOTH"), nil, nil, 3)},
			{"bravo config", protocol.ProcDomainGetMetadata, meta(bravo, 0, nil, 2)},
			{"bravo live", protocol.ProcDomainGetMetadata, meta(bravo, 0, nil, 1)},
			{"destroy", protocol.ProcDomainDestroy, domArgs(alpha)},
			{"after destroy", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 0)},
			{"remove description NULL", protocol.ProcDomainSetMetadata, setMeta(alpha, 0, nil, nil, nil, 0)},
			{"set inactive current", protocol.ProcDomainSetMetadata, setMeta(golf, 1, str("golf title"), nil, nil, 0)},
			{"get inactive", protocol.ProcDomainGetMetadata, meta(golf, 1, nil, 0)},
		})
	})

	t.Run("lifecycle", func(t *testing.T) {
		st := func(d protocol.NonnullDomain) step {
			return step{d.Name + " state", protocol.ProcDomainGetState, domFlags(d, 0)}
		}
		p.compare(t, "lifecycle", open, false, []step{
			{"register all", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"register again", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"register alpha", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, &alpha)},
			{"register 99", protocol.ProcConnectDomainEventCallbackRegisterAny, register(99, nil)},
			{"register -1", protocol.ProcConnectDomainEventCallbackRegisterAny, register(-1, nil)},
			{"register 26", protocol.ProcConnectDomainEventCallbackRegisterAny, register(26, nil)},
			{"register 27", protocol.ProcConnectDomainEventCallbackRegisterAny, register(27, nil)},
			{"legacy register", protocol.ProcConnectDomainEventRegister, nil},
			{"legacy register any 0", protocol.ProcConnectDomainEventRegisterAny, i32(0)},
			{"suspend alpha", protocol.ProcDomainSuspend, domArgs(alpha)},
			st(alpha),
			{"suspend alpha again", protocol.ProcDomainSuspend, domArgs(alpha)},
			{"suspend charlie", protocol.ProcDomainSuspend, domArgs(charlie)},
			{"suspend ghost", protocol.ProcDomainSuspend, domArgs(ghost)},
			{"suspend foxtrot", protocol.ProcDomainSuspend, domArgs(foxtrot)},
			st(foxtrot),
			{"suspend hotel", protocol.ProcDomainSuspend, domArgs(hotel)},
			{"resume alpha", protocol.ProcDomainResume, domArgs(alpha)},
			st(alpha),
			{"resume alpha again", protocol.ProcDomainResume, domArgs(alpha)},
			{"resume golf", protocol.ProcDomainResume, domArgs(golf)},
			{"destroy golf", protocol.ProcDomainDestroy, domArgs(golf)},
			{"destroy bravo", protocol.ProcDomainDestroy, domArgs(bravo)},
			st(bravo),
			{"bravo info", protocol.ProcDomainGetInfo, domArgs(bravo)},
			{"create bravo", protocol.ProcDomainCreate, domArgs(bravo)},
			st(bravo),
			{"lookup bravo", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: "bravo"}},
			{"create alpha", protocol.ProcDomainCreate, domArgs(alpha)},
			{"create charlie", protocol.ProcDomainCreate, domArgs(charlie)},
			st(charlie),
			{"charlie managed save", protocol.ProcDomainHasManagedSaveImage, domFlags(charlie, 0)},
			{"shutdown hotel", protocol.ProcDomainShutdown, domArgs(hotel)},
			st(hotel),
			{"shutdown hotel again", protocol.ProcDomainShutdown, domArgs(hotel)},
			{"shutdown echo", protocol.ProcDomainShutdown, domArgs(echo)},
			{"lookup echo", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: "echo"}},
			{"echo state", protocol.ProcDomainGetState, domFlags(echo, 0)},
			{"managed save alpha", protocol.ProcDomainManagedSave, domFlags(alpha, 0)},
			st(alpha),
			{"alpha has managed save", protocol.ProcDomainHasManagedSaveImage, domFlags(alpha, 0)},
			{"managed save alpha again", protocol.ProcDomainManagedSave, domFlags(alpha, 0)},
			{"managed save flags 8", protocol.ProcDomainManagedSave, domFlags(bravo, 8)},
			{"managed save flags 6", protocol.ProcDomainManagedSave, domFlags(bravo, 6)},
			{"managed save remove", protocol.ProcDomainManagedSaveRemove, domFlags(alpha, 0)},
			{"managed save remove again", protocol.ProcDomainManagedSaveRemove, domFlags(alpha, 0)},
			{"managed save remove flags", protocol.ProcDomainManagedSaveRemove, domFlags(golf, 1)},
			{"destroy delta", protocol.ProcDomainDestroy, domArgs(delta)},
			{"set autostart transient", protocol.ProcDomainSetAutostart, &protocol.DomainSetAutostartArgs{Dom: foxtrot, Autostart: 5}},
			{"get autostart", protocol.ProcDomainGetAutostart, domArgs(foxtrot)},
			{"set autostart ghost", protocol.ProcDomainSetAutostart, &protocol.DomainSetAutostartArgs{Dom: ghost, Autostart: 1}},
			{"list all", protocol.ProcConnectListAllDomains, listAll(1, 3)},
			{"list autostart", protocol.ProcConnectListAllDomains, listAll(1, 0x400)},
			{"num", protocol.ProcConnectNumOfDomains, nil},
			{"list ids", protocol.ProcConnectListDomains, i32(100)},
			{"deregister 0", protocol.ProcConnectDomainEventCallbackDeregisterAny, i32(0)},
			{"deregister 0 again", protocol.ProcConnectDomainEventCallbackDeregisterAny, i32(0)},
			{"legacy deregister", protocol.ProcConnectDomainEventDeregister, nil},
			{"legacy deregister again", protocol.ProcConnectDomainEventDeregister, nil},
			{"legacy deregister any 0", protocol.ProcConnectDomainEventDeregisterAny, i32(0)},
			{"legacy deregister any 5", protocol.ProcConnectDomainEventDeregisterAny, i32(5)},
		})
		p.compare(t, "legacy events", open, false, []step{
			{"legacy register", protocol.ProcConnectDomainEventRegister, nil},
			{"legacy register any 1", protocol.ProcConnectDomainEventRegisterAny, i32(1)},
			{"register ghost", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, &ghost)},
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
			{"resume", protocol.ProcDomainResume, domArgs(alpha)},
			{"destroy", protocol.ProcDomainDestroy, domArgs(alpha)},
		})
		p.compare(t, "managed save transient", open, false, []step{
			{"managed save echo", protocol.ProcDomainManagedSave, domFlags(echo, 0)},
			{"lookup echo", protocol.ProcDomainLookupByName, &protocol.DomainLookupByNameArgs{Name: "echo"}},
		})
	})

	t.Run("readonly", func(t *testing.T) {
		steps := []step{
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
			{"suspend ghost", protocol.ProcDomainSuspend, domArgs(ghost)},
			{"resume", protocol.ProcDomainResume, domArgs(alpha)},
			{"set autostart", protocol.ProcDomainSetAutostart, &protocol.DomainSetAutostartArgs{Dom: alpha}},
			{"create", protocol.ProcDomainCreate, domArgs(alpha)},
			{"destroy", protocol.ProcDomainDestroy, domArgs(alpha)},
			{"shutdown", protocol.ProcDomainShutdown, domArgs(alpha)},
			{"managed save", protocol.ProcDomainManagedSave, domFlags(alpha, 0)},
			{"managed save flags 6", protocol.ProcDomainManagedSave, domFlags(alpha, 6)},
			{"managed save remove", protocol.ProcDomainManagedSaveRemove, domFlags(alpha, 0)},
			{"set metadata", protocol.ProcDomainSetMetadata, setMeta(alpha, 1, nil, nil, nil, 3)},
			{"get metadata 3", protocol.ProcDomainGetMetadata, meta(alpha, 1, nil, 3)},
			{"lookup id -1", protocol.ProcDomainLookupByID, i32(-1)},
			{"set identity", protocol.ProcConnectSetIdentity, identity()},
			{"register", protocol.ProcConnectDomainEventCallbackRegisterAny, register(0, nil)},
			{"register close", protocol.ProcConnectRegisterCloseCallback, nil},
			{"list", protocol.ProcConnectListAllDomains, listAll(1, 1)},
			{"state", protocol.ProcDomainGetState, domFlags(alpha, 0)},
		}
		p.compare(t, "ro socket", open, true, steps)
		p.compare(t, "ro flag", openArgs("test://"+p.node, 1), false, steps)
		p.compare(t, "ro socket preopen", nil, true, []step{
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
			{"open", protocol.ProcConnectOpen, open},
			{"suspend", protocol.ProcDomainSuspend, domArgs(alpha)},
		})
	})

	t.Run("identity", func(t *testing.T) {
		p.compare(t, "identity", open, false, []step{
			{"uid int", protocol.ProcConnectSetIdentity, identity(tparam("unix-user-id", protocol.TypedParamInt))},
			{"uid ullong", protocol.ProcConnectSetIdentity, identity(tparam("unix-user-id", protocol.TypedParamULLong))},
			{"bogus", protocol.ProcConnectSetIdentity, identity(tparam("bogus", protocol.TypedParamString))},
			{"bogus after bad", protocol.ProcConnectSetIdentity, identity(tparam("user-name", protocol.TypedParamInt), tparam("bogus", protocol.TypedParamString))},
			{"bad after zzz", protocol.ProcConnectSetIdentity, identity(tparam("user-name", protocol.TypedParamInt), tparam("zzz", protocol.TypedParamString))},
			{"bad then unknown between", protocol.ProcConnectSetIdentity, identity(tparam("group-name", protocol.TypedParamInt), tparam("t-unknown", protocol.TypedParamString))},
			{"duplicate", protocol.ProcConnectSetIdentity, identity(tparam("user-name", protocol.TypedParamString), tparam("user-name", protocol.TypedParamString))},
			{"duplicate bad type", protocol.ProcConnectSetIdentity, identity(tparam("user-name", protocol.TypedParamInt), tparam("user-name", protocol.TypedParamString))},
			{"all", protocol.ProcConnectSetIdentity, identity(
				tparam("user-name", protocol.TypedParamString), tparam("unix-user-id", protocol.TypedParamULLong),
				tparam("group-name", protocol.TypedParamString), tparam("unix-group-id", protocol.TypedParamULLong),
				tparam("process-id", protocol.TypedParamLLong), tparam("process-time", protocol.TypedParamULLong),
				tparam("sasl-user-name", protocol.TypedParamString), tparam("x509-distinguished-name", protocol.TypedParamString),
				tparam("selinux-context", protocol.TypedParamString))},
			{"flags", protocol.ProcConnectSetIdentity, &protocol.ConnectSetIdentityArgs{Flags: 7}},
		})
	})
}
