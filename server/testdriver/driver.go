package testdriver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
)

// DefaultName is the CONNECT_OPEN name of the built-in node.
const DefaultName = "test:///default"

// Driver is the fake hypervisor: the nodes it serves, by CONNECT_OPEN name,
// and the state of every connection that opened one. Register installs its
// handlers on a server. A Driver is safe for concurrent use.
type Driver struct {
	mu       sync.Mutex
	hosts    map[string]*Host // by URI path: "/default", "/abs/node.xml"
	hostname string
	closed   bool

	wg            sync.WaitGroup // event writers
	eventsDropped atomic.Uint64
}

// NewDriver returns a driver that serves no node yet. Its hostname (the
// answer to CONNECT_GET_HOSTNAME) is the machine's, found as libvirt's
// virGetHostname finds it.
func NewDriver() *Driver {
	return &Driver{hosts: make(map[string]*Host), hostname: hostname()}
}

// Errors of Driver.Serve.
var (
	// ErrBadName is returned for a name that is not test:///path.
	ErrBadName = errors.New("testdriver: a node name must be test:///absolute/path")
	// ErrNameInUse is returned when a node is already served under the name.
	ErrNameInUse = errors.New("testdriver: a node is already served under this name")
	// ErrClosed is returned by Serve after Close.
	ErrClosed = errors.New("testdriver: driver closed")
)

// Serve serves n under the CONNECT_OPEN name name, which must be
// test:///absolute/path: "test:///default" for the shared default node
// (usually Default()), "test:///abs/node.xml" for a node the way libvirtd
// serves that file. Clients open it with test+unix:///abs/node.xml?socket=…,
// which sends exactly that name. The driver never opens the path: it is only
// a name. n is validated and copied.
//
// The node named test:///default is shared by the connections that have it
// open, and starts afresh after the last one closes; any other node is
// copied for each connection (FACTS S14).
func (d *Driver) Serve(name string, n *Node) (*Host, error) {
	path, err := nodePath(name)
	if err != nil {
		return nil, err
	}
	if err := n.Validate(); err != nil {
		return nil, err
	}
	h := &Host{drv: d, name: "test://" + path, shared: path == "/default",
		tmpl: newNodeState(n), states: make(map[*nodeState]struct{})}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if d.hosts[path] != nil {
		return nil, fmt.Errorf("%w: %s", ErrNameInUse, name)
	}
	d.hosts[path] = h
	return h, nil
}

// nodePath checks a name given to Serve and returns its path.
func nodePath(name string) (string, error) {
	path, ok := strings.CutPrefix(name, "test://")
	if !ok || !strings.HasPrefix(path, "/") || path == "/" || strings.ContainsAny(path, "?#") {
		return "", fmt.Errorf("%w: %q", ErrBadName, name)
	}
	return path, nil
}

// Host returns the node served under name, or nil.
func (d *Driver) Host(name string) *Host {
	path, err := nodePath(name)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hosts[path]
}

// Hosts returns the nodes the driver serves, by name.
func (d *Driver) Hosts() []*Host {
	d.mu.Lock()
	defer d.mu.Unlock()
	hs := make([]*Host, 0, len(d.hosts))
	for _, h := range d.hosts {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].name < hs[j].name })
	return hs
}

// SetHostname sets what CONNECT_GET_HOSTNAME answers.
func (d *Driver) SetHostname(name string) {
	d.mu.Lock()
	d.hostname = name
	d.mu.Unlock()
}

// Hostname returns what CONNECT_GET_HOSTNAME answers.
func (d *Driver) Hostname() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.hostname
}

// EventsDropped returns the number of events not sent because a client
// did not read them fast enough (more than 1024 waiting).
func (d *Driver) EventsDropped() uint64 { return d.eventsDropped.Load() }

// Close stops serving new opens and waits until the goroutines that write
// events have ended; they end with their connections, so close the server
// first. It is safe to call more than once.
func (d *Driver) Close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.wg.Wait()
}

