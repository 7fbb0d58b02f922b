// Package libvirtd starts a real libvirtd 9.0 from test code and runs the
// real clients (virsh, python3-libvirt) against it: the oracle that
// virtwire's own client and fake server are compared with (STYLE.md §9).
//
// [Start] creates a short private directory (/tmp/vw-…, because unix socket
// paths are limited to 108 bytes), writes a libvirtd.conf for it (own
// unix_sock_dir, auth none on every socket, a log file, optional TCP and TLS
// listeners on 127.0.0.1 with free ports, optional limits), points
// LIBVIRT_DRIVER_DIR at an empty directory so only the built-in test and
// remote drivers load (FACTS §15), starts the daemon in the foreground and
// waits until every socket accepts connections. t.Cleanup stops it with
// SIGTERM, then SIGKILL, and removes the directory.
//
// The helpers build the URIs clients need ([Daemon.URI], [Daemon.TCPURI],
// [Daemon.TLSURI], …) and run the clients ([Virsh], [PyListAllDomains]) with
// an environment that cannot reach a session daemon or a user's
// configuration.
//
// Tests that need these programs call [Require], [RequireVirsh] or
// [RequirePython] first: on a machine without them the test is skipped with
// a clear message, but when the environment variable CI or
// VIRTWIRE_REQUIRE_LIBVIRTD is non-empty it fails instead, so a CI run can
// never pass by skipping.
package libvirtd
