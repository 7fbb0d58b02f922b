package libvirtd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/virtwire/virtwire/internal/pki"
)

// Defaults used by [Start].
const (
	// DefaultStartTimeout bounds the wait for the daemon's sockets.
	DefaultStartTimeout = 30 * time.Second
	// DefaultStopTimeout is how long Stop waits after SIGTERM before SIGKILL
	// when it runs from t.Cleanup.
	DefaultStopTimeout = 10 * time.Second
	// DefaultLogLevel is the log_outputs level: 1 debug, 2 info,
	// 3 warning, 4 error.
	DefaultLogLevel = 3
	// bindAttempts is how many port pairs Start tries before giving up.
	bindAttempts = 5
)

// Daemon is one running libvirtd. Its exported fields are set by [Start] and
// must not be changed.
type Daemon struct {
	// Dir is the daemon's private directory (/tmp/vw-…), removed by cleanup.
	Dir string
	// ConfigPath is the generated libvirtd.conf.
	ConfigPath string
	// LogPath is the daemon's log file (log_outputs).
	LogPath string
	// OutputPath holds the daemon's stdout and stderr.
	OutputPath string
	// PIDPath is the --pid-file.
	PIDPath string
	// Socket is the read-write unix socket (libvirt-sock).
	Socket string
	// ROSocket is the read-only unix socket (libvirt-sock-ro).
	ROSocket string
	// AdminSocket is the admin socket (libvirt-admin-sock).
	AdminSocket string
	// TCPAddr is "127.0.0.1:PORT" of the plain TCP listener, or "".
	TCPAddr string
	// TLSAddr is "127.0.0.1:PORT" of the TLS listener, or "".
	TLSAddr string
	// TLSFiles are the server's certificate files when TLS is enabled.
	TLSFiles pki.Files

	t        testing.TB
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has been reaped
	waitErr  error         // valid after done is closed
	expected atomic.Bool   // exit was asked for (Stop, Kill) or observed (Wait)
	stopOnce sync.Once
	stopErr  error
	reported bool // Start already failed t with the log's tail
}

// Option configures [Start].
type Option func(*config)

type file struct {
	name string
	src  string
	data []byte
}

type config struct {
	files        []file
	tcp          bool
	tls          *pki.Layout
	tlsPKI       *pki.PKI
	allowedDN    []string
	allowedDNSet bool
	settings     map[string]string
	order        []string
	logLevel     int
	logFilters   string
	startTimeout time.Duration
	args         []string
}

func (c *config) set(key, value string) {
	if c.settings == nil {
		c.settings = map[string]string{}
	}
	if _, ok := c.settings[key]; !ok {
		c.order = append(c.order, key)
	}
	c.settings[key] = value
}

// WithFile copies the file src into the daemon's directory under its base
// name; [Daemon.File] gives the copy's absolute path. Use it for node XML.
func WithFile(src string) Option {
	return func(c *config) { c.files = append(c.files, file{name: filepath.Base(src), src: src}) }
}

// WithFileData writes data into the daemon's directory as name (a base
// name); [Daemon.File] gives its absolute path.
func WithFileData(name string, data []byte) Option {
	return func(c *config) { c.files = append(c.files, file{name: filepath.Base(name), data: data}) }
}

// TCP enables the plain TCP listener (listen_tcp, auth_tcp "none") on
// 127.0.0.1 with a free port, and passes --listen.
func TCP() Option { return func(c *config) { c.tcp = true } }

// TLS enables the TLS listener (listen_tls, auth_tls "none") on 127.0.0.1
// with a free port, with p's server layout (CA, server certificate and key,
// and CRL if p has one), and passes --listen.
func TLS(p *pki.PKI) Option {
	return func(c *config) { c.tlsPKI, c.tls = p, nil }
}

// TLSLayout is [TLS] with an arbitrary server layout, for certificate
// matrices. The layout must hold a server certificate.
func TLSLayout(l pki.Layout) Option {
	return func(c *config) { c.tls, c.tlsPKI = &l, nil }
}

