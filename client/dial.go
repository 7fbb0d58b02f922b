package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Dial opens a connection to the libvirt daemon that uri names (see
// ParseURI; "" means $LIBVIRT_DEFAULT_URI or the local default) and runs the
// session handshake libvirt's client runs:
//
//  1. connect: the unix socket (SocketPath), or TCP to Address; for tls, the
//     TLS handshake, the server certificate checks and the 0x01
//     confirmation byte (FACTS §11, S7);
//  2. AUTH_LIST: an empty list or NONE goes on; SASL or polkit gives an
//     *AuthError and nothing more is sent;
//  3. CONNECT_SUPPORTS_FEATURE(PROGRAM_KEEPALIVE), when keepalive is
//     negotiated (WithKeepaliveNegotiation);
//  4. CONNECT_OPEN with OpenName and VIR_CONNECT_RO for WithReadOnly; for a
//     probe URI, CONNECT_GET_URI afterwards (FACTS S9).
//
// Every step is sequential, so no call is pipelined behind the open (FACTS
// S3); serials start at 0. ctx bounds the whole of it. The ssh, libssh,
// libssh2 and ext transports give a *TransportError.
func Dial(ctx context.Context, uri string, opts ...Option) (*Conn, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	return DialURI(ctx, u, opts...)
}

// DialURI is Dial with a parsed URI.
func DialURI(ctx context.Context, u *URI, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, f := range opts {
		f(&o)
	}
	switch u.Transport {
	case TransportUnix, TransportTCP, TransportTLS:
	default:
		return nil, &TransportError{Transport: u.Transport}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var tc *tlsClient
	if u.Transport == TransportTLS {
		var err error
		if tc, err = newTLSClient(u, o); err != nil {
			return nil, err
		}
	}
	nc, err := connect(ctx, u, o)
	if err != nil {
		return nil, err
	}
	if tc != nil {
		if nc, err = handshakeTLS(ctx, nc, tc, o.confirmTimeout); err != nil {
			return nil, err
		}
	}
	c := newConn(nc, u, o)
	if err := c.open(ctx); err != nil {
		c.shutdown(err)
		return nil, err
	}
	return c, nil
}

// connect opens the socket, reporting failures as libvirt's client does.
func connect(ctx context.Context, u *URI, o options) (net.Conn, error) {
	dial := o.dial
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	if u.Transport == TransportUnix {
		path, err := u.SocketPath(o.readOnly)
		if err != nil {
			return nil, err
		}
		nc, err := dial(ctx, "unix", path)
		if err != nil {
			return nil, systemError(protocol.FromRPC, "Failed to connect socket to '"+path+"'", errnoOf(err), err)
		}
		return nc, nil
	}
	addr := u.Address()
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		host, port, _ := net.SplitHostPort(addr)
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return nil, systemError(protocol.FromRPC, fmt.Sprintf("Unable to resolve address '%s' service '%s'", host, port), -1, err)
		}
		return nil, systemError(protocol.FromRPC, fmt.Sprintf("unable to connect to server at '%s:%s'", host, port), errnoOf(err), err)
	}
	return nc, nil
}

// handshakeTLS runs the TLS handshake (with the server certificate checks
// in tc's VerifyConnection) and reads the server's confirmation byte, which
// it sends only after accepting our certificate (FACTS S7).
func handshakeTLS(ctx context.Context, nc net.Conn, tc *tlsClient, confirmTimeout time.Duration) (net.Conn, error) {
	tconn := tls.Client(nc, tc.config())
	if err := tconn.HandshakeContext(ctx); err != nil {
		_ = nc.Close()
		var ce *Error
		switch {
		case errors.As(err, &ce):
			return nil, ce // the certificate checks failed
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		return nil, &Error{Libvirt: protocol.NewError(protocol.FromRPC, protocol.ErrAuthFailed, "TLS handshake failed "+err.Error()), Err: err}
	}
	deadline := time.Now().Add(confirmTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = tconn.SetReadDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = tconn.SetReadDeadline(aLongTimeAgo) })
	var b [1]byte
	n, err := io.ReadFull(tconn, b[:])
	stop()
	_ = tconn.SetReadDeadline(time.Time{})
	switch {
	case err == nil && n == 1 && b[0] == 1:
		return tconn, nil
	case err == nil:
		_ = tconn.Close()
		return nil, &ProtocolError{Reason: fmt.Sprintf("server verification (of our certificate or IP address) failed: TLS confirmation byte %#02x, want 0x01", b[0])}
	case ctx.Err() != nil:
		_ = tconn.Close()
		return nil, ctx.Err()
	case isTimeout(err):
		_ = tconn.Close()
		return nil, fmt.Errorf("client: no TLS confirmation byte from the server within %v: %w", confirmTimeout, err)
	case isRejection(err):
		_ = tconn.Close()
		return nil, fmt.Errorf("%w: Unable to read TLS confirmation: %w", ErrCertificateRejected, err)
	}
	_ = tconn.Close()
	return nil, fmt.Errorf("client: Unable to read TLS confirmation: %w", err)
}

