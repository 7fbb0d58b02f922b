package client

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/virtwire/virtwire/internal/captures"
	"github.com/virtwire/virtwire/protocol"
)

// TestParseURI checks URIs from libvirt's documentation (docs/uri.rst,
// docs/remote.rst) and the rules of FACTS §10.
func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		uri       string
		driver    string
		transport Transport
		user      string
		host      string
		port      int
		path      string
		address   string // Address()
		name      string // OpenName()
	}{
		{"qemu:///system", "qemu", TransportUnix, "", "", 0, "/system", "", "qemu:///system"},
		{"qemu:///session", "qemu", TransportUnix, "", "", 0, "/session", "", "qemu:///session"},
		{"qemu+unix:///system", "qemu", TransportUnix, "", "", 0, "/system", "", "qemu:///system"},
		{"qemu://example.com/system", "qemu", TransportTLS, "", "example.com", 0, "/system", "example.com:16514", "qemu:///system"},
		{"qemu+tls://example.com/system", "qemu", TransportTLS, "", "example.com", 0, "/system", "example.com:16514", "qemu:///system"},
		{"qemu+tcp://example.com/system", "qemu", TransportTCP, "", "example.com", 0, "/system", "example.com:16509", "qemu:///system"},
		{"qemu+tcp://example.com:5000/system", "qemu", TransportTCP, "", "example.com", 5000, "/system", "example.com:5000", "qemu:///system"},
		{"qemu+tcp:///system", "qemu", TransportTCP, "", "", 0, "/system", "localhost:16509", "qemu:///system"},
		{"qemu+ssh://root@example.com/system", "qemu", TransportSSH, "root", "example.com", 0, "/system", "", "qemu:///system"},
		{"xen+ssh://root@example.com/", "xen", TransportSSH, "root", "example.com", 0, "/", "", "xen:///"},
		{"qemu+libssh2://user@host/system?known_hosts=/home/user/.ssh/known_hosts", "qemu", TransportLibSSH2, "user", "host", 0, "/system", "", "qemu:///system"},
		{"qemu+ext:///system?command=/opt/openssh/bin/ssh", "qemu", TransportExt, "", "", 0, "/system", "", "qemu:///system"},
		{"test:///default", "test", TransportUnix, "", "", 0, "/default", "", "test:///default"},
		{"test+tcp://localhost:5000/default", "test", TransportTCP, "", "localhost", 5000, "/default", "localhost:5000", "test:///default"},
		{"qemu+unix:///system?socket=/opt/libvirt/run/libvirt/libvirt-sock", "qemu", TransportUnix, "", "", 0, "/system", "", "qemu:///system"},
		{"qemu+tcp://[fe80::1]:1234/system", "qemu", TransportTCP, "", "fe80::1", 1234, "/system", "[fe80::1]:1234", "qemu:///system"},
		{"qemu+tls://[::1]/system", "qemu", TransportTLS, "", "::1", 0, "/system", "[::1]:16514", "qemu:///system"},
		{"remote://example.com/", "remote", TransportTLS, "", "example.com", 0, "/", "example.com:16514", ""},
		{"remote+unix:///?socket=/s", "remote", TransportUnix, "", "", 0, "/", "", ""},
		{"qemu+tls://h/system?no_verify=1&pkipath=/p&tls_priority=NORMAL", "qemu", TransportTLS, "", "h", 0, "/system", "h:16514", "qemu:///system"},
		{"qemu+unix:///system?name=qemu:///embed", "qemu", TransportUnix, "", "", 0, "/system", "", "qemu:///embed"},
		{"Test+UNIX:///x?SOCKET=/s&Foo=Bar", "Test", TransportUnix, "", "", 0, "/x", "", "Test:///x?Foo=Bar"},
		{"test+tcp://localhost:23456", "test", TransportTCP, "", "localhost", 23456, "", "localhost:23456", "test://"},
		{"qemu+unix:system", "qemu", TransportUnix, "", "", 0, "system", "", "qemu://system"},
		{"test+tcp://a%41b/x", "test", TransportTCP, "", "aAb", 0, "/x", "aAb:16509", "test:///x"},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			u, err := ParseURI(tc.uri)
			if err != nil {
				t.Fatalf("ParseURI = %v", err)
			}
			if u.Driver != tc.driver || u.Transport != tc.transport || u.User != tc.user || u.Host != tc.host || u.Port != tc.port || u.Path != tc.path {
				t.Errorf("ParseURI = driver %q transport %v user %q host %q port %d path %q; want %q %v %q %q %d %q",
					u.Driver, u.Transport, u.User, u.Host, u.Port, u.Path, tc.driver, tc.transport, tc.user, tc.host, tc.port, tc.path)
			}
			if got := u.Address(); got != tc.address {
				t.Errorf("Address() = %q; want %q", got, tc.address)
			}
			if got := u.OpenName(); got != tc.name {
				t.Errorf("OpenName() = %q; want %q", got, tc.name)
			}
			if u.String() != tc.uri {
				t.Errorf("String() = %q; want %q", u.String(), tc.uri)
			}
		})
	}
}

