// Package client is a pure-Go client for libvirt's RPC protocol: it dials a
// libvirt daemon the way libvirt's own remote driver does and calls its
// procedures, with no cgo and no libvirt library installed.
//
// [Dial] takes a libvirt connection URI ([ParseURI] parses it exactly as
// libvirt 9.0 does: transports unix, tcp and tls, the socket, pkipath,
// no_verify, mode, name, … parameters, LIBVIRT_DEFAULT_URI), connects,
// verifies a TLS server by libvirt's rules, runs AUTH_LIST and CONNECT_OPEN
// and returns a [Conn]:
//
//	c, err := client.Dial(ctx, "qemu:///system", client.WithReadOnly())
//	if err != nil { … }
//	defer c.Close()
//	doms, err := c.ListAllDomains(ctx, protocol.ListDomainsActive)
//
// A Conn multiplexes calls from any number of goroutines over one socket
// and matches replies by serial, since libvirtd answers out of order. Every
// call takes a context; cancelling it returns at once without harming the
// connection. Server keepalive PINGs are always answered; client keepalive
// (on by default with virsh's 5 s × 6) declares a silent server dead.
// [Conn.Done] and [Conn.Err] report the end of a connection so callers can
// reconnect.
//
// Typed methods cover listing and inspecting domains ([Conn.ListAllDomains],
// [Conn.DomainLookupByName], [Conn.DomainGetState], …); [Conn.Call] calls
// any procedure with the message types of package protocol. A daemon's
// errors come back as *protocol.Error with libvirt's code, domain and text,
// so errors.Is(err, protocol.ErrNoDomain) works; errors that end the
// connection wrap [ErrConnClosed]. docs/client.md has the details: each
// transport, the PKI layout, the URI rules, errors, keepalive and events.
package client
