package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/virtwire/virtwire/internal/libvirtd"
	"github.com/virtwire/virtwire/protocol"
)

// pyOpenScript opens each URI of argv with python-libvirt (libvirt 9.0's
// own client library), asks isSecure and closes, printing one JSON line
// per URI: {"ok":true,"secure":N} or {"ok":false,"error":{…}}.
const pyOpenScript = `
import json, sys, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
for uri in sys.argv[1:]:
    if uri == "-":
        uri = None
    try:
        c = libvirt.open(uri)
        rec = {"ok": True, "secure": c.isSecure()}
        c.close()
    except libvirt.libvirtError as e:
        rec = {"ok": False, "error": {"code": e.get_error_code(), "domain": e.get_error_domain(),
               "message": e.get_error_message(), "str1": e.get_str1(), "str2": e.get_str2(),
               "int1": e.get_int1()}}
    print(json.dumps(rec), flush=True)
`

type pyOpenResult struct {
	OK     bool `json:"ok"`
	Secure int  `json:"secure"`
	Error  *struct {
		Code    int32   `json:"code"`
		Domain  int32   `json:"domain"`
		Message string  `json:"message"`
		Str1    *string `json:"str1"`
		Str2    *string `json:"str2"`
		Int1    int32   `json:"int1"`
	} `json:"error"`
}

// runPyOpen runs pyOpenScript in a private environment (no session daemon
// autostart, no user configuration), with extra environment variables.
func runPyOpen(t *testing.T, uris []string, extraEnv ...string) []pyOpenResult {
	t.Helper()
	home := t.TempDir()
	cmd := exec.CommandContext(testCtx(t), libvirtd.PythonPath, "-I", "-c", pyOpenScript)
	cmd.Args = append(cmd.Args, uris...)
	cmd.Env = append([]string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", "LIBVIRT_AUTOSTART=0", "HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
	}, extraEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v; stderr: %s", err, stderr.String())
	}
	var res []pyOpenResult
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var r pyOpenResult
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		res = append(res, r)
	}
	if len(res) != len(uris) {
		t.Fatalf("python gave %d results for %d URIs; stderr: %s", len(res), len(uris), stderr.String())
	}
	return res
}

// openRecorder is a fake daemon on a unix socket and on TCP that records
// the CONNECT_OPEN name and flags of every connection.
type openRecorder struct {
	mu    sync.Mutex
	names []string
	unix  *fakeServer
	tcp   *fakeServer
}

func newOpenRecorder(t *testing.T) *openRecorder {
	r := &openRecorder{}
	handler := func(p *peer) {
		record := func(f frame) {
			var a protocol.ConnectOpenArgs
			if err := a.UnmarshalBinary(f.payload); err != nil {
				t.Error(err)
			}
			r.mu.Lock()
			r.names = append(r.names, a.Name.Value)
			r.mu.Unlock()
		}
		if _, err := p.handshake(handshakeOpts{keepalive: 1, onOpen: record}); err != nil {
			return
		}
		p.serve(func(f frame) bool {
			switch f.h.Procedure {
			case protocol.ProcConnectIsSecure:
				p.reply(f, &protocol.Int32Value{Value: 1})
			case protocol.ProcConnectSupportsFeature:
				p.reply(f, &protocol.ConnectSupportsFeatureRet{Supported: 1})
			case protocol.ProcConnectRegisterCloseCallback, protocol.ProcConnectUnregisterCloseCallback:
				p.reply(f, nil)
			default:
				p.replyError(f, protocol.Errorf(protocol.FromRPC, protocol.ErrRPC, "unknown procedure: %d", f.h.Procedure))
			}
			return true
		})
	}
	r.unix = newFakeServer(t, handler)
	r.tcp = newFakeTCPServer(t, nil, 0, handler)
	return r
}

func (r *openRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.names
	r.names = nil
	return n
}

