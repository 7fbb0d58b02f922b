package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

//go:embed demo.xml
var demoNodeXML []byte

// resolveURI turns a fake:// URI into the URI of a fake libvirtd started
// in-process on a private unix socket, so that virtwire works with no
// libvirt at all: fake:///demo serves the built-in sample node,
// fake:///default libvirt's test:///default, and fake:///abs/node.xml that
// node XML file. Any other URI is returned as it is. stop shuts the fake
// down.
func resolveURI(ctx context.Context, uri string) (target string, stop func(), err error) {
	rest, ok := strings.CutPrefix(uri, "fake://")
	if !ok {
		return uri, func() {}, nil
	}
	u, err := url.Parse("fake://" + rest)
	if err != nil || u.Host != "" || u.Path == "" {
		return "", nil, fmt.Errorf("bad fake URI %q: want fake:///demo, fake:///default or fake:///absolute/path/node.xml", uri)
	}
	var node *testdriver.Node
	name := "test://" + u.Path
	switch u.Path {
	case "/demo":
		if node, err = testdriver.ParseNodeXML(demoNodeXML, nil); err != nil {
			return "", nil, fmt.Errorf("built-in demo node: %w", err)
		}
	case "/default":
		node = testdriver.Default()
	default:
		if node, err = testdriver.LoadNodeXML(u.Path); err != nil {
			return "", nil, fmt.Errorf("%s: %w", u.Path, err)
		}
	}
	dir, err := os.MkdirTemp("", "virtwire-")
	if err != nil {
		return "", nil, err
	}
	drv := testdriver.NewDriver()
	if _, err := drv.Serve(name, node); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	srv := server.New(server.Options{Inline: testdriver.Prompt})
	drv.Register(srv)
	sock := filepath.Join(dir, "libvirt-sock")
	ln, err := srv.ListenUnix(sock, 0o600, false)
	if err != nil {
		srv.Close()
		os.RemoveAll(dir)
		return "", nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, server.ErrServerClosed) {
			fmt.Fprintf(os.Stderr, "virtwire: fake server: %v\n", err)
		}
	}()
	stop = func() {
		srv.Close()
		<-done
		drv.Close()
		os.RemoveAll(dir)
	}
	target = "test+unix://" + u.Path + "?socket=" + sock
	if u.RawQuery != "" {
		target += "&" + u.RawQuery
	}
	return target, stop, nil
}
