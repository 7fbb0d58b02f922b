// Package libvirtdtest runs a fake libvirtd for tests, the way
// net/http/httptest runs an HTTP server: one call starts it on a private
// unix socket, the URI it returns works with any libvirt client (virsh,
// python-libvirt, go-libvirt, virtwire's own client), and the test's cleanup
// stops it.
//
//	srv := libvirtdtest.NewServer(t, libvirtdtest.NodeXML("testdata/node.xml"))
//	out, _ := exec.Command("virsh", "-c", srv.URI, "list", "--all").Output()
//
// Behind the socket is a server.Server with the in-memory hypervisor of
// package testdriver, which answers as libvirtd 9.0 with its test driver
// answers for the same node XML (see docs/fake-server.md for the few
// differences). The node and test:///default are served; Server.Host and
// Server.Driver change domains while clients are connected.
//
// Options add TCP and TLS listeners (with a generated PKI in libvirt's file
// layout), serve nodes under chosen CONNECT_OPEN names, and tune the server.
// Server.Handle replaces one procedure's handler and Server.SetFault makes a
// procedure slow, fail or drop the connection, for fault tests.
package libvirtdtest