// TestURIOracle opens the same URIs with python-libvirt and with Dial
// against one fake daemon, and checks that both succeed or fail alike,
// with the same libvirt error, the same CONNECT_OPEN name and the same
// ConnectIsSecure answer.
func TestURIOracle(t *testing.T) {
	libvirtd.RequirePython(t)
	r := newOpenRecorder(t)
	_, port, _ := net.SplitHostPort(r.tcp.ln.Addr().String())
	sock := r.unix.path
	expand := func(s string) string {
		return strings.NewReplacer("{S}", sock, "{P}", port).Replace(s)
	}
	uris := []string{
		"test+unix:///default?socket={S}&foo=bar%20baz",
		"test+unix:///a:b?socket={S}&x=a/b:c~d-e_f.g%2Bh+i&y&=z&Q=%41",
		"test+unix:///p?socket={S}#fr/ag:x",
		"Test+UNIX:///x?SOCKET={S}&Name=abc",
		"test+unix:///x?socket={S};a=b;c=d",
		"test+unix:///x?a=b;socket={S}",
		"test+unix:///x?b=c&socket={S}#a%20b[c]",
		"test+unix:///x?socket={S}&b%20c=d%20e",
		"test+unix:///x?socket={S}&b=%C3%A9%00",
		"test+unix:///x?socket={S}&b=a=b",
		"test+unix:///a%20b/c@d!$&'()*+,;=?socket={S}",
		"test+unix:///%7e%2F?socket={S}",
		"test+unix:///x?socket={S}&#",
		"test+unix:///x%00y?socket={S}",
		"test+unix:///x?socket={S}&a=+",
		"test+unix:x/y?socket={S}",
		"test+unix:?socket={S}",
		"test+unix:system?socket={S}",
		"qemu+unix:///session?socket={S}",
		"remote:///x?socket={S}",
		"remote+unix:///x?socket={S}&name=qemu:///system",
		"test+unix:///x?socket={S}&name=",
		"test+unix:///x?socket=/nonexistent/sock&socket={S}",
		"test+unix:///x?socket={S}&no_verify=+1&no_sanity=%200&no_tty=-1",
		"test+unix:///x?socket={S}&mode=direct",
		"test+unix:///x?socket={S}&authfile=/x&pkipath=/y&tls_priority=NORMAL&command=x&netcat=y&keyfile=k&known_hosts=k&known_hosts_verify=auto&sshauth=a&proxy=auto",
		"test+unix://@/x?socket={S}",
		"test+unix://:5/x?socket={S}",
		"t.e-s+unix:///x?socket={S}",
		"test+tcp://127.0.0.1:{P}/x?foo=1",
		"test+tcp://user@127.0.0.1:{P}/x",
		"test+TCP://127.0.0.1:{P}",
		"test+tcp://127.0.0.1:{P}?a=b",
		"test+tcp://127.0.0.1:00{P}/x#f",
		"test+tcp://127.0.0.1:{P}/x?mode=direct",
		// Errors.
		"test+foo:///default",
		"test+unix://host/x",
		"test+unix://1.2.3.1234/x",
		"test+unix:///x?socket={S}&no_verify=abc",
		"test+unix:///x?socket={S}&no_verify",
		"test+unix:///x?socket={S}&no_tty=0x1",
		"test+unix:///x?socket={S}&no_verify=1&no_verify=abc",
		"test+unix:///x?socket={S}&mode=bogus",
		"test+unix:///x?socket={S}&proxy=bogus",
		"test+unix:///a:b c?socket={S}",
		"test+unix:///[x?socket={S}",
		"test+unix:///x?socket={S}&a=[b]",
		"test+unix:///x?socket={S}&b=%ZZ",
		"test+tcp://127.0.0.1:/x",
		"test+tcp://127.0.0.1:99999999999/x",
		"1test+unix:///x?socket={S}",
		"foo",
		"test+unix:///x?socket={S}&auth=sasl",
		"test+unix:///x?socket={S}&auth=polkit",
		"test+unix:///x?socket={S}&auth=none",
		"test+unix:///x?socket=/nonexistent/virtwire-sock",
	}
	for i := range uris {
		uris[i] = expand(uris[i])
	}
	py := runPyOpen(t, uris)
	pyNames := r.take()
	for i, uri := range uris {
		want := py[i]
		var name string
		if want.OK {
			name, pyNames = pyNames[0], pyNames[1:]
		}
		c, err := Dial(testCtx(t), uri, WithKeepalive(0, 0))
		got := r.take()
		switch {
		case want.OK && err != nil:
			t.Errorf("%s: python opened it; Dial = %v", uri, err)
		case want.OK:
			if len(got) != 1 || got[0] != name {
				t.Errorf("%s: CONNECT_OPEN name %q; python sent %q", uri, got, name)
			}
			secure, err := c.ConnectIsSecure(testCtx(t))
			if err != nil || secure != (want.Secure == 1) {
				t.Errorf("%s: ConnectIsSecure = %v, %v; python says %d", uri, secure, err, want.Secure)
			}
			c.Close()
		case err == nil:
			c.Close()
			t.Errorf("%s: python failed with %q; Dial succeeded", uri, want.Error.Message)
		default:
			var pe *protocol.Error
			w := want.Error
			if !errors.As(err, &pe) {
				t.Errorf("%s: Dial = %v; python failed with %d/%d %q", uri, err, w.Code, w.Domain, w.Message)
				continue
			}
			if int32(pe.Code) != w.Code || int32(pe.Domain) != w.Domain || pe.Message.Value != w.Message ||
				pe.Str1.Value != deref(w.Str1) || pe.Str2.Value != deref(w.Str2) || pe.Int1 != w.Int1 {
				t.Errorf("%s: Dial error %d/%d %q str1 %q str2 %q int1 %d\npython: %d/%d %q str1 %q str2 %q int1 %d", uri,
					pe.Code, pe.Domain, pe.Message.Value, pe.Str1.Value, pe.Str2.Value, pe.Int1,
					w.Code, w.Domain, w.Message, deref(w.Str1), deref(w.Str2), w.Int1)
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestURIOracleDefault checks LIBVIRT_DEFAULT_URI: python-libvirt and Dial
// given no URI both open the URI it names.
func TestURIOracleDefault(t *testing.T) {
	libvirtd.RequirePython(t)
	r := newOpenRecorder(t)
	def := "test+unix:///from-env?socket=" + r.unix.path + "&k=v"
	py := runPyOpen(t, []string{"-"}, DefaultURIEnv+"="+def)
	if !py[0].OK {
		t.Fatalf("python open(None) failed: %+v", py[0].Error)
	}
	want := r.take()
	t.Setenv(DefaultURIEnv, def)
	c, err := Dial(testCtx(t), "", WithKeepalive(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got := r.take(); len(got) != 1 || len(want) != 1 || got[0] != want[0] {
		t.Errorf("CONNECT_OPEN name %q; python sent %q", got, want)
	}
}
