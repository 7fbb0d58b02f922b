package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
)

// Tests in this file run against a real libvirtd 9.0 started by
// internal/libvirtd and compare with python3-libvirt, libvirt's own C
// client, on the same daemon. They skip on a machine without libvirtd and
// fail in CI (CI or VIRTWIRE_REQUIRE_LIBVIRTD set).

// unknownFlagValues are ListAllDomains flags with bits above 0xFFFF, which
// the test driver refuses (FACTS S6).
var unknownFlagValues = []uint32{1 << 16, 1 << 17, 1 << 30, 1 << 31, 0x40000001, 0x80000003, 0xffff0000, 0xffffffff, 0x12345678, 0x0001ffff}

// allFlagValues returns every 16-bit flags value and the unknown ones.
func allFlagValues() []uint32 {
	out := make([]uint32, 0, 1<<16+len(unknownFlagValues))
	for f := range uint32(1 << 16) {
		out = append(out, f)
	}
	return append(out, unknownFlagValues...)
}

// someFlagValues is a subset for the slower transports: every value of
// the low byte, every single bit, pairs of each group, and the unknown
// values.
func someFlagValues() []uint32 {
	var out []uint32
	for f := range uint32(256) {
		out = append(out, f)
	}
	for b := 8; b < 16; b++ {
		out = append(out, 1<<b, 1<<b|3, 3<<(b&^1))
	}
	return append(out, unknownFlagValues...)
}

// domainSetKey is the canonical form of a listing compared between
// clients: the set of (name, UUID, ID), sorted.
func domainSetKey(names, uuids []string, ids []int) string {
	items := make([]string, len(names))
	for i := range names {
		items[i] = fmt.Sprintf("%s|%s|%d", names[i], uuids[i], ids[i])
	}
	slices.Sort(items)
	return strings.Join(items, ",")
}

func errorKey(code, domain, level int, msg, str1, str2, str3 *string, int1, int2 int) string {
	d := func(s *string) string {
		if s == nil {
			return "<NULL>"
		}
		return *s
	}
	return fmt.Sprintf("ERR %d/%d/%d %q %q %q %q %d %d", code, domain, level, d(msg), d(str1), d(str2), d(str3), int1, int2)
}

func optPtr(s protocol.OptionalString) *string {
	if !s.Valid {
		return nil
	}
	return &s.Value
}

// ourKeys lists every flags value over one connection, with a few calls in
// flight at once (libvirtd runs up to 5 per client), storing the canonical
// result of each in keys and closing its done channel.
func ourKeys(ctx context.Context, t *testing.T, c *Conn, flags []uint32, keys []string, done []chan struct{}) {
	var wg sync.WaitGroup
	const workers = 4
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(flags); i += workers {
				doms, err := c.ListAllDomains(ctx, protocol.ListDomainsFlags(flags[i]))
				if err != nil {
					var pe *protocol.Error
					if !errors.As(err, &pe) {
						t.Errorf("ListAllDomains(%#x) = %v; want a libvirt error or a list", flags[i], err)
						keys[i] = "FAILED: " + err.Error()
						close(done[i])
						continue
					}
					keys[i] = errorKey(int(pe.Code), int(pe.Domain), int(pe.Level), optPtr(pe.Message),
						optPtr(pe.Str1), optPtr(pe.Str2), optPtr(pe.Str3), int(pe.Int1), int(pe.Int2))
					close(done[i])
					continue
				}
				names, uuids, ids := make([]string, len(doms)), make([]string, len(doms)), make([]int, len(doms))
				for j, d := range doms {
					names[j], uuids[j], ids[j] = d.Name, d.UUID.String(), int(d.ID)
				}
				keys[i] = domainSetKey(names, uuids, ids)
				close(done[i])
			}
		}()
	}
	wg.Wait()
}

