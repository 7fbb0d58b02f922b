package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// listenSpec is one --listen value.
type listenSpec struct {
	kind     string // unix, unix-ro, tcp, tls
	addr     string
	readOnly bool
}

func parseListen(s string) (listenSpec, error) {
	kind, addr, ok := strings.Cut(s, ":")
	if !ok || addr == "" {
		return listenSpec{}, fmt.Errorf("bad --listen %q: want unix:PATH, unix-ro:PATH, tcp:HOST:PORT or tls:HOST:PORT", s)
	}
	switch kind {
	case "unix", "tcp", "tls":
		return listenSpec{kind: kind, addr: addr}, nil
	case "unix-ro":
		return listenSpec{kind: "unix", addr: addr, readOnly: true}, nil
	}
	return listenSpec{}, fmt.Errorf("bad --listen %q: unknown kind %q (unix, unix-ro, tcp or tls)", s, kind)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var nodes, listens stringList
	fs := newFlagSet("serve", stdout, stderr)
	fs.Var(&nodes, "node", "serve this test-driver node XML `FILE` as test:///ABSOLUTE/PATH (repeatable); the built-in test:///default is always served")
	fs.Var(&listens, "listen", "listen on `ADDR`: unix:PATH, unix-ro:PATH (read-only), tcp:HOST:PORT or tls:HOST:PORT (repeatable)")
	pkiDir := fs.String("pki", "", "with tls: the `DIR` holding cacert.pem, servercert.pem, serverkey.pem and optionally cacrl.pem")
	socketMode := fs.String("socket-mode", "0600", "permissions of unix sockets, as an octal `MODE`")
	allowedDN := fs.String("tls-allowed-dn", "", "with tls: comma-separated `GLOBS` of client DNs to admit, in libvirt's order (C=UK,CN=…); default: any certificate from the CA")
	hostname := fs.String("hostname", "", "`NAME` that CONNECT_GET_HOSTNAME answers (default: this machine's name)")
	insecure := fs.Bool("insecure-listen", false, "allow plain tcp on a non-loopback address")
	keepInterval := fs.Duration("keepalive-interval", 5*time.Second, "`INTERVAL` of the server's keepalive PINGs once a client asks for them")
	keepCount := fs.Int("keepalive-count", 5, "`N` unanswered PINGs before a silent client is dropped")
	maxRequests := fs.Int("max-client-requests", 5, "`N` calls one client may have in flight")
	verbose := fs.Bool("v", false, "log connections and protocol errors to stderr")
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "virtwire serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if len(listens) == 0 {
		fmt.Fprintln(stderr, "virtwire serve: at least one --listen is needed, e.g. --listen unix:/tmp/virtwire/libvirt-sock")
		return exitUsage
	}
	mode, err := strconv.ParseUint(*socketMode, 8, 32)
	if err != nil || mode > 0o777 {
		fmt.Fprintf(stderr, "virtwire serve: bad --socket-mode %q\n", *socketMode)
		return exitUsage
	}
	var specs []listenSpec
	for _, l := range listens {
		spec, err := parseListen(l)
		if err != nil {
			fmt.Fprintf(stderr, "virtwire serve: %v\n", err)
			return exitUsage
		}
		if spec.kind == "tls" && *pkiDir == "" {
			fmt.Fprintln(stderr, "virtwire serve: --listen tls: needs --pki DIR")
			return exitUsage
		}
		specs = append(specs, spec)
	}

	drv := testdriver.NewDriver()
	defer drv.Close()
	if *hostname != "" {
		drv.SetHostname(*hostname)
	}
	var names []string
	for _, path := range nodes {
		abs, err := filepath.Abs(path)
		if err != nil {
			fmt.Fprintf(stderr, "virtwire serve: %v\n", err)
			return exitFailure
		}
		n, err := testdriver.LoadNodeXML(abs)
		if err != nil {
			fmt.Fprintf(stderr, "virtwire serve: %s: %v\n", abs, err)
			return exitFailure
		}
		if _, err := drv.Serve("test://"+abs, n); err != nil {
			fmt.Fprintf(stderr, "virtwire serve: %s: %v\n", path, err)
			return exitFailure
		}
		names = append(names, abs)
	}
	if _, err := drv.Serve(testdriver.DefaultName, testdriver.Default()); err != nil {
		fmt.Fprintf(stderr, "virtwire serve: %v\n", err)
		return exitFailure
	}
	names = append(names, "/default")

	opts := server.Options{
		KeepaliveInterval: *keepInterval, KeepaliveCount: *keepCount,
		MaxClientRequests: *maxRequests, InsecureListen: *insecure,
		Inline: testdriver.Prompt,
	}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	srv := server.New(opts)
	drv.Register(srv)

	var lns []net.Listener
	var uris []string
	for _, spec := range specs {
		var ln net.Listener
		switch spec.kind {
		case "unix":
			ln, err = srv.ListenUnix(spec.addr, os.FileMode(mode), spec.readOnly)
		case "tcp":
			ln, err = srv.ListenTCP(spec.addr)
		case "tls":
			cfg := server.TLSConfig{Dir: *pkiDir}
			if *allowedDN != "" {
				cfg.AllowedDNs = strings.Split(*allowedDN, ",")
			}
			ln, err = srv.ListenTLS(spec.addr, cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "virtwire serve: %v\n", err)
			for _, l := range lns {
				l.Close()
			}
			srv.Close()
			return exitFailure
		}
		lns = append(lns, ln)
		for _, n := range names {
			uris = append(uris, serveURI(spec, ln, n))
		}
	}
	fmt.Fprintln(stdout, "virtwire: serving a fake libvirtd; connect with:")
	for _, u := range uris {
		fmt.Fprintf(stdout, "  %s\n", u)
	}
	fmt.Fprintln(stdout, "virtwire: stop with Ctrl-C")

	var wg sync.WaitGroup
	errs := make(chan error, len(lns))
	for _, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, server.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	code := exitOK
	select {
	case <-ctx.Done():
	case err := <-errs:
		fmt.Fprintf(stderr, "virtwire serve: %v\n", err)
		code = exitFailure
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	wg.Wait()
	fmt.Fprintln(stdout, "virtwire: stopped")
	return code
}

// serveURI is the URI a client uses to open node path over the listener.
func serveURI(spec listenSpec, ln net.Listener, path string) string {
	switch spec.kind {
	case "unix":
		return "test+unix://" + path + "?socket=" + spec.addr
	case "tcp":
		return "test+tcp://" + ln.Addr().String() + path
	default:
		return "test+tls://" + ln.Addr().String() + path + "?pkipath=CLIENT-PKI-DIR"
	}
}
