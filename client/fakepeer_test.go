package client

import (
	"crypto/tls"
	"encoding"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// fakeServer is a raw libvirt peer on a real socket, scripted by a test:
// it accepts connections and runs handler on each in its own goroutine. It
// is the hostile or silent server the fault tests need; the real libvirtd
// is used wherever behaviour is compared.
type fakeServer struct {
	t       testing.TB
	ln      net.Listener
	path    string // unix socket path, or "" for TCP
	handler func(p *peer)
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
	tlsConf *tls.Config
	// confirm is the byte sent after a TLS handshake; -1 sends none and
	// closes, -2 sends nothing and keeps the connection open.
	confirm int
}

// newFakeServer listens on a unix socket in a short private directory.
func newFakeServer(t testing.TB, handler func(p *peer)) *fakeServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "vwc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return startFake(t, ln, path, handler, nil)
}

// newFakeTCPServer listens on 127.0.0.1 with a free port; with tlsConf it
// speaks TLS and sends the confirmation byte (confirm, usually 1).
func newFakeTCPServer(t testing.TB, tlsConf *tls.Config, confirm int, handler func(p *peer)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := startFake(t, ln, "", handler, tlsConf)
	s.confirm = confirm
	return s
}

func startFake(t testing.TB, ln net.Listener, path string, handler func(p *peer), tlsConf *tls.Config) *fakeServer {
	s := &fakeServer{t: t, ln: ln, path: path, handler: handler, tlsConf: tlsConf, confirm: 1}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.Close)
	return s
}

func (s *fakeServer) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, nc)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer nc.Close()
			if s.tlsConf != nil {
				tc := tls.Server(nc, s.tlsConf)
				if err := tc.Handshake(); err != nil {
					return
				}
				switch s.confirm {
				case -1:
					return
				case -2:
					_, _ = io.Copy(io.Discard, tc)
					return
				}
				if _, err := tc.Write([]byte{byte(s.confirm)}); err != nil {
					return
				}
				nc = tc
			}
			s.handler(&peer{t: s.t, nc: nc, fr: protocol.NewFrameReader(nc)})
		}()
	}
}

// Close stops accepting, closes every connection and waits for handlers.
func (s *fakeServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// URI returns a URI for the server: test+unix:///fake.xml?socket=… for a
// unix server, test+tcp://127.0.0.1:PORT/fake.xml for TCP and
// test+tls://localhost:PORT/fake.xml for TLS (pkipath is appended by the
// caller).
func (s *fakeServer) URI() string {
	if s.path != "" {
		return "test+unix:///fake.xml?socket=" + s.path
	}
	_, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if s.tlsConf != nil {
		return "test+tls://localhost:" + port + "/fake.xml"
	}
	return "test+tcp://127.0.0.1:" + port + "/fake.xml"
}

// peer is the server side of one connection.
type peer struct {
	t  testing.TB
	nc net.Conn
	fr *protocol.FrameReader
	wm sync.Mutex
}

// frame is a frame read by a peer, with its payload copied.
type frame struct {
	h       protocol.Header
	payload []byte
}

// read returns the next frame from the client.
func (p *peer) read() (frame, error) {
	f, err := p.fr.ReadFrame()
	if err != nil {
		return frame{}, err
	}
	return frame{h: f.Header, payload: append([]byte(nil), f.Payload...)}, nil
}

// readCall returns the next frame that is not a keepalive message.
func (p *peer) readCall() (frame, error) {
	for {
		f, err := p.read()
		if err != nil || f.h.Program != protocol.ProgramKeepalive {
			return f, err
		}
	}
}

// readCalls reads n frames that are not keepalive messages and returns the
// first.
func (p *peer) readCalls(n int) (frame, error) {
	var first frame
	for i := range n {
		f, err := p.readCall()
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = f
		}
	}
	return first, nil
}

// answerCalls reads every frame until the client goes away: a call is
// answered with the string "TEST", and a keepalive message whose
// procedure is keepaliveProc is passed to onKeepalive.
func (p *peer) answerCalls(keepaliveProc protocol.Procedure, onKeepalive func()) {
	for {
		f, err := p.read()
		if err != nil {
			return
		}
		switch {
		case f.h.Program == protocol.ProgramKeepalive && f.h.Procedure == keepaliveProc:
			onKeepalive()
		case f.h.Type == protocol.TypeCall:
			p.reply(f, &protocol.StringRet{Value: "TEST"})
		}
	}
}

// write sends one frame; errors are ignored (the client may be gone).
func (p *peer) write(h protocol.Header, body encoding.BinaryAppender) {
	p.wm.Lock()
	defer p.wm.Unlock()
	b, err := protocol.AppendFrame(nil, &h, body)
	if err != nil {
		p.t.Errorf("fake server: encode %v: %v", h, err)
		return
	}
	_, _ = p.nc.Write(b)
}

func (p *peer) writeRaw(b []byte) {
	p.wm.Lock()
	defer p.wm.Unlock()
	_, _ = p.nc.Write(b)
}

// reply answers a call with status OK.
func (p *peer) reply(f frame, body encoding.BinaryAppender) {
	p.write(f.h.Reply(protocol.StatusOK), body)
}

// replyError answers a call with an error.
func (p *peer) replyError(f frame, e *protocol.Error) {
	p.write(f.h.Reply(protocol.StatusError), e)
}

// handshakeOpts changes what handshake answers.
type handshakeOpts struct {
	auth      []protocol.AuthType // nil: [NONE]
	keepalive int32               // SUPPORTS_FEATURE(PROGRAM_KEEPALIVE) answer
	onOpen    func(f frame)       // called with CONNECT_OPEN before the reply
}

// handshake answers AUTH_LIST, SUPPORTS_FEATURE and CONNECT_OPEN until the
// open is done, and returns the frames the client sent.
func (p *peer) handshake(o handshakeOpts) ([]frame, error) {
	var got []frame
	for {
		f, err := p.readCall()
		if err != nil {
			return got, err
		}
		got = append(got, f)
		switch f.h.Procedure {
		case protocol.ProcAuthList:
			types := o.auth
			if types == nil {
				types = []protocol.AuthType{protocol.AuthNone}
			}
			p.reply(f, &protocol.AuthListRet{Types: types})
		case protocol.ProcConnectSupportsFeature:
			p.reply(f, &protocol.ConnectSupportsFeatureRet{Supported: o.keepalive})
		case protocol.ProcConnectOpen:
			if o.onOpen != nil {
				o.onOpen(f)
			}
			p.reply(f, nil)
			return got, nil
		default:
			p.t.Errorf("fake server: unexpected %v during the handshake", f.h)
			return got, errors.New("unexpected call")
		}
	}
}

// serve answers calls with fn until the client goes away; fn returns false
// to stop. CONNECT_CLOSE is answered automatically.
func (p *peer) serve(fn func(f frame) bool) {
	for {
		f, err := p.readCall()
		if err != nil {
			return
		}
		if f.h.Procedure == protocol.ProcConnectClose {
			p.reply(f, nil)
			continue
		}
		if !fn(f) {
			return
		}
	}
}

// waitClosed waits until the client closes its side (EOF), reporting
// frames it still sends.
func (p *peer) waitClosed(timeout time.Duration) (extra []frame, err error) {
	_ = p.nc.SetReadDeadline(time.Now().Add(timeout))
	for {
		f, err := p.read()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return extra, nil
			}
			return extra, err
		}
		extra = append(extra, f)
	}
}
