package libvirtd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Virsh runs `virsh -c uri args...` and returns what it printed and its
// exit status. err is non-nil only when virsh could not be run or was cut
// short by ctx; a non-zero exit is reported through exit, with err nil.
// virsh runs with LIBVIRT_AUTOSTART=0 and a private HOME and XDG
// directories, so it never starts a session daemon or reads a user's
// configuration. An empty uri leaves out -c.
func Virsh(ctx context.Context, uri string, args ...string) (stdout, stderr string, exit int, err error) {
	return runClient(ctx, VirshPath(), "virsh", uri, args)
}

// VirtAdmin runs `virt-admin -c uri args...` like [Virsh]; uri is usually
// [Daemon.AdminURI]. virt-admin reads the daemon's own view of its servers
// and clients (srv-clients-info, srv-clients-list, srv-threadpool-info).
func VirtAdmin(ctx context.Context, uri string, args ...string) (stdout, stderr string, exit int, err error) {
	return runClient(ctx, findProgram("/usr/bin/virt-admin", "virt-admin"), "virt-admin", uri, args)
}

func runClient(ctx context.Context, path, name, uri string, args []string) (stdout, stderr string, exit int, err error) {
	if path == "" {
		return "", "", -1, fmt.Errorf("libvirtd: %s not found", name)
	}
	env, home, err := clientEnv()
	if err != nil {
		return "", "", -1, err
	}
	defer os.RemoveAll(home)
	var argv []string
	if uri != "" {
		argv = append(argv, "-c", uri)
	}
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, path, argv...)
	cmd.Env = env
	cmd.Dir = home
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return o.String(), e.String(), -1, fmt.Errorf("libvirtd: %s %q: %w", name, argv, ctx.Err())
	}
	var ee *exec.ExitError
	switch {
	case runErr == nil:
		return o.String(), e.String(), 0, nil
	case errors.As(runErr, &ee) && ee.Exited():
		return o.String(), e.String(), ee.ExitCode(), nil
	default:
		return o.String(), e.String(), -1, fmt.Errorf("libvirtd: %s %q: %w", name, argv, runErr)
	}
}