// TLSAllowedDNList sets tls_allowed_dn_list to the given glob patterns.
// With no argument the list is present and empty, which libvirt reads as
// "nobody may connect" (L8). Without this option the setting is absent.
func TLSAllowedDNList(patterns ...string) Option {
	return func(c *config) { c.allowedDN, c.allowedDNSet = patterns, true }
}

// Keepalive sets keepalive_interval (seconds) and keepalive_count.
func Keepalive(interval, count int) Option {
	return func(c *config) {
		c.set("keepalive_interval", strconv.Itoa(interval))
		c.set("keepalive_count", strconv.Itoa(count))
	}
}

// MaxClientRequests sets max_client_requests (libvirt's default is 5).
func MaxClientRequests(n int) Option {
	return func(c *config) { c.set("max_client_requests", strconv.Itoa(n)) }
}

// MaxClients sets max_clients (libvirt's default is 5000).
func MaxClients(n int) Option { return func(c *config) { c.set("max_clients", strconv.Itoa(n)) } }

// Set writes `key = value` into libvirtd.conf; value is written as given,
// so strings need their quotes (Set("tls_priority", `"NORMAL"`)). A later
// Set of the same key replaces the earlier value. Settings this package
// writes itself (sockets, listeners, auth, log) cannot be overridden.
func Set(key, value string) Option { return func(c *config) { c.set(key, value) } }

// LogLevel sets the level of the log file: 1 debug, 2 info, 3 warning
// (the default), 4 error.
func LogLevel(level int) Option { return func(c *config) { c.logLevel = level } }

// LogFilters sets log_filters, e.g. "1:rpc 3:*".
func LogFilters(filters string) Option { return func(c *config) { c.logFilters = filters } }

// StartTimeout bounds the wait for the sockets (default DefaultStartTimeout).
func StartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// Start runs libvirtd for the duration of t and returns once every enabled
// socket accepts connections. It skips or fails t through [Require] when
// libvirtd is missing, and fails t with the daemon's log if it cannot
// start. t.Cleanup stops the daemon (SIGTERM, then SIGKILL after
// DefaultStopTimeout), reports an exit the test did not ask for as an error,
// logs the log's tail if the test failed, and removes Dir.
func Start(t testing.TB, opts ...Option) *Daemon {
	t.Helper()
	Require(t)
	c := config{logLevel: DefaultLogLevel, startTimeout: DefaultStartTimeout}
	for _, o := range opts {
		o(&c)
	}
	dir, err := os.MkdirTemp(shortTempDir(), "vw-")
	if err != nil {
		t.Fatalf("libvirtd: %v", err)
	}
	d := &Daemon{
		Dir:         dir,
		ConfigPath:  filepath.Join(dir, "libvirtd.conf"),
		LogPath:     filepath.Join(dir, "libvirtd.log"),
		OutputPath:  filepath.Join(dir, "output.txt"),
		PIDPath:     filepath.Join(dir, "libvirtd.pid"),
		Socket:      filepath.Join(dir, "run", "libvirt-sock"),
		ROSocket:    filepath.Join(dir, "run", "libvirt-sock-ro"),
		AdminSocket: filepath.Join(dir, "run", "libvirt-admin-sock"),
		t:           t,
	}
	t.Cleanup(d.cleanup)
	if len(d.Socket) >= 108 {
		t.Fatalf("libvirtd: socket path %q is too long for a unix socket", d.Socket)
	}
	for _, sub := range []string{"run", "drivers", "home"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatalf("libvirtd: %v", err)
		}
	}
	for _, f := range c.files {
		data := f.data
		if f.src != "" {
			if data, err = os.ReadFile(f.src); err != nil {
				t.Fatalf("libvirtd: %v", err)
			}
		}
		if err := os.WriteFile(d.File(f.name), data, 0o644); err != nil {
			t.Fatalf("libvirtd: %v", err)
		}
	}
	if c.tlsPKI != nil {
		l := c.tlsPKI.ServerLayout()
		c.tls = &l
	}
	if c.tls != nil {
		if c.tls.Cert == nil {
			t.Fatalf("libvirtd: TLS layout has no server certificate")
		}
		if d.TLSFiles, err = pki.WriteServer(filepath.Join(dir, "pki"), *c.tls); err != nil {
			t.Fatalf("libvirtd: %v", err)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.startTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := d.start(ctx, &c)
		if err == nil {
			return d
		}
		if errors.Is(err, errAddrInUse) && attempt < bindAttempts {
			t.Logf("libvirtd: attempt %d: %v; retrying with other ports", attempt, err)
			continue
		}
		d.reported = true
		t.Fatalf("libvirtd: %v\n%s", err, d.tail(40))
		return nil
	}
}