// compareWithPython lists every flags value with Dial and with
// python-libvirt against the same daemon URI, and requires the same set of
// domains, or the same error with every field, for each value. Our client
// uses one connection; python's calls are spread over pyProcs processes
// (each with one connection) because libvirt's client waits for each reply
// in turn, and everything runs at once, so the whole sweep costs what the
// daemon needs to answer it.
func compareWithPython(t *testing.T, uri string, readonly bool, flags []uint32, opts ...Option) (nonEmpty, errs int) {
	t.Helper()
	const pyProcs = 3
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	if readonly {
		opts = append(opts, WithReadOnly())
	}
	c, err := Dial(ctx, uri, opts...)
	if err != nil {
		t.Fatalf("Dial(%s) = %v", uri, err)
	}
	defer c.Close()
	ours := make([]string, len(flags))
	done := make([]chan struct{}, len(flags))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ourKeys(ctx, t, c, flags, ours, done)
	}()
	defer wg.Wait()

	var mu sync.Mutex
	perr := make(chan error, pyProcs)
	chunk := (len(flags) + pyProcs - 1) / pyProcs
	for p := range pyProcs {
		lo, hi := min(p*chunk, len(flags)), min((p+1)*chunk, len(flags))
		go func() {
			i := lo
			perr <- libvirtd.PyListAllDomainsFunc(ctx, uri, readonly, flags[lo:hi], func(r libvirtd.PyResult) error {
				var key string
				empty, isErr := true, false
				if e := r.Error; e != nil {
					key = errorKey(e.Code, e.Domain, e.Level, e.Message, e.Str1, e.Str2, e.Str3, e.Int1, e.Int2)
					isErr = true
				} else {
					names, uuids, ids := make([]string, len(r.Domains)), make([]string, len(r.Domains)), make([]int, len(r.Domains))
					for j, d := range r.Domains {
						names[j], uuids[j], ids[j] = d.Name, d.UUID, d.ID
					}
					key = domainSetKey(names, uuids, ids)
					empty = len(r.Domains) == 0
				}
				select {
				case <-done[i]:
				case <-ctx.Done():
					return ctx.Err()
				}
				mu.Lock()
				defer mu.Unlock()
				if isErr {
					errs++
				} else if !empty {
					nonEmpty++
				}
				if key != ours[i] {
					t.Errorf("flags %#x: ListAllDomains = %s\npython-libvirt = %s", flags[i], ours[i], key)
				}
				i++
				return nil
			})
		}()
	}
	for range pyProcs {
		if err := <-perr; err != nil {
			cancel()
			t.Error(err)
		}
	}
	return nonEmpty, errs
}

// TestListAllDomainsMatchesPython is the main check: for all 65,536
// combinations of the 16 filter bits and for unknown bits, ListAllDomains
// returns the same domains (name, UUID, ID) or the same error as
// python-libvirt, on a node with domains in every state, transient, with a
// managed save image and a snapshot (setup/node.xml), and on an empty node.
func TestListAllDomainsMatchesPython(t *testing.T) {
	libvirtd.RequirePython(t)
	for _, node := range []string{"node.xml", "node-empty.xml"} {
		t.Run(node, func(t *testing.T) {
			t.Parallel()
			d := libvirtd.Start(t, libvirtd.WithFile(filepath.Join("testdata", node)))
			nonEmpty, errs := compareWithPython(t, d.URI(node), false, allFlagValues())
			if errs != len(unknownFlagValues) {
				t.Errorf("%d errors; want one per unknown-bit value (%d)", errs, len(unknownFlagValues))
			}
			if node == "node.xml" && nonEmpty < 1<<14 {
				t.Errorf("only %d non-empty listings: the node does not exercise the filters", nonEmpty)
			}
			if node == "node-empty.xml" && nonEmpty != 0 {
				t.Errorf("%d non-empty listings on the empty node", nonEmpty)
			}
		})
	}
}

// TestListAllDomainsTransportsMatchPython repeats the comparison over the
// read-only unix socket, TCP and TLS, with a subset of the flags.
func TestListAllDomainsTransportsMatchPython(t *testing.T) {
	libvirtd.RequirePython(t)
	p := newTestPKI(t)
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TCP(), libvirtd.TLS(p.PKI))
	for _, tc := range []struct {
		name     string
		uri      string
		readonly bool
	}{
		{"unix-ro", d.ROURI("node.xml"), true},
		{"tcp", d.TCPURI("node.xml"), false},
		{"tls", d.TLSURI("node.xml", p.clientDir), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nonEmpty, _ := compareWithPython(t, tc.uri, tc.readonly, someFlagValues())
			if nonEmpty == 0 {
				t.Error("every listing was empty")
			}
		})
	}
}

