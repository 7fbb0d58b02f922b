package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/virtwire/virtwire/fixtures"
)

func runRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("record", stdout, stderr)
	listen := fs.String("listen", "", "where clients connect: `ADDR` is unix:PATH or tcp:HOST:PORT (point the client's ?socket= here)")
	target := fs.String("target", "", "the libvirtd to record: `ADDR` is unix:PATH, tcp:HOST:PORT or tls:HOST:PORT")
	pkiPath := fs.String("pkipath", "", "with a tls target: the client PKI `DIR` (cacert.pem, clientcert.pem, clientkey.pem)")
	out := fs.String("out", "", "write one fixture per connection into `DIR`")
	prefix := fs.String("prefix", "conn", "start each fixture's file name with `NAME`")
	gz := fs.Bool("gzip", false, "compress the fixtures (.fixture.gz)")
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if *listen == "" || *target == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "virtwire record: --listen, --target and --out are needed; see 'virtwire help record'")
		return exitUsage
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintf(stderr, "virtwire record: %v\n", err)
		return exitFailure
	}
	r, err := fixtures.NewRecorder(fixtures.RecordOptions{Listen: *listen, Target: *target, PKIPath: *pkiPath, OutDir: *out, Prefix: *prefix, Gzip: *gz})
	if err != nil {
		fmt.Fprintf(stderr, "virtwire record: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "virtwire: recording %s through %s into %s; stop with Ctrl-C\n", *target, r.Endpoint(), *out)
	<-ctx.Done()
	if err := r.Close(); err != nil {
		fmt.Fprintf(stderr, "virtwire record: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "virtwire: wrote %d fixtures\n", len(r.Fixtures()))
	return exitOK
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("replay", stdout, stderr)
	dir := fs.String("fixtures", "", "serve the fixtures in `DIR` (or one fixture file)")
	listen := fs.String("listen", "", "where clients connect: `ADDR` is unix:PATH or tcp:HOST:PORT")
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if *dir == "" || *listen == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "virtwire replay: --fixtures and --listen are needed; see 'virtwire help replay'")
		return exitUsage
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "virtwire replay: "+format+"\n", a...) }
	s, err := fixtures.StartReplay(fixtures.ReplayOptions{Fixtures: *dir, Listen: *listen, Logf: logf})
	if err != nil {
		fmt.Fprintf(stderr, "virtwire replay: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "virtwire: replaying %s on %s; stop with Ctrl-C\n", *dir, *listen)
	<-ctx.Done()
	if err := s.Close(); err != nil {
		fmt.Fprintf(stderr, "virtwire replay: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func runDecode(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("decode", stdout, stderr)
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "virtwire decode: give one FILE: a fixture (.fixture, .fixture.gz) or one hex frame per line; - reads stdin")
		return exitUsage
	}
	var r io.Reader = os.Stdin
	if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "virtwire decode: %v\n", err)
			return exitFailure
		}
		defer f.Close()
		r = f
	}
	if err := fixtures.Decode(stdout, r); err != nil {
		fmt.Fprintf(stderr, "virtwire decode: %v\n", err)
		return exitFailure
	}
	return exitOK
}