var errAddrInUse = errors.New("address already in use")

// start writes the configuration with fresh ports, runs the daemon and
// waits for its sockets. On a bind failure the daemon has exited and the
// error wraps errAddrInUse.
func (d *Daemon) start(ctx context.Context, c *config) error {
	ports, err := pickPorts(btoi(c.tcp) + btoi(c.tls != nil))
	if err != nil {
		return err
	}
	d.TCPAddr, d.TLSAddr = "", ""
	d.expected.Store(false) // a previous attempt's kill was expected; this daemon's exit is not yet
	if c.tcp {
		d.TCPAddr, ports = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])), ports[1:]
	}
	if c.tls != nil {
		d.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	}
	if err := os.WriteFile(d.ConfigPath, []byte(d.conf(c)), 0o644); err != nil {
		return err
	}
	for _, p := range []string{d.LogPath, d.OutputPath, d.PIDPath} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	out, err := os.OpenFile(d.OutputPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own descriptor
	args := []string{"-f", d.ConfigPath, "--pid-file", d.PIDPath}
	if c.tcp || c.tls != nil {
		args = append(args, "--listen")
	}
	cmd := exec.Command(LibvirtdPath(), args...)
	cmd.Dir = d.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"LIBVIRT_DRIVER_DIR=" + filepath.Join(d.Dir, "drivers"),
		"HOME=" + filepath.Join(d.Dir, "home"),
		"XDG_CONFIG_HOME=" + filepath.Join(d.Dir, "home", ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(d.Dir, "home", ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(d.Dir, "home", "run"),
	}
	cmd.SysProcAttr = sysProcAttr()
	d.cmd, d.done = cmd, make(chan struct{})
	started := make(chan error, 1)
	done := d.done
	go func() {
		// Pdeathsig fires when the thread that forked the child exits, so
		// keep this goroutine on its thread until the child is gone. The
		// thread is discarded when the goroutine returns still locked.
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			d.waitErr = cmd.Wait()
		}
		close(done)
	}()
	if err := <-started; err != nil {
		<-done
		d.cmd, d.done = nil, nil
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	if err := d.waitReady(ctx); err != nil {
		d.expected.Store(true)
		d.signalAndWait(syscall.SIGKILL)
		logs := d.tail(200)
		if i := strings.Index(logs, "Address already in use"); i >= 0 {
			line := logs[strings.LastIndexByte(logs[:i], '\n')+1:]
			line, _, _ = strings.Cut(line, "\n")
			return fmt.Errorf("%w: %v: %s", errAddrInUse, err, line)
		}
		return err
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pickPorts is freePorts; tests replace it to force a bind failure.
var pickPorts = freePorts

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may take one before libvirtd binds it; Start
// retries then.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("pick a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (d *Daemon) conf(c *config) string {
	var b strings.Builder
	str := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, confString(v)) }
	raw := func(k, v string) { fmt.Fprintf(&b, "%s = %s\n", k, v) }
	b.WriteString("# generated by virtwire internal/libvirtd\n")
	str("unix_sock_dir", filepath.Dir(d.Socket))
	str("unix_sock_ro_perms", "0777")
	str("unix_sock_rw_perms", "0770")
	str("auth_unix_ro", "none")
	str("auth_unix_rw", "none")
	raw("listen_tcp", strconv.Itoa(btoi(c.tcp)))
	raw("listen_tls", strconv.Itoa(btoi(c.tls != nil)))
	str("listen_addr", "127.0.0.1")
	if c.tcp {
		_, port, _ := net.SplitHostPort(d.TCPAddr)
		str("tcp_port", port)
		str("auth_tcp", "none")
	}
	if c.tls != nil {
		_, port, _ := net.SplitHostPort(d.TLSAddr)
		str("tls_port", port)
		str("auth_tls", "none")
		str("ca_file", d.TLSFiles.CACert)
		str("cert_file", d.TLSFiles.Cert)
		str("key_file", d.TLSFiles.Key)
		if d.TLSFiles.CRL != "" {
			str("crl_file", d.TLSFiles.CRL)
		}
	}
	if c.allowedDNSet {
		q := make([]string, len(c.allowedDN))
		for i, p := range c.allowedDN {
			q[i] = confString(p)
		}
		raw("tls_allowed_dn_list", "["+strings.Join(q, ", ")+"]")
	}
	str("log_outputs", fmt.Sprintf("%d:file:%s", c.logLevel, d.LogPath))
	if c.logFilters != "" {
		str("log_filters", c.logFilters)
	}
	for _, k := range c.order {
		raw(k, c.settings[k])
	}
	return b.String()
}

