package libvirtd

import (
	"fmt"
	"os"
	"path/filepath"
)

// clientEnv makes a private home for one client run and returns the
// environment that keeps libvirt's client library inside it: no session
// daemon autostart (LIBVIRT_AUTOSTART=0, FACTS §10), no default URI, no user
// configuration. The caller removes the returned directory.
func clientEnv() (env []string, dir string, err error) {
	dir, err = os.MkdirTemp(shortTempDir(), "vwc-")
	if err != nil {
		return nil, "", fmt.Errorf("libvirtd: %w", err)
	}
	env = []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LC_ALL=C",
		"LIBVIRT_AUTOSTART=0",
		"HOME=" + dir,
		"XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
	}
	return env, dir, nil
}