// TestOpenNameEscaping checks how the CONNECT_OPEN name is rebuilt, with
// the names libvirt 9.0's client sent for the same URIs (observed on the
// wire; uri_oracle_test.go repeats them against python-libvirt).
func TestOpenNameEscaping(t *testing.T) {
	for _, tc := range []struct{ uri, name string }{
		{"test+unix:///default?socket=/s&foo=bar%20baz", "test:///default?foo=bar%20baz"},
		{"test+unix:///a:b?socket=/s&x=a/b:c~d-e_f.g%2Bh+i&y&=z&Q=%41", "test:///a%3Ab?x=a%2Fb%3Ac~d-e_f.g%2Bh%2Bi&y=&Q=A"},
		{"test+unix:///p?socket=/s#fr/ag:x", "test:///p#fr/ag:x"},
		{"test+unix:///x?socket=/s;a=b;c=d", "test:///x?a=b&c=d"},
		{"test+unix:///x?a=b;socket=/s", "test:///x?a=b"},
		{"test+unix:///x?b=c&socket=/s#a%20b[c]", "test:///x?b=c#a%20b[c]"},
		{"test+unix:///x?socket=/s&b%20c=d%20e", "test:///x?b c=d%20e"},
		{"test+unix:///x?socket=/s&b=%C3%A9%00", "test:///x?b=%C3%A9"},
		{"test+unix:///x?socket=/s&b=a=b", "test:///x?b=a%3Db"},
		{"test+unix:///a%20b/c@d!$&'()*+,;=?socket=/s", "test:///a%20b/c@d!$&'()*+,;="},
		{"test+unix:///%7e%2F?socket=/s", "test:///~/"},
		{"test+unix:///x#", "test:///x#"},
		{"test+unix:///x?", "test:///x"},
		{"test+unix:///x%00y?socket=/s", "test:///x"},
		{"test+unix:///x?socket=/s&a%00b=c", "test:///x?a=c"},
		{"test+unix:///x?socket=/s&a=+", "test:///x?a=%2B"},
		{"test+unix:x/y?socket=/s", "test://x/y"},
		{"test+unix:?socket=/s", "test://"},
		{"test+unix:///x?socket=/s&authfile=/a&pkipath=/p&tls_priority=N&no_sanity=1&no_tty=1&command=c&netcat=n&keyfile=k&known_hosts=h&known_hosts_verify=auto&sshauth=a&proxy=auto&mode=legacy&auth=sasl", "test:///x"},
		{"t.e-s+unix:///x?socket=/s", "t.e-s:///x"},
		{"test+unix:///x?socket=/s#%41%25", "test:///x#A%25"},
		{"test+tcp://127.0.0.1:23456/x?name=", ""},
		{"test+unix:///C:/x?socket=/s", "test:///C%3A/x"},
		{"file+unix:///C:/x?socket=/s", "file:///C:/x"},
	} {
		u, err := ParseURI(tc.uri)
		if err != nil {
			t.Errorf("ParseURI(%q) = %v", tc.uri, err)
			continue
		}
		if got := u.OpenName(); got != tc.name {
			t.Errorf("ParseURI(%q).OpenName() = %q; want %q", tc.uri, got, tc.name)
		}
	}
}

