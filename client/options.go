package client

import (
	"context"
	"log/slog"
	"net"
	"time"
)

// DefaultCloseTimeout bounds how long Close waits for the reply to
// CONNECT_CLOSE.
const DefaultCloseTimeout = 5 * time.Second

// tlsConfirmTimeout bounds the wait for the TLS confirmation byte (FACTS S7).
const tlsConfirmTimeout = 10 * time.Second

// Option configures Dial.
type Option func(*options)

type options struct {
	readOnly          bool
	keepaliveInterval time.Duration
	keepaliveCount    int
	keepaliveFeature  *bool
	eventBuffer       int
	closeTimeout      time.Duration
	frameTimeout      time.Duration
	dial              func(ctx context.Context, network, addr string) (net.Conn, error)
	logger            *slog.Logger
	confirmTimeout    time.Duration
	legacyCommonName  bool // WithLegacyCommonName (tls.go)
}

func defaultOptions() options {
	return options{
		keepaliveInterval: DefaultKeepaliveInterval,
		keepaliveCount:    DefaultKeepaliveCount,
		eventBuffer:       DefaultEventBuffer,
		closeTimeout:      DefaultCloseTimeout,
		confirmTimeout:    tlsConfirmTimeout,
	}
}

// WithReadOnly opens the connection read-only, as virsh -r and
// virConnectOpenReadOnly do: CONNECT_OPEN carries VIR_CONNECT_RO, a unix
// connection uses the -sock-ro socket unless socket= names one, and write
// procedures are refused before they are sent (FACTS S10). This is what
// monitoring needs: the read-only socket is the one an unprivileged user may
// reach.
func WithReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithKeepalive sets client keepalive (virConnectSetKeepAlive): when the
// server has sent nothing for interval, send a PING, at most count times,
// and declare the server dead when another interval passes after the last
// one; every pending and later call then fails with an error wrapping
// ErrConnClosed and ErrKeepaliveTimeout. The default is virsh's: 5 s and 6.
// An interval of 0 or less turns client keepalive off (the server's PINGs
// are still answered). Client keepalive starts only if the server supports
// the keepalive program, which Dial asks before CONNECT_OPEN unless
// WithKeepaliveNegotiation(false).
func WithKeepalive(interval time.Duration, count int) Option {
	return func(o *options) {
		o.keepaliveInterval = interval
		o.keepaliveCount = max(count, 0)
	}
}

// WithKeepaliveNegotiation sets whether Dial sends
// CONNECT_SUPPORTS_FEATURE(PROGRAM_KEEPALIVE) before CONNECT_OPEN, as virsh
// does (FACTS S12). A yes also makes libvirtd ping the client every 5 s and
// drop it after 30 s of silence, which the client's automatic PONGs prevent.
// The default is on when client keepalive is on, off otherwise (as plain
// python-libvirt without an event loop behaves).
func WithKeepaliveNegotiation(on bool) Option {
	return func(o *options) { o.keepaliveFeature = &on }
}

// WithEventBuffer sets the capacity of each event subscription's channel
// (default DefaultEventBuffer). Values below 1 mean 1.
func WithEventBuffer(n int) Option {
	return func(o *options) { o.eventBuffer = max(n, 1) }
}

// WithCloseTimeout sets how long Close waits for the reply to CONNECT_CLOSE
// (default DefaultCloseTimeout).
func WithCloseTimeout(d time.Duration) Option {
	return func(o *options) { o.closeTimeout = d }
}

// WithFrameTimeout bounds the time between the first and the last byte of
// a frame from the server; a server that starts a frame and stalls longer
// ends the connection. Zero, the default, sets no bound (libvirt sets none).
func WithFrameTimeout(d time.Duration) Option {
	return func(o *options) { o.frameTimeout = d }
}

// WithDialer replaces how the socket is opened: network is "unix" or "tcp",
// addr the socket path or host:port. TLS, if the URI asks for it, runs on
// top of the returned connection.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithLogger sets where the client logs what libvirt's client logs as
// warnings, such as a server certificate accepted only because of
// no_verify=1. The default discards them.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
