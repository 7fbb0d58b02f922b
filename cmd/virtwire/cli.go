package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a command failed, or some host did not answer
	exitUsage   = 2 // bad options
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the synopsis line after "virtwire NAME"
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() map[string]*command {
	cmds := []*command{
		{name: "list", summary: "list domains like virsh list, from one host or many", usage: "[-c URI]... [OPTIONS]", run: runList},
		{name: "serve", summary: "serve a fake libvirtd from test-driver node XML", usage: "[--node FILE.xml]... --listen ADDR... [OPTIONS]", run: runServe},
		{name: "record", summary: "record conversations with a libvirtd through a proxy", usage: "--listen ADDR --target ADDR --out DIR", run: runRecord},
		{name: "replay", summary: "serve recorded conversations as a fake libvirtd", usage: "--fixtures DIR --listen ADDR", run: runReplay},
		{name: "decode", summary: "print a fixture or a hex frame stream decoded", usage: "FILE", run: runDecode},
		{name: "version", summary: "print virtwire's version", usage: "", run: runVersion},
	}
	m := map[string]*command{}
	for _, c := range cmds {
		m[c.name] = c
	}
	return m
}

// run is main without the process: tests call it with their own writers.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 {
		usage(stderr, cmds)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			c, ok := cmds[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "virtwire: unknown command %q\n", args[1])
				return exitUsage
			}
			return c.run(ctx, []string{"--help"}, stdout, stderr)
		}
		usage(stdout, cmds)
		return exitOK
	case "-version", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "virtwire: unknown command %q; run 'virtwire help'\n", args[0])
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func usage(w io.Writer, cmds map[string]*command) {
	fmt.Fprintf(w, "virtwire speaks libvirt's RPC protocol, without libvirt.\n\nUsage:\n  virtwire COMMAND [OPTIONS]\n\nCommands:\n")
	var names []string
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n\nRun 'virtwire help COMMAND' for a command's options.\n", "help", "show this help, or a command's")
}

// newFlagSet returns a flag set that prints the command's synopsis and every
// option on --help, to stdout, and reports errors on stderr.
func newFlagSet(name string, stdout, stderr io.Writer) *flag.FlagSet {
	c := commands()[name]
	fs := flag.NewFlagSet("virtwire "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: virtwire %s %s\n\n%s.\n\nOptions:\n", name, c.usage, capitalize(c.summary))
		fs.VisitAll(func(f *flag.Flag) {
			arg, help := flag.UnquoteUsage(f)
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			line := "  " + dash + f.Name
			if arg != "" {
				line += " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				help += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "%-28s %s\n", line, help)
		})
	}
	return fs
}

// parseFlags parses args; --help prints the usage to stdout and reports
// done with exit status 0.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (done bool, code int) {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fs.SetOutput(stdout)
			fs.Usage()
			return true, exitOK
		}
		if a == "--" {
			break
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, exitOK
		}
		return true, exitUsage
	}
	return false, 0
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// version is set at link time by release builds (-ldflags "-X main.version=…").
var version = ""

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("version", stdout, stderr)
	if done, code := parseFlags(fs, args, stdout); done {
		return code
	}
	v := version
	goVersion := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v == "" {
			v = bi.Main.Version
		}
		if v == "" || v == "(devel)" {
			v = "devel"
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += "+" + s.Value[:12]
				}
			}
		}
	}
	fmt.Fprintf(stdout, "virtwire %s (%s; speaks libvirt 9.0's remote protocol)\n", v, goVersion)
	return exitOK
}
