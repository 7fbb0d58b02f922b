package server

import (
	"log/slog"
	"os"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Defaults, those of libvirtd 9.0 where libvirtd has the setting
// (libvirtd.conf, FACTS §8, §10; RELIABILITY L8).
const (
	DefaultMaxClientRequests   = 5                // max_client_requests
	DefaultMaxClients          = 5000             // max_clients
	DefaultMaxAnonymousClients = 20               // max_anonymous_clients
	DefaultKeepaliveInterval   = 5 * time.Second  // keepalive_interval
	DefaultKeepaliveCount      = 5                // keepalive_count
	DefaultFrameTimeout        = 30 * time.Second // no libvirtd equivalent (it has none, d03)
	DefaultWriteTimeout        = 30 * time.Second // no libvirtd equivalent
	DefaultHandshakeTimeout    = 30 * time.Second // TLS handshake, certificate check and confirmation byte
	DefaultLogRate             = 10               // log lines per second per connection
)

// Options configures a Server. The zero value gives libvirtd's defaults.
type Options struct {
	// MaxClientRequests is the number of calls one connection may have in
	// flight (libvirtd's max_client_requests, default 5). When a connection
	// reaches it the server stops reading that socket until a reply has gone
	// out: back-pressure, not an error, and never an unbounded queue
	// (RELIABILITY L9, test 29).
	MaxClientRequests int

	// MaxClients is the number of concurrent connections (max_clients,
	// default 5000). When it is reached the server stops accepting; further
	// connections wait in the kernel's listen backlog (test 45). Each
	// Serve loop waiting in Accept holds one of these slots.
	MaxClients int

	// MaxAnonymousClients is the number of concurrent connections that are
	// still anonymous (max_anonymous_clients, default 20; negative means no
	// limit). A connection is anonymous from accept until a handler calls
	// Conn.SetOpened, which the fake libvirtd does when CONNECT_OPEN
	// succeeds. As with MaxClients, reaching the limit stops accepting.
	// A server whose protocol has no open step should call SetOpened from
	// OnConnect, or set this to -1.
	MaxAnonymousClients int

	// KeepaliveInterval is the time between PINGs once a connection has
	// called Conn.StartKeepalive (keepalive_interval, default 5 s; negative
	// disables keepalive, and StartKeepalive becomes a no-op).
	KeepaliveInterval time.Duration

	// KeepaliveCount is the number of unanswered PINGs after which the
	// connection is closed: it closes after KeepaliveInterval × (count+1)
	// with no inbound message (keepalive_count, default 5; negative means
	// 0: close after one silent interval, without any PING).
	KeepaliveCount int

	// FrameTimeout bounds the time from the first to the last byte of a
	// frame (default 30 s; negative disables). A client that starts a frame
	// and stalls, or trickles it (slowloris), is closed. Waiting for a new
	// frame has no deadline (d31: an idle client stays connected).
	FrameTimeout time.Duration

	// WriteTimeout closes a client that accepts no bytes for this long while
	// the server has something to send (default 30 s; negative disables).
	WriteTimeout time.Duration

	// Logger receives the server's log lines: libvirt's texts for hostile
	// input ("packet 2147483643 bytes received from server too large, want
	// 33554432"), keepalive timeouts, rejected peers. Lines about one
	// connection are rate-limited to LogRate per second. Nil discards.
	Logger *slog.Logger

	// LogRate is the number of log lines per second allowed for one
	// connection (default 10, test 61). Lines over it are counted in
	// Stats.LogSuppressed and summarised in the next line that gets out.
	LogRate int

	// Authorize, if set, is called for every CALL to a registered
	// procedure, in the connection's reader goroutine, before the payload
	// is copied or decoded (CVE-2025-12748, test 28). A non-nil error
	// refuses the call: a *protocol.Error is sent as the reply, ErrNoReply
	// sends nothing, any other error sends GenericError. It must not block.
	Authorize func(c *Conn, h *protocol.Header) error

	// Inline, if set, is asked about every call that is about to be
	// dispatched; when it reports true the call runs on the connection's
	// reader goroutine instead of a worker goroutine, which spares handing
	// it over (on 2 vCPUs half the server's cost of a small call: a wake-up
	// of another goroutine and often of another thread). While an inline
	// call runs the connection reads nothing, so its next calls and its
	// keepalive PINGs wait: only calls whose handler returns promptly and
	// never waits for the client should run inline. Their replies go out in
	// the order the calls came. Inline is called on the reader goroutine
	// and must not block. The fake libvirtd (package libvirtdtest) runs its
	// driver's handlers inline.
	Inline func(h *protocol.Header) bool

	// OnConnect, if set, is called once per connection after the transport
	// is ready (peer uid checked, TLS handshake and certificate checks done,
	// confirmation byte sent) and before the first frame is read. A non-nil
	// error closes the connection.
	OnConnect func(c *Conn) error

	// OnDisconnect, if set, is called once per connection that OnConnect
	// accepted, after its last handler has returned and the socket is
	// closed; Conn.Context is already done.
	OnDisconnect func(c *Conn)

	// AllowedUIDs lists the peer uids (SO_PEERCRED) allowed on unix
	// sockets. Nil allows the server's own effective uid and root; an empty
	// non-nil list allows nobody. A refused peer is closed before any byte
	// is sent or read, whatever the socket's mode (RELIABILITY tests 55, 56).
	AllowedUIDs []uint32

	// AllowAnyUID turns the peer uid check off: socket permissions alone
	// decide who connects, as with libvirtd's auth_unix_rw=none.
	AllowAnyUID bool

	// InsecureListen allows ListenTCP, and ListenTLS without client
	// certificate verification, on non-loopback addresses (test 57).
	InsecureListen bool

	// StrictPayload rejects call payloads with bytes after the arguments
	// (Call.Decode and HandleTyped reply "Unable to decode message
	// payload"). libvirt accepts them (FACTS S11), so this is off by
	// default; trailing bytes are counted in Stats.TrailingBytes either way.
	StrictPayload bool
}

func (o Options) withDefaults() Options {
	if o.MaxClientRequests <= 0 {
		o.MaxClientRequests = DefaultMaxClientRequests
	}
	if o.MaxClients <= 0 {
		o.MaxClients = DefaultMaxClients
	}
	if o.MaxAnonymousClients == 0 {
		o.MaxAnonymousClients = DefaultMaxAnonymousClients
	}
	if o.KeepaliveInterval == 0 {
		o.KeepaliveInterval = DefaultKeepaliveInterval
	}
	switch {
	case o.KeepaliveCount == 0:
		o.KeepaliveCount = DefaultKeepaliveCount
	case o.KeepaliveCount < 0:
		o.KeepaliveCount = 0
	}
	if o.FrameTimeout == 0 {
		o.FrameTimeout = DefaultFrameTimeout
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.LogRate <= 0 {
		o.LogRate = DefaultLogRate
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.AllowedUIDs == nil {
		uid := uint32(os.Geteuid())
		o.AllowedUIDs = []uint32{uid}
		if uid != 0 {
			o.AllowedUIDs = append(o.AllowedUIDs, 0)
		}
	}
	return o
}
