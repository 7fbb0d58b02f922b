package libvirtd

import (
	"strings"
	"testing"
)

func TestMissingProgram(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantFatal bool
	}{
		{"laptop", map[string]string{"CI": "", "VIRTWIRE_REQUIRE_LIBVIRTD": ""}, false},
		{"CI", map[string]string{"CI": "true", "VIRTWIRE_REQUIRE_LIBVIRTD": ""}, true},
		{"VIRTWIRE_REQUIRE_LIBVIRTD", map[string]string{"CI": "", "VIRTWIRE_REQUIRE_LIBVIRTD": "1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			f := &fakeTB{}
			f.run(func(tb testing.TB) { missing(tb, "libvirtd", "libvirtd not found") })
			if tt.wantFatal {
				if f.skip != "" || !strings.HasPrefix(f.fatal, "libvirtd is required in CI: apt-get install libvirt-daemon") {
					t.Errorf("missing() fatal=%q skip=%q; want a fatal 'libvirtd is required in CI: apt-get install libvirt-daemon…'", f.fatal, f.skip)
				}
				return
			}
			if f.fatal != "" || !strings.Contains(f.skip, "libvirtd not found") {
				t.Errorf("missing() fatal=%q skip=%q; want a skip naming the missing program", f.fatal, f.skip)
			}
		})
	}
}

func TestProgramsFound(t *testing.T) {
	// On this project's CI machine all three must be present; elsewhere the
	// Require helpers decide.
	Require(t)
	RequireVirsh(t)
	RequirePython(t)
	if p := LibvirtdPath(); p == "" || !Available() {
		t.Errorf("LibvirtdPath() = %q, Available() = %v after Require passed", p, Available())
	}
	if p := VirshPath(); p == "" || !VirshAvailable() {
		t.Errorf("VirshPath() = %q after RequireVirsh passed", p)
	}
}

func TestURIs(t *testing.T) {
	d := &Daemon{
		Dir:         "/tmp/vw-1",
		Socket:      "/tmp/vw-1/run/libvirt-sock",
		ROSocket:    "/tmp/vw-1/run/libvirt-sock-ro",
		AdminSocket: "/tmp/vw-1/run/libvirt-admin-sock",
		TCPAddr:     "127.0.0.1:40001",
		TLSAddr:     "127.0.0.1:40002",
		t:           t,
	}
	tests := []struct{ got, want string }{
		{d.URI("/abs/node.xml"), "test+unix:///abs/node.xml?socket=/tmp/vw-1/run/libvirt-sock"},
		{d.URI("node.xml"), "test+unix:///tmp/vw-1/node.xml?socket=/tmp/vw-1/run/libvirt-sock"},
		{d.DefaultURI(), "test+unix:///default?socket=/tmp/vw-1/run/libvirt-sock"},
		{d.ROURI("/abs/node.xml"), "test+unix:///abs/node.xml?socket=/tmp/vw-1/run/libvirt-sock-ro"},
		{d.TCPURI("/abs/node.xml"), "test+tcp://127.0.0.1:40001/abs/node.xml"},
		{d.TLSURI("/abs/node.xml", "/p"), "test+tls://localhost:40002/abs/node.xml?pkipath=/p"},
		{d.TLSURI("/default", ""), "test+tls://localhost:40002/default"},
		{d.AdminURI(), "libvirtd:///system?socket=/tmp/vw-1/run/libvirt-admin-sock"},
		{d.TLSPort(), "40002"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}

	f := &fakeTB{}
	noTCP := &Daemon{t: f}
	f.run(func(testing.TB) { noTCP.TCPURI("/x") })
	if !strings.Contains(f.fatal, "without TCP()") {
		t.Errorf("TCPURI without TCP: fatal = %q", f.fatal)
	}
	f = &fakeTB{}
	noTCP.t = f
	f.run(func(testing.TB) { noTCP.TLSURI("/x", "") })
	if !strings.Contains(f.fatal, "without TLS()") {
		t.Errorf("TLSURI without TLS: fatal = %q", f.fatal)
	}
}