// pyInspectScript prints, as JSON, what python-libvirt reports about the
// connection and each domain, and the errors of failed lookups.
const pyInspectScript = `
import json, sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
c = libvirt.openReadOnly(sys.argv[1]) if sys.argv[2] == "1" else libvirt.open(sys.argv[1])
def err(f):
    try:
        f()
    except libvirt.libvirtError as e:
        return [e.get_error_code(), e.get_error_domain(), e.get_error_message(), e.get_str1(), e.get_str2(), e.get_int1()]
    return None
out = {"type": c.getType(), "hostname": c.getHostname(), "libver": c.getLibVersion(),
       "ver": c.getVersion(), "secure": c.isSecure(), "domains": {},
       "errors": {"name": err(lambda: c.lookupByName("nosuch")),
                  "uuid": err(lambda: c.lookupByUUIDString("99999999-9999-9999-9999-999999999999")),
                  "id": err(lambda: c.lookupByID(999)),
                  "state": err(lambda: c.lookupByName("alpha").state(1))}}
for d in c.listAllDomains(0):
    out["domains"][d.name()] = {"uuid": d.UUIDString(), "id": d.ID(), "state": d.state(), "info": d.info()[:4],
        "autostart": d.autostart(), "managedsave": d.hasManagedSaveImage(), "active": d.isActive(),
        "persistent": d.isPersistent(), "snapshots": d.snapshotNum()}
print(json.dumps(out))
c.close()
`

type pyInspect struct {
	Type     string `json:"type"`
	Hostname string `json:"hostname"`
	LibVer   uint64 `json:"libver"`
	Ver      uint64 `json:"ver"`
	Secure   int    `json:"secure"`
	Domains  map[string]struct {
		UUID        string   `json:"uuid"`
		ID          int32    `json:"id"`
		State       []int32  `json:"state"`
		Info        []uint64 `json:"info"`
		Autostart   int      `json:"autostart"`
		ManagedSave int      `json:"managedsave"`
		Active      int      `json:"active"`
		Persistent  int      `json:"persistent"`
		Snapshots   int      `json:"snapshots"`
	} `json:"domains"`
	Errors map[string][]any `json:"errors"`
}

