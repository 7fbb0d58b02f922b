// Package server is a generic, reusable libvirt RPC server: listeners (unix,
// TCP, TLS), one reader goroutine per connection, a bounded worker pool per
// connection, dispatch of calls by (program, version, procedure) to
// registered handlers, libvirt's keepalive, and graceful shutdown. It knows
// nothing of hypervisors: the fake libvirtd (server/testdriver) registers its
// procedures here, and any other libvirt-RPC program can do the same.
//
// Everything the handlers do not answer is answered as libvirtd 9.0 answers
// it, byte for byte (FACTS §1, §3): a bad length word closes the connection
// with no reply and libvirt's log text; an unknown program or version gets
// "Cannot find program P version V", an unknown procedure "unknown
// procedure: N", a CALL with a status other than OK "Unexpected message
// status N", an undecodable payload "Unable to decode message payload" (all
// code 39, domain 7), and the connection stays open; frames of other types
// are dropped; a keepalive PING always gets a PONG. The resources a client
// can pin are bounded: a frame's buffer grows only as its bytes arrive and
// a started frame must complete within Options.FrameTimeout; at most
// Options.MaxClientRequests calls per connection are in flight, after which
// the server stops reading that socket; a client that does not read is
// closed after Options.WriteTimeout.
//
// # Use
//
//	srv := server.New(server.Options{})
//	server.HandleTyped(srv, protocol.ProgramRemote, protocol.ProtocolVersion, protocol.ProcConnectListAllDomains,
//		func(ctx context.Context, c *server.Conn, args *protocol.ConnectListAllDomainsArgs) (protocol.Message, error) {
//			return &protocol.ConnectListAllDomainsRet{}, nil
//		})
//	ln, err := srv.ListenUnix(path, 0o600, false)
//	...
//	go srv.Serve(ln)
//	...
//	srv.Shutdown(ctx)
//
// docs/server.md describes the architecture, the limits and the table of
// reactions to hostile input.
package server