// isRejection reports a read error that means the server dropped the
// connection after the handshake: an EOF, a reset or a TLS alert.
func isRejection(err error) bool {
	var alert tls.AlertError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.As(err, &alert) || strings.Contains(err.Error(), "remote error: tls:")
}

// open runs the session handshake on a new connection (steps 2-4 of Dial).
func (c *Conn) open(ctx context.Context) error {
	if err := c.authenticate(ctx); err != nil {
		return err
	}
	negotiate := c.opts.keepaliveInterval > 0
	if c.opts.keepaliveFeature != nil {
		negotiate = *c.opts.keepaliveFeature
	}
	serverKeepalive := false
	if negotiate {
		var ret protocol.ConnectSupportsFeatureRet
		if err := c.call(ctx, protocol.ProcConnectSupportsFeature,
			&protocol.ConnectSupportsFeatureArgs{Feature: protocol.FeatureProgramKeepalive}, &ret, nil); err != nil {
			return err
		}
		serverKeepalive = ret.Supported != 0
	}
	var flags protocol.ConnectFlags
	if c.readOnly {
		flags |= protocol.ConnectRO
	}
	if err := c.call(ctx, protocol.ProcConnectOpen,
		&protocol.ConnectOpenArgs{Name: protocol.Some(c.uri.OpenName()), Flags: flags}, nil, nil); err != nil {
		return err
	}
	if c.uri.probe {
		var ret protocol.ConnectGetURIRet
		if err := c.call(ctx, protocol.ProcConnectGetURI, nil, &ret, nil); err != nil {
			return err
		}
		if u, err := ParseURI(ret.Value); err == nil && ret.Value != "" {
			c.uri = u
		}
	}
	if serverKeepalive && c.opts.keepaliveInterval > 0 {
		c.startKeepalive(c.opts.keepaliveInterval, c.opts.keepaliveCount)
	}
	return nil
}

// authenticate runs AUTH_LIST and picks a method as libvirt's
// remoteAuthenticate does; only NONE can go on.
func (c *Conn) authenticate(ctx context.Context) error {
	var ret protocol.AuthListRet
	if err := c.call(ctx, protocol.ProcAuthList, nil, &ret, nil); err != nil {
		if errors.Is(err, protocol.ErrNoSupport) {
			return nil // a daemon older than AUTH_LIST
		}
		return err
	}
	if len(ret.Types) == 0 {
		return nil
	}
	want := ret.Types[0]
	if a := c.uri.Auth; a != "" {
		switch la := strings.ToLower(a); {
		case la == "sasl" || strings.HasPrefix(la, "sasl."):
			want = protocol.AuthSASL
		case la == "polkit":
			want = protocol.AuthPolkit
		default:
			return protocol.NewError(protocol.FromRemote, protocol.ErrAuthFailed, "unknown authentication type "+a)
		}
		found := false
		for _, t := range ret.Types {
			found = found || t == want
		}
		if !found {
			return protocol.NewError(protocol.FromRemote, protocol.ErrAuthFailed, "requested authentication type "+a+" rejected")
		}
	}
	switch want {
	case protocol.AuthNone:
		return nil
	case protocol.AuthSASL, protocol.AuthPolkit:
		return &AuthError{Method: want, Offered: ret.Types}
	}
	return protocol.NewError(protocol.FromRemote, protocol.ErrAuthFailed, "unsupported authentication type "+strconv.Itoa(int(want)))
}