// confString quotes s for libvirtd.conf, which has no escapes inside "…";
// a string holding a double quote uses '…' instead.
func confString(s string) string {
	if strings.ContainsRune(s, '"') {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// waitReady polls until every enabled socket is listening, the daemon
// exits or ctx ends. On Linux it looks the daemon's listening sockets up in
// /proc (see listening), so probing writes nothing to the daemon's log;
// elsewhere it connects to each socket and closes the connection at once.
func (d *Daemon) waitReady(ctx context.Context) error {
	paths := []string{d.Socket, d.ROSocket}
	var ports []int
	for _, a := range []string{d.TCPAddr, d.TLSAddr} {
		if a == "" {
			continue
		}
		_, p, _ := net.SplitHostPort(a)
		n, _ := strconv.Atoi(p)
		ports = append(ports, n)
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		ok, err := listening(d.cmd.Process.Pid, paths, ports)
		if errors.Is(err, errors.ErrUnsupported) {
			ok, err = d.dialAll(ctx, paths)
		}
		if ok {
			return nil
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-d.done:
			return fmt.Errorf("libvirtd exited during startup (%v)", d.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("libvirtd not ready: %w (last probe error: %v)", ctx.Err(), lastErr)
		case <-tick.C:
		}
	}
}

// dialAll connects to each unix socket and TCP listener once.
func (d *Daemon) dialAll(ctx context.Context, paths []string) (bool, error) {
	type target struct{ network, addr string }
	var ts []target
	for _, p := range paths {
		ts = append(ts, target{"unix", p})
	}
	for _, a := range []string{d.TCPAddr, d.TLSAddr} {
		if a != "" {
			ts = append(ts, target{"tcp", a})
		}
	}
	for _, tg := range ts {
		var dl net.Dialer
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := dl.DialContext(dctx, tg.network, tg.addr)
		cancel()
		if err != nil {
			return false, err
		}
		conn.Close()
	}
	return true, nil
}

// File returns the absolute path of name inside the daemon's directory,
// where [WithFile] and [WithFileData] put their files.
func (d *Daemon) File(name string) string { return filepath.Join(d.Dir, name) }

// PID returns the daemon's process id.
func (d *Daemon) PID() int { return d.cmd.Process.Pid }

// Exited returns a channel that is closed once the daemon process has
// exited and been reaped.
func (d *Daemon) Exited() <-chan struct{} { return d.done }

// Wait waits for the daemon to exit on its own and returns its exit error
// (nil for status 0). A daemon exit observed through Wait is not reported
// as unexpected by cleanup.
func (d *Daemon) Wait(ctx context.Context) error {
	select {
	case <-d.done:
		d.expected.Store(true)
		return d.waitErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop sends SIGTERM and waits for the daemon to exit; if ctx ends first it
// sends SIGKILL and waits for that. It returns the process's exit error
// (a SIGTERM'd libvirtd normally exits 0). Calling it again returns the
// first result.
func (d *Daemon) Stop(ctx context.Context) error {
	d.stopOnce.Do(func() {
		d.expected.Store(true)
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
			case <-ctx.Done():
				d.signalAndWait(syscall.SIGKILL)
			}
		}
		d.stopErr = d.waitErr
	})
	return d.stopErr
}

// Kill sends SIGKILL, for fault tests, and waits until the process is
// reaped. The sockets stay on disk but nothing listens on them. It returns
// nil once the daemon is gone (whatever its exit status).
func (d *Daemon) Kill() error {
	d.expected.Store(true)
	select {
	case <-d.done:
		return nil
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("libvirtd: kill %d: %w", d.cmd.Process.Pid, err)
	}
	<-d.done
	return nil
}

func (d *Daemon) signalAndWait(sig syscall.Signal) {
	select {
	case <-d.done:
		return
	default:
	}
	_ = d.cmd.Process.Signal(sig)
	<-d.done
}

// Log returns the daemon's log file (log_outputs) as it is now.
func (d *Daemon) Log() (string, error) {
	b, err := os.ReadFile(d.LogPath)
	if err != nil {
		return "", fmt.Errorf("libvirtd: %w", err)
	}
	return string(b), nil
}

// Output returns what the daemon wrote to stdout and stderr so far.
func (d *Daemon) Output() (string, error) {
	b, err := os.ReadFile(d.OutputPath)
	if err != nil {
		return "", fmt.Errorf("libvirtd: %w", err)
	}
	return string(b), nil
}

// tail returns the last n lines of the log and of the output, labelled.
func (d *Daemon) tail(n int) string {
	var b strings.Builder
	for _, f := range []struct{ label, path string }{{"log", d.LogPath}, {"stdout/stderr", d.OutputPath}} {
		data, err := os.ReadFile(f.path)
		if err != nil {
			fmt.Fprintf(&b, "--- %s: %v\n", f.label, err)
			continue
		}
		lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		fmt.Fprintf(&b, "--- %s (%s, last %d lines):\n%s\n", f.label, f.path, len(lines), bytes.Join(lines, []byte("\n")))
	}
	return b.String()
}

func (d *Daemon) cleanup() {
	if d.cmd != nil && d.done != nil {
		unexpected := false
		select {
		case <-d.done:
			unexpected = !d.expected.Load()
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
		err := d.Stop(ctx)
		cancel()
		switch {
		case unexpected:
			d.t.Errorf("libvirtd (pid %d) exited while the test ran: %v\n%s", d.cmd.Process.Pid, d.waitErr, d.tail(40))
		case err != nil && !isSignalExit(err) && !d.reported:
			d.t.Logf("libvirtd: stop: %v", err)
		}
		if d.t.Failed() && !unexpected && !d.reported {
			d.t.Logf("libvirtd (pid %d):\n%s", d.cmd.Process.Pid, d.tail(40))
		}
	}
	if err := os.RemoveAll(d.Dir); err != nil {
		d.t.Errorf("libvirtd: remove %s: %v", d.Dir, err)
	}
}

func isSignalExit(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled()
}

// shortTempDir returns os.TempDir() if it leaves room for socket names
// under the 108-byte limit, else /tmp.
func shortTempDir() string {
	if d := os.TempDir(); len(d) <= 40 {
		return d
	}
	return "/tmp"
}
