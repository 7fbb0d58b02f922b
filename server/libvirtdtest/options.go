package libvirtdtest

import (
	"log/slog"

	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// Option configures a Server.
type Option func(*config)

type nodeSpec struct {
	name string           // CONNECT_OPEN name; "" for a name in the server's directory
	path string           // node XML file to load, or ""
	data []byte           // node XML to parse, or nil
	node *testdriver.Node // Go value, or nil
}

type config struct {
	nodes     []nodeSpec
	noDefault bool
	tcp, tls  bool
	hostname  *string
	opts      []func(*server.Options)
}

// NodeXML serves the test-driver node file at path (FACTS §13) under the
// CONNECT_OPEN name test:///<absolute path>, the name libvirtd would serve
// it under, so Server.URI points a client at it. Files it includes with
// file="…" must be in its directory. The file is read when the server is
// created; a file libvirt would refuse fails the test.
func NodeXML(path string) Option {
	return func(c *config) { c.nodes = append(c.nodes, nodeSpec{path: path}) }
}

// NodeXMLData serves the node XML data, under a name in the server's
// private directory (where the data is also written).
func NodeXMLData(data []byte) Option {
	return func(c *config) { c.nodes = append(c.nodes, nodeSpec{data: data}) }
}

// WithNode serves n, a node as Go values, under a name in the server's
// private directory.
func WithNode(n *testdriver.Node) Option {
	return func(c *config) { c.nodes = append(c.nodes, nodeSpec{node: n}) }
}

// NodeAs serves n under the CONNECT_OPEN name name (test:///absolute/path).
// The recorded conversations of the project's FACTS.md were made with
// test:///srv/virtw/node.xml; serving their node under that name lets a test
// replay them byte for byte. Clients reach it with the URI NodeURI gives.
func NodeAs(name string, n *testdriver.Node) Option {
	return func(c *config) { c.nodes = append(c.nodes, nodeSpec{name: name, node: n}) }
}

// NodeXMLAs is NodeAs with the node read from a node XML file.
func NodeXMLAs(name, path string) Option {
	return func(c *config) { c.nodes = append(c.nodes, nodeSpec{name: name, path: path}) }
}

// NoDefault leaves test:///default out: opening it then fails as opening an
// unknown node does.
func NoDefault() Option { return func(c *config) { c.noDefault = true } }

// TCP adds a plain TCP listener on 127.0.0.1 with a free port
// (Server.TCPAddr, Server.TCPURI).
func TCP() Option { return func(c *config) { c.tcp = true } }

// TLS adds a TLS listener on 127.0.0.1 with a free port, with a CA, a
// server certificate (for localhost and 127.0.0.1) and a client certificate
// generated for the test; the client's files are in libvirt's layout in
// Server.PKIDir, which Server.TLSURI passes as pkipath.
func TLS() Option { return func(c *config) { c.tls = true } }

// Hostname sets what CONNECT_GET_HOSTNAME answers (by default the
// machine's host name, as libvirtd answers).
func Hostname(name string) Option { return func(c *config) { c.hostname = &name } }

// ServerOptions lets f change the server's options (keepalive timing,
// limits, a logger) before it starts.
func ServerOptions(f func(*server.Options)) Option {
	return func(c *config) { c.opts = append(c.opts, f) }
}

// Logger sends the server's log to l.
func Logger(l *slog.Logger) Option {
	return ServerOptions(func(o *server.Options) { o.Logger = l })
}