func runPyInspect(t *testing.T, uri string, readonly bool) pyInspect {
	t.Helper()
	ro := "0"
	if readonly {
		ro = "1"
	}
	home := t.TempDir()
	cmd := exec.CommandContext(testCtx(t), libvirtd.PythonPath, "-I", "-c", pyInspectScript, uri, ro)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LIBVIRT_AUTOSTART=0", "HOME=" + home, "XDG_RUNTIME_DIR=" + home}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v: %s", err, stderr.String())
	}
	var r pyInspect
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGettersMatchPython compares the connection getters, every domain's
// lookups and properties, and the errors of failed lookups with
// python-libvirt on the same daemon, over unix (read-only too) and TCP.
func TestGettersMatchPython(t *testing.T) {
	libvirtd.RequirePython(t)
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"), libvirtd.TCP())
	for _, tc := range []struct {
		name     string
		uri      string
		readonly bool
	}{
		{"unix", d.URI("node.xml"), false},
		{"unix-ro", d.ROURI("node.xml"), true},
		{"tcp", d.TCPURI("node.xml"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := runPyInspect(t, tc.uri, tc.readonly)
			var opts []Option
			if tc.readonly {
				opts = append(opts, WithReadOnly())
			}
			c, err := Dial(testCtx(t), tc.uri, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := testCtx(t)
			typ, err1 := c.ConnectGetType(ctx)
			host, err2 := c.ConnectGetHostname(ctx)
			lib, err3 := c.ConnectGetLibVersion(ctx)
			ver, err4 := c.ConnectGetVersion(ctx)
			sec, err5 := c.ConnectIsSecure(ctx)
			if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
				t.Fatal(err)
			}
			if typ != want.Type || host != want.Hostname || lib != want.LibVer || ver != want.Ver || sec != (want.Secure == 1) {
				t.Errorf("getters = %q %q %d %d %v; python %q %q %d %d %d", typ, host, lib, ver, sec,
					want.Type, want.Hostname, want.LibVer, want.Ver, want.Secure)
			}
			doms, err := c.ListAllDomains(ctx, 0)
			if err != nil || len(doms) != len(want.Domains) {
				t.Fatalf("ListAllDomains = %d, %v; python lists %d", len(doms), err, len(want.Domains))
			}
			for _, dom := range doms {
				w, ok := want.Domains[dom.Name]
				if !ok {
					t.Errorf("%s: not listed by python", dom.Name)
					continue
				}
				if dom.UUID.String() != w.UUID || dom.ID != w.ID {
					t.Errorf("%s: uuid %s id %d; python %s %d", dom.Name, dom.UUID, dom.ID, w.UUID, w.ID)
				}
				byName, e1 := c.DomainLookupByName(ctx, dom.Name)
				byUUID, e2 := c.DomainLookupByUUID(ctx, dom.UUID)
				if e1 != nil || e2 != nil || byName != dom || byUUID != dom {
					t.Errorf("%s: lookups = %v %v, %v %v; want %v", dom.Name, byName, e1, byUUID, e2, dom)
				}
				if dom.ID >= 0 {
					if byID, err := c.DomainLookupByID(ctx, dom.ID); err != nil || byID != dom {
						t.Errorf("%s: DomainLookupByID = %v, %v", dom.Name, byID, err)
					}
				}
				state, reason, e1 := c.DomainGetState(ctx, dom, 0)
				info, e2 := c.DomainGetInfo(ctx, dom)
				auto, e3 := c.DomainGetAutostart(ctx, dom)
				ms, e4 := c.DomainHasManagedSaveImage(ctx, dom, 0)
				act, e5 := c.DomainIsActive(ctx, dom)
				pers, e6 := c.DomainIsPersistent(ctx, dom)
				snaps, e7 := c.DomainSnapshotNum(ctx, dom, 0)
				if err := errors.Join(e1, e2, e3, e4, e5, e6, e7); err != nil {
					t.Errorf("%s: %v", dom.Name, err)
					continue
				}
				got := fmt.Sprint([]int32{int32(state), reason}, []uint64{uint64(info.State), info.MaxMem, info.Memory, uint64(info.NrVirtCPU)},
					auto, ms, act, pers, snaps)
				wantS := fmt.Sprint(w.State, w.Info, w.Autostart == 1, w.ManagedSave == 1, w.Active == 1, w.Persistent == 1, w.Snapshots)
				if got != wantS {
					t.Errorf("%s: %s; python %s", dom.Name, got, wantS)
				}
			}
			alpha, _ := c.DomainLookupByName(ctx, "alpha")
			for name, call := range map[string]func() error{
				"name": func() error { _, err := c.DomainLookupByName(ctx, "nosuch"); return err },
				"uuid": func() error {
					_, err := c.DomainLookupByUUID(ctx, protocol.UUID(bytes.Repeat([]byte{0x99}, 16)))
					return err
				},
				"id":    func() error { _, err := c.DomainLookupByID(ctx, 999); return err },
				"state": func() error { _, _, err := c.DomainGetState(ctx, alpha, 1); return err },
			} {
				err := call()
				var pe *protocol.Error
				if !errors.As(err, &pe) {
					t.Errorf("%s lookup error = %v; want *protocol.Error", name, err)
					continue
				}
				got := fmt.Sprint([]any{float64(pe.Code), float64(pe.Domain), pe.Message.Value, optAny(pe.Str1), optAny(pe.Str2), float64(pe.Int1)})
				if w := fmt.Sprint(want.Errors[name]); got != w {
					t.Errorf("%s lookup error = %s; python %s", name, got, w)
				}
				if name != "state" && !errors.Is(err, protocol.ErrNoDomain) {
					t.Errorf("%s lookup error does not match protocol.ErrNoDomain", name)
				}
			}
		})
	}
}

func optAny(s protocol.OptionalString) any {
	if !s.Valid {
		return nil
	}
	return s.Value
}