// TestParseURIParams checks the parameters the remote driver consumes:
// case-insensitive names, the last occurrence winning, C integer parsing
// of the booleans.
func TestParseURIParams(t *testing.T) {
	u, err := ParseURI("qemu+tls://h/system?Socket=/a&socket=/b&PKIPATH=/p&no_verify=+1&No_Sanity=%200&no_tty=-3&mode=direct&proxy=native&tls_priority=NORMAL:-VERS-TLS1.3&Name=n&x=1")
	if err != nil {
		t.Fatal(err)
	}
	if u.Socket != "/b" || u.PKIPath != "/p" || !u.NoVerify || u.NoSanity || !u.NoTTY || u.Mode != ModeDirect ||
		u.Proxy != "native" || u.TLSPriority != "NORMAL:-VERS-TLS1.3" || u.Name != protocol.Some("n") {
		t.Errorf("ParseURI = %+v", u)
	}
	if pt := u.PassThrough(); len(pt) != 1 || pt[0] != (Param{"x", "1"}) {
		t.Errorf("PassThrough() = %v; want [x=1]", pt)
	}
	if len(u.Params) != 11 {
		t.Errorf("Params has %d entries; want 11", len(u.Params))
	}
}

// TestParseURIErrors checks libvirt's errors, code, domain and text, as
// python-libvirt reports them for the same URIs (uri_oracle_test.go).
func TestParseURIErrors(t *testing.T) {
	for _, tc := range []struct {
		uri    string
		code   protocol.ErrorCode
		domain protocol.ErrorDomain
		msg    string
	}{
		{"test+foo:///default", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)"},
		{"test+unix://host/x", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: using unix socket and remote server 'host' is not supported."},
		{"test+unix://h%20x/x", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: using unix socket and remote server 'h x' is not supported."},
		{"test+unix:///x?no_verify=abc", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: Failed to parse value of URI component no_verify"},
		{"test+unix:///x?NO_VERIFY=", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: Failed to parse value of URI component NO_VERIFY"},
		{"test+unix:///x?no_sanity", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: Failed to parse value of URI component no_sanity"},
		{"test+unix:///x?no_tty=0x1", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: Failed to parse value of URI component no_tty"},
		{"test+unix:///x?no_verify=99999999999", protocol.ErrInvalidArg, protocol.FromRemote,
			"invalid argument: Failed to parse value of URI component no_verify"},
		{"test+unix:///x?mode=bogus", protocol.ErrInvalidArg, protocol.FromRemote, "invalid argument: Unknown remote mode 'bogus'"},
		{"test+unix:///x?mode=Direct", protocol.ErrInvalidArg, protocol.FromRemote, "invalid argument: Unknown remote mode 'Direct'"},
		{"test+unix:///x?proxy=bogus", protocol.ErrInvalidArg, protocol.FromRemote, "invalid argument: Unnkown proxy type 'bogus'"},
		{"test+unix:///a:b c", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+unix:///a:b c"},
		{"test+unix:///[x", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+unix:///[x"},
		{"test+unix:///x?a=[b]", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+unix:///x?a=[b]"},
		{"test+unix:///x?b=%ZZ", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+unix:///x?b=%ZZ"},
		{"test+tcp://127.0.0.1:/x", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+tcp://127.0.0.1:/x"},
		{"test+tcp://127.0.0.1:99999999999/x", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+tcp://127.0.0.1:99999999999/x"},
		{"test+unix://[::1/x", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI test+unix://[::1/x"},
		{"1test+unix:///x", protocol.ErrInternalError, protocol.FromURI, "internal error: Unable to parse URI 1test+unix:///x"},
		{"foo", protocol.ErrNoConnect, protocol.FromNone, "no connection driver available for URI 'foo' does not include a driver name"},
		{"/var/run/libvirt/libvirt-sock", protocol.ErrNoConnect, protocol.FromNone,
			"no connection driver available for URI '/var/run/libvirt/libvirt-sock' does not include a driver name"},
	} {
		_, err := ParseURI(tc.uri)
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != tc.code || pe.Domain != tc.domain || pe.Message.Value != tc.msg {
			t.Errorf("ParseURI(%q) = %v; want %d/%d %q", tc.uri, err, tc.code, tc.domain, tc.msg)
		}
	}
}

// TestParseURICaptures checks OpenName against the CONNECT_OPEN names that
// libvirt's client sent in captures i1-i4 (FACTS §10), decoding each
// capture's CONNECT_OPEN frame.
func TestParseURICaptures(t *testing.T) {
	for _, tc := range []struct {
		capture string
		uri     string // the kind of URI the capture was made with
	}{
		{"i1_uri_extra_query_param", "test+unix:///default?socket=/srv/virtw/libvirt-sock&foo=bar%20baz"},
		{"i2_uri_remote_scheme_empty_name", "remote+unix:///?socket=/srv/virtw/libvirt-sock"},
		{"i3_uri_explicit_name_param", "remote+unix:///?socket=/srv/virtw/libvirt-sock&name=test:///default"},
		{"i4_uri_test_empty_path", "test+unix:///?socket=/srv/virtw/libvirt-sock"},
	} {
		t.Run(tc.capture, func(t *testing.T) {
			c, err := captures.Load(tc.capture)
			if err != nil {
				t.Fatal(err)
			}
			var open *protocol.ConnectOpenArgs
			for _, raw := range c.C2S {
				h, err := protocol.DecodeHeader(raw[protocol.LengthWordSize:])
				if err == nil && h.Procedure == protocol.ProcConnectOpen {
					open = new(protocol.ConnectOpenArgs)
					if err := open.UnmarshalBinary(raw[protocol.FrameMin:]); err != nil {
						t.Fatal(err)
					}
				}
			}
			if open == nil {
				t.Fatal("no CONNECT_OPEN in the capture")
			}
			u, err := ParseURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			if !open.Name.Valid || u.OpenName() != open.Name.Value {
				t.Errorf("OpenName() = %q; the capture sent %v", u.OpenName(), open.Name)
			}
		})
	}
}

// TestParseURIDefault checks the empty URI: LIBVIRT_DEFAULT_URI when set,
// else a probe that sends the name "".
func TestParseURIDefault(t *testing.T) {
	t.Setenv(DefaultURIEnv, "qemu+tcp://h/system")
	u, err := ParseURI("")
	if err != nil || u.Host != "h" || u.Raw != "qemu+tcp://h/system" || u.IsProbe() {
		t.Errorf("ParseURI(\"\") with %s = %+v, %v", DefaultURIEnv, u, err)
	}
	t.Setenv(DefaultURIEnv, "")
	u, err = ParseURI("")
	if err != nil || !u.IsProbe() || u.OpenName() != "" || u.Transport != TransportUnix {
		t.Errorf("ParseURI(\"\") = %+v, %v; want a unix probe", u, err)
	}
}

// fakeRoot points the socket lookup at a temporary /var/run/libvirt and
// sets the effective UID the lookup sees.
func fakeRoot(t *testing.T, uid int) string {
	dir := t.TempDir()
	oldDir, oldUID := systemSocketDir, geteuid
	systemSocketDir = filepath.Join(dir, "var", "run", "libvirt")
	geteuid = func() int { return uid }
	t.Cleanup(func() { systemSocketDir, geteuid = oldDir, oldUID })
	if err := os.MkdirAll(systemSocketDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func touch(t *testing.T, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSocketPath checks the unix socket resolution of FACTS §10 for root
// and for other users.
func TestSocketPath(t *testing.T) {
	type want struct{ rw, ro string }
	for _, tc := range []struct {
		name   string
		uid    int
		uri    string
		exists []string // sockets present, relative to the run dir ("S:" = session dir)
		want   want     // "S:" = session dir, "V:" = system dir
		err    error
	}{
		{"root legacy", 0, "qemu:///system", nil, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"root session path stays system", 0, "qemu:///session", nil, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"root test+unix stays system", 0, "test+unix:///default", nil, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"auto picks modular", 0, "qemu:///system", []string{"V:virtqemud-sock", "V:virtqemud-sock-ro", "V:libvirt-sock"}, want{"V:virtqemud-sock", "V:virtqemud-sock-ro"}, nil},
		{"auto checks each socket", 0, "qemu:///system", []string{"V:virtqemud-sock", "V:libvirt-sock-ro"}, want{"V:virtqemud-sock", "V:libvirt-sock-ro"}, nil},
		{"auto picks legacy", 0, "qemu:///system", []string{"V:libvirt-sock"}, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"mode=direct", 0, "qemu:///system?mode=direct", nil, want{"V:virtqemud-sock", "V:virtqemud-sock-ro"}, nil},
		{"mode=legacy", 0, "qemu:///system?mode=legacy", []string{"V:virtqemud-sock"}, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"network driver", 0, "network:///system?mode=direct", nil, want{"V:virtnetworkd-sock", "V:virtnetworkd-sock-ro"}, nil},
		{"socket= wins", 0, "qemu:///system?socket=/x/y&mode=direct", nil, want{"/x/y", "/x/y"}, nil},
		{"user system", 1000, "qemu:///system", nil, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
		{"user session", 1000, "qemu:///session", nil, want{"S:libvirt-sock", "S:libvirt-sock"}, nil},
		{"user session direct", 1000, "qemu:///session?mode=direct", nil, want{"S:virtqemud-sock", "S:virtqemud-sock"}, nil},
		{"user session auto modular", 1000, "qemu:///session", []string{"S:virtqemud-sock"}, want{"S:virtqemud-sock", "S:virtqemud-sock"}, nil},
		{"user test+unix is session", 1000, "test+unix:///node.xml", nil, want{"S:libvirt-sock", "S:libvirt-sock"}, nil},
		{"user probe is session", 1000, "", nil, want{"S:libvirt-sock", "S:libvirt-sock"}, nil},
		{"root probe", 0, "", nil, want{"V:libvirt-sock", "V:libvirt-sock-ro"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeRoot(t, tc.uid)
			runtime := filepath.Join(dir, "run", "user")
			t.Setenv("XDG_RUNTIME_DIR", runtime)
			t.Setenv(DefaultURIEnv, "")
			expand := func(s string) string {
				switch {
				case strings.HasPrefix(s, "S:"):
					return filepath.Join(runtime, "libvirt", s[2:])
				case strings.HasPrefix(s, "V:"):
					return filepath.Join(systemSocketDir, s[2:])
				}
				return s
			}
			for _, e := range tc.exists {
				touch(t, expand(e))
			}
			u, err := ParseURI(tc.uri)
			if err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				w := tc.want.rw
				if ro {
					w = tc.want.ro
				}
				got, err := u.SocketPath(ro)
				if err != nil || got != expand(w) {
					t.Errorf("SocketPath(%v) = %q, %v; want %q", ro, got, err, expand(w))
				}
			}
		})
	}
}

// TestSocketPathSessionFallbacks checks the session directory without
// $XDG_RUNTIME_DIR (GLib's fallbacks, no password database) and the clear
// error when nothing is set.
func TestSocketPathSessionFallbacks(t *testing.T) {
	fakeRoot(t, 4242)
	u, err := ParseURI("qemu:///session")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CACHE_HOME", "/c")
	if got, err := u.SocketPath(false); err != nil || got != "/c/libvirt/libvirt-sock" {
		t.Errorf("with XDG_CACHE_HOME: %q, %v", got, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/h")
	if got, err := u.SocketPath(false); err != nil || got != "/h/.cache/libvirt/libvirt-sock" {
		t.Errorf("with HOME: %q, %v", got, err)
	}
	t.Setenv("HOME", "")
	if _, err := u.SocketPath(false); !errors.Is(err, ErrNoSessionDir) {
		t.Errorf("with nothing set: %v; want ErrNoSessionDir", err)
	}
	// The direct mode needs a driver.
	probe := &URI{Transport: TransportUnix, probe: true, Mode: ModeDirect}
	geteuid = func() int { return 0 }
	if _, err := probe.SocketPath(false); !errors.Is(err, protocol.ErrConfigUnsupported) {
		t.Errorf("direct probe: %v; want ErrConfigUnsupported", err)
	}
}
