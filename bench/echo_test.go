package bench

import (
	"encoding/binary"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"github.com/digitalocean/go-libvirt/socket/dialers"
	"github.com/virtwire/virtwire/client"
	"github.com/virtwire/virtwire/protocol"
)

// echoServer is the floor of a server: it answers every call with a reply
// frame encoded once, at start-up, changing only the serial. It has no
// dispatch, no per-call goroutine and no decoding beyond the header; one
// goroutine per connection reads a frame and writes the bytes. It knows
// just enough of the protocol for a client's session: AUTH_LIST (none),
// SUPPORTS_FEATURE (yes), keepalive PING (PONG), CONNECT_LIST_ALL_DOMAINS
// (the prepared list) and an empty OK reply to anything else (CONNECT_OPEN,
// CONNECT_CLOSE).
type echoServer struct {
	ln      net.Listener
	socket  string
	replies map[protocol.Procedure][]byte // reply frames with serial 0
	other   []byte                        // the empty OK reply
	pong    []byte

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]bool
}

// startEcho serves list as the answer to every CONNECT_LIST_ALL_DOMAINS
// call, on a unix socket in a private directory. b's cleanup stops it.
func startEcho(tb testing.TB, list *protocol.ConnectListAllDomainsRet) *echoServer {
	tb.Helper()
	s := &echoServer{socket: filepath.Join(shortDir(tb), "sock"), replies: map[protocol.Procedure][]byte{}, conns: map[net.Conn]bool{}}
	reply := func(proc protocol.Procedure, ret protocol.Message) []byte {
		h := protocol.Header{
			Program: protocol.ProgramRemote, Version: protocol.ProtocolVersion, Procedure: proc,
			Type: protocol.TypeReply, Status: protocol.StatusOK,
		}
		var body protocol.Message = protocol.Void{}
		if ret != nil {
			body = ret
		}
		f, err := protocol.AppendFrame(nil, &h, body)
		if err != nil {
			tb.Fatal(err)
		}
		return f
	}
	s.replies[protocol.ProcAuthList] = reply(protocol.ProcAuthList, &protocol.AuthListRet{Types: []protocol.AuthType{protocol.AuthNone}})
	s.replies[protocol.ProcConnectSupportsFeature] = reply(protocol.ProcConnectSupportsFeature, &protocol.ConnectSupportsFeatureRet{Supported: 1})
	s.replies[protocol.ProcConnectListAllDomains] = reply(protocol.ProcConnectListAllDomains, list)
	s.other = reply(0, nil)
	pong := protocol.Header{
		Program: protocol.ProgramKeepalive, Version: protocol.KeepaliveVersion,
		Procedure: protocol.KeepaliveProcPong, Type: protocol.TypeMessage,
	}
	s.pong, _ = protocol.AppendFrame(nil, &pong, nil)

	ln, err := net.Listen("unix", s.socket)
	if err != nil {
		tb.Fatal(err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.accept()
	tb.Cleanup(s.Close)
	return s
}

func (s *echoServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[nc] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(nc)
			nc.Close()
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
		}()
	}
}

// serve answers the calls of one connection. Each connection has its own
// copies of the reply frames, patched in place.
func (s *echoServer) serve(nc net.Conn) {
	fr := protocol.NewFrameReader(nc)
	mine := map[protocol.Procedure][]byte{}
	other := slices.Clone(s.other)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		h := &f.Header
		var out []byte
		switch {
		case h.Program == protocol.ProgramKeepalive:
			if h.Procedure != protocol.KeepaliveProcPing {
				continue
			}
			out = s.pong
		case h.Type != protocol.TypeCall:
			continue
		default:
			out = mine[h.Procedure]
			if out == nil {
				if r, ok := s.replies[h.Procedure]; ok {
					out = slices.Clone(r)
					mine[h.Procedure] = out
				} else {
					out = other
					binary.BigEndian.PutUint32(out[protocol.LengthWordSize+8:], uint32(h.Procedure))
				}
			}
			binary.BigEndian.PutUint32(out[serialOffset:], h.Serial)
		}
		if _, err := nc.Write(out); err != nil {
			return
		}
	}
}

// Close stops the server, closes its connections and waits for their
// goroutines.
func (s *echoServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for nc := range s.conns {
		nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// echoName is the CONNECT_OPEN name clients send to the echo server; it
// ignores it.
const echoName = "test:///echo.xml"

// BenchmarkListAllDomainsEcho is BenchmarkListAllDomainsLibvirtd against
// the echo server, which answers at once with a prepared reply of 10,
// 1,000 or 16,384 domains: what is left above impl=raw is each client's
// own cost (encoding the call, reading, decoding and allocating the list).
func BenchmarkListAllDomainsEcho(b *testing.B) {
	for _, n := range sizes {
		s := startEcho(b, listReply(n))
		uri := "test+unix:///echo.xml?socket=" + s.socket
		t := listTarget{
			raw:      func() (*rawClient, error) { return dialRaw("unix", s.socket, echoName) },
			virtwire: func() (*client.Conn, error) { return client.Dial(bg, uri) },
			goLibvirt: func() (*golibvirt.Libvirt, error) {
				l := golibvirt.NewWithDialer(dialers.NewLocal(dialers.WithSocket(s.socket)))
				return l, l.ConnectToURI(echoName)
			},
			python: func() (*pyClient, error) { return startPython(uri, n) },
		}
		benchListClients(b, n, t)
	}
}