// dialRealNode starts libvirtd on testdata/node.xml, with daemonOpts, and
// dials its node.xml with opts. The caller closes the Conn.
func dialRealNode(t *testing.T, daemonOpts []libvirtd.Option, opts ...Option) (*libvirtd.Daemon, *Conn, context.Context) {
	t.Helper()
	d := libvirtd.Start(t, append([]libvirtd.Option{libvirtd.WithFile("testdata/node.xml")}, daemonOpts...)...)
	ctx := testCtx(t)
	c, err := Dial(ctx, d.URI("node.xml"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return d, c, ctx
}

// TestReadOnlyRealDaemon opens read-only through the socket SocketPath
// resolves (libvirt-sock-ro under the daemon's run directory), lists, and
// is refused a write before sending it; the domain's state is unchanged.
func TestReadOnlyRealDaemon(t *testing.T) {
	d := libvirtd.Start(t, libvirtd.WithFile("testdata/node.xml"))
	old := systemSocketDir
	systemSocketDir = filepath.Dir(d.Socket)
	t.Cleanup(func() { systemSocketDir = old })
	ctx := testCtx(t)
	c, err := Dial(ctx, "test:///"+d.File("node.xml"), WithReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := c.nc.RemoteAddr().String(); got != d.ROSocket {
		t.Errorf("connected to %s; want the read-only socket %s", got, d.ROSocket)
	}
	doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive)
	if err != nil || len(doms) != 5 {
		t.Fatalf("ListAllDomains(ACTIVE) = %d domains, %v; want 5", len(doms), err)
	}
	alpha, _ := c.DomainLookupByName(ctx, "alpha")
	if err := c.DomainSuspend(ctx, alpha); !errors.Is(err, protocol.ErrOperationDenied) {
		t.Errorf("DomainSuspend = %v; want ErrOperationDenied", err)
	}
	if st, _, err := c.DomainGetState(ctx, alpha, 0); err != nil || st != protocol.DomainRunning {
		t.Errorf("alpha is %v, %v after a refused suspend; want RUNNING", st, err)
	}
}

// TestUnknownProcedureRealDaemon checks the NO_SUPPORT mapping with
// libvirtd's own answer to a procedure it does not know.
func TestUnknownProcedureRealDaemon(t *testing.T) {
	d := libvirtd.Start(t)
	c, err := Dial(testCtx(t), d.DefaultURI())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.Call(testCtx(t), 9999, nil, nil)
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != protocol.ErrNoSupport || pe.Domain != protocol.FromRPC || pe.Message.Value != "unknown procedure: 9999" {
		t.Errorf("Call(9999) = %#v; want NO_SUPPORT from RPC, message kept", err)
	}
	if _, err := c.ConnectGetType(testCtx(t)); err != nil {
		t.Errorf("the connection did not survive: %v", err)
	}
}

// TestCloseRealDaemon checks that after Close the connection's error
// wraps net.ErrClosed even though libvirtd hangs up as soon as it has
// answered CONNECT_CLOSE.
func TestCloseRealDaemon(t *testing.T) {
	d := libvirtd.Start(t)
	for range 10 {
		c, err := Dial(testCtx(t), d.DefaultURI())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatalf("Close = %v", err)
		}
		if _, err := c.ConnectGetType(testCtx(t)); !errors.Is(err, ErrConnClosed) || !errors.Is(err, net.ErrClosed) {
			t.Fatalf("call after Close = %v; want ErrConnClosed and net.ErrClosed", err)
		}
	}
}

// TestEventsRealDaemon registers for lifecycle events and suspends and
// resumes a domain, as captures/e does, then checks the channel closes
// with the connection.
func TestEventsRealDaemon(t *testing.T) {
	_, c, ctx := dialRealNode(t, nil)
	sub, err := c.SubscribeLifecycle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	alpha, err := c.DomainLookupByName(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DomainSuspend(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	if err := c.DomainResume(ctx, alpha); err != nil {
		t.Fatal(err)
	}
	for _, want := range []protocol.DomainEventType{protocol.DomainEventSuspended, protocol.DomainEventResumed} {
		select {
		case ev := <-sub.Events():
			if ev.Dom != alpha || ev.Event != want || ev.Detail != 0 {
				t.Errorf("event = %+v; want %v for alpha", ev, want)
			}
		case <-ctx.Done():
			t.Fatalf("no %v event", want)
		}
	}
	c.Close()
	if _, ok := <-sub.Events(); ok {
		t.Error("the event channel is open after Close")
	}
}

// TestConcurrentCallsRealDaemon runs 64 goroutines of mixed calls on one
// connection (under -race in CI) and checks every result.
func TestConcurrentCallsRealDaemon(t *testing.T) {
	_, c, ctx := dialRealNode(t, nil)
	defer c.Close()
	all, err := c.ListAllDomains(ctx, 0)
	if err != nil || len(all) != 8 {
		t.Fatalf("ListAllDomains = %d, %v", len(all), err)
	}
	states := map[string]protocol.DomainState{}
	for _, dom := range all {
		st, _, err := c.DomainGetState(ctx, dom, 0)
		if err != nil {
			t.Fatal(err)
		}
		states[dom.Name] = st
	}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				dom := all[(g+i)%len(all)]
				switch i % 3 {
				case 0:
					got, err := c.ListAllDomains(ctx, protocol.ListDomainsActive|protocol.ListDomainsInactive)
					if err != nil || len(got) != 8 {
						t.Errorf("ListAllDomains = %d, %v", len(got), err)
					}
				case 1:
					got, err := c.DomainLookupByName(ctx, dom.Name)
					if err != nil || got != dom {
						t.Errorf("DomainLookupByName(%s) = %v, %v", dom.Name, got, err)
					}
				case 2:
					st, _, err := c.DomainGetState(ctx, dom, 0)
					if err != nil || st != states[dom.Name] {
						t.Errorf("DomainGetState(%s) = %v, %v; want %v", dom.Name, st, err, states[dom.Name])
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestDaemonKilledMidCall checks RELIABILITY test 33: with calls pending on
// a stopped daemon, killing it fails them all at once with ErrConnClosed,
// Done fires, and Err tells why.
func TestDaemonKilledMidCall(t *testing.T) {
	d, c, ctx := dialRealNode(t, nil)
	defer c.Close()
	if err := syscall.Kill(d.PID(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	const n = 10
	errc := make(chan error, n)
	for range n {
		go func() {
			_, err := c.ListAllDomains(ctx, 0)
			errc <- err
		}()
	}
	for { // every call is pending
		c.mu.Lock()
		p := len(c.pending)
		c.mu.Unlock()
		if p == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	killed := time.Now()
	if err := d.Kill(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errc; !errors.Is(err, ErrConnClosed) {
			t.Errorf("pending call = %v; want ErrConnClosed", err)
		}
	}
	t.Logf("pending calls failed %v after the kill", time.Since(killed))
	waitDone(t, c)
	if err := c.Err(); !errors.Is(err, ErrConnClosed) {
		t.Errorf("Err() = %v", err)
	}
	if _, err := Dial(ctx, d.URI("node.xml")); !errors.Is(err, protocol.ErrSystemError) {
		t.Errorf("redial to the dead daemon = %v; want a system error", err)
	}
}

// TestServerKeepaliveRealDaemon lets libvirtd ping every second and give
// up after two seconds of silence, with client keepalive off, and checks
// the connection outlives that: the automatic PONGs keep it alive.
func TestServerKeepaliveRealDaemon(t *testing.T) {
	_, c, ctx := dialRealNode(t, []libvirtd.Option{libvirtd.Keepalive(1, 1)}, WithKeepalive(0, 0), WithKeepaliveNegotiation(true))
	defer c.Close()
	select {
	case <-c.Done():
		t.Fatalf("the daemon closed the connection: %v", c.Err())
	case <-time.After(3500 * time.Millisecond):
	}
	if _, err := c.ListAllDomains(ctx, 0); err != nil {
		t.Fatalf("ListAllDomains after 3.5 s idle = %v", err)
	}
}

// TestCallCancelRealDaemon cancels calls to a stopped daemon: each returns
// at once, and once the daemon runs again its late replies are dropped and
// the connection works.
func TestCallCancelRealDaemon(t *testing.T) {
	d, c, ctx := dialRealNode(t, nil)
	defer c.Close()
	if err := syscall.Kill(d.PID(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err := c.ListAllDomains(cctx, 0)
	cancel()
	if err := syscall.Kill(d.PID(), syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ListAllDomains on a stopped daemon = %v; want DeadlineExceeded", err)
	}
	for range 3 {
		if doms, err := c.ListAllDomains(ctx, 0); err != nil || len(doms) != 8 {
			t.Fatalf("ListAllDomains after SIGCONT = %d, %v", len(doms), err)
		}
	}
}

// TestVirshListProcedures checks the calls virsh list makes for titles and
// for its fallback when a daemon lacks CONNECT_LIST_ALL_DOMAINS (FACTS §12,
// protocol-ref §2.1, §5) against the real daemon and node.xml, plus the
// autostart setter the AUTOSTART filter needs.
func TestVirshListProcedures(t *testing.T) {
	_, c, ctx := dialRealNode(t, nil)
	defer c.Close()
	if n, err := c.ConnectNumOfDomains(ctx); err != nil || n != 5 {
		t.Errorf("ConnectNumOfDomains = %d, %v; want 5", n, err)
	}
	ids, err := c.ConnectListDomains(ctx, 16)
	slices.Sort(ids)
	if err != nil || !slices.Equal(ids, []int32{1, 2, 3, 4, 5}) {
		t.Errorf("ConnectListDomains(16) = %v, %v; want [1 2 3 4 5]", ids, err)
	}
	if ids, err := c.ConnectListDomains(ctx, 2); err != nil || len(ids) != 2 {
		t.Errorf("ConnectListDomains(2) = %v, %v; want 2 IDs (the daemon truncates)", ids, err)
	}
	wantLibvirtError(t, "ConnectListDomains(16385)", func() error { _, err := c.ConnectListDomains(ctx, 16385); return err }(),
		protocol.ErrRPC, protocol.FromRemote, "Too many domains '16385' for limit '16384'")
	if n, err := c.ConnectNumOfDefinedDomains(ctx); err != nil || n != 3 {
		t.Errorf("ConnectNumOfDefinedDomains = %d, %v; want 3", n, err)
	}
	names, err := c.ConnectListDefinedDomains(ctx, 16)
	slices.Sort(names)
	if err != nil || !slices.Equal(names, []string{"charlie", "delta", "golf"}) {
		t.Errorf("ConnectListDefinedDomains(16) = %v, %v", names, err)
	}
	alpha, _ := c.DomainLookupByName(ctx, "alpha")
	delta, _ := c.DomainLookupByName(ctx, "delta")
	_, err = c.DomainGetMetadata(ctx, alpha, protocol.MetadataTitle, protocol.OptionalString{}, 0)
	wantLibvirtError(t, "DomainGetMetadata(TITLE)", err, protocol.ErrNoDomainMetadata, protocol.FromDomain,
		"metadata not found: Requested metadata element is not present")
	if n, err := c.DomainSnapshotNum(ctx, delta, 0); err != nil || n != 1 {
		t.Errorf("DomainSnapshotNum(delta) = %d, %v; want 1", n, err)
	}
	if cps, n, err := c.DomainListAllCheckpoints(ctx, alpha, false, 0); err != nil || n != 0 || len(cps) != 0 {
		t.Errorf("DomainListAllCheckpoints(alpha) = %v, %d, %v; want none", cps, n, err)
	}
	if err := c.DomainSetAutostart(ctx, alpha, true); err != nil {
		t.Fatal(err)
	}
	if on, err := c.DomainGetAutostart(ctx, alpha); err != nil || !on {
		t.Errorf("DomainGetAutostart(alpha) = %v, %v after setting it", on, err)
	}
	if doms, err := c.ListAllDomains(ctx, protocol.ListDomainsAutostart); err != nil || len(doms) != 1 || doms[0] != alpha {
		t.Errorf("ListAllDomains(AUTOSTART) = %v, %v; want [alpha]", doms, err)
	}
}