// hostname is virGetHostname: the kernel's host name, or when that is a
// short name other than localhost, the canonical name /etc/hosts gives it.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	if strings.HasPrefix(h, "localhost") || strings.Contains(h, ".") {
		return h
	}
	f, err := os.Open("/etc/hosts")
	if err != nil {
		return h
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, n := range fields[1:] {
			if n == h {
				if c := fields[1]; !strings.HasPrefix(c, "localhost") {
					return c
				}
				return h
			}
		}
	}
	return h
}

// session is the server side of one client connection
// (daemonClientPrivate): its open node, its event callbacks.
type session struct {
	drv  *Driver
	conn *server.Conn

	mu        sync.Mutex
	host      *Host      // nil until CONNECT_OPEN succeeds
	st        *nodeState // the node the connection has open
	uri       string     // CONNECT_GET_URI's answer
	callbacks []*callback
	queue     chan outEvent
	closed    bool
}

// session returns the connection's session, creating it on first use.
func (d *Driver) session(c *server.Conn) *session {
	if ss, ok := c.Value().(*session); ok {
		return ss
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if ss, ok := c.Value().(*session); ok {
		return ss
	}
	ss := &session{drv: d, conn: c}
	c.SetValue(ss)
	context.AfterFunc(c.Context(), ss.close)
	return ss
}

// state returns the open node, or the "not open" error (FACTS S15).
func (ss *session) state() (*nodeState, *protocol.Error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.st == nil {
		return nil, errNotOpen()
	}
	return ss.st, nil
}

// open is CONNECT_OPEN (remoteDispatchConnectOpen, then testConnectOpen).
func (ss *session) open(a *protocol.ConnectOpenArgs) *protocol.Error {
	if a.Flags&protocol.ConnectRO != 0 {
		ss.conn.SetReadOnly()
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.st != nil {
		// libvirtd refuses, and its error path drops the connection it
		// had: the client is left with none. Its records of event
		// callbacks stay, but they reach nothing any more.
		ss.releaseLocked()
		return errAlreadyOpen()
	}
	if !a.Name.Valid {
		return errNullName()
	}
	h, uri, err := ss.drv.resolve(a.Name.Value)
	if err != nil {
		return err
	}
	st := h.attach(ss)
	if st == nil {
		return errNoConnect(a.Name.Value)
	}
	ss.host, ss.st, ss.uri = h, st, uri
	ss.conn.SetOpened()
	return nil
}

// resolve finds the node a CONNECT_OPEN name opens, with libvirt's errors
// for the names it refuses. Names of nodes the driver does not serve get
// "no connection driver available": the driver never opens a path a client
// sends (libvirtd would try to read the file).
func (d *Driver) resolve(name string) (*Host, string, *protocol.Error) {
	if name == "" {
		return nil, "", errNoConnect("")
	}
	scheme, _, ok := strings.Cut(name, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#") {
		return nil, "", errNoConnect(fmt.Sprintf("URI '%s' does not include a driver name", name))
	}
	u, err := url.Parse(name)
	if err != nil || scheme != "test" || u.Opaque != "" {
		return nil, "", errNoConnect(name)
	}
	if u.Host != "" || u.User != nil {
		return nil, "", errNoConnect(name)
	}
	if u.Path == "" || u.Path == "/" {
		return nil, "", errNoPath()
	}
	d.mu.Lock()
	h := d.hosts[u.Path]
	closed := d.closed
	d.mu.Unlock()
	if h == nil || closed {
		return nil, "", errNoConnect(name)
	}
	uri := "test://" + u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		uri += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		uri += "#" + u.EscapedFragment()
	}
	return h, uri, nil
}

// releaseLocked gives the open node back. Callers hold ss.mu.
func (ss *session) releaseLocked() {
	if ss.st != nil {
		ss.host.detach(ss, ss.st)
	}
	ss.host, ss.st, ss.uri = nil, nil, ""
}

// closeOpen is CONNECT_CLOSE: the node is released; the caller closes the
// connection once the reply is out, as libvirtd does.
func (ss *session) closeOpen() {
	ss.mu.Lock()
	ss.releaseLocked()
	ss.mu.Unlock()
}

// close runs when the connection ends.
func (ss *session) close() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.closed = true
	ss.releaseLocked()
}
