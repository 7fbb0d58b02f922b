package libvirtdtest

import (
	"context"
	"fmt"
	"time"

	"github.com/virtwire/virtwire/protocol"
	"github.com/virtwire/virtwire/server"
	"github.com/virtwire/virtwire/server/testdriver"
)

// Fault makes one procedure misbehave (Server.SetFault). The fields
// combine: after Delay, the connection is dropped (Drop), or left without a
// reply (NoReply), or answered with Error, or handled normally.
type Fault struct {
	// Delay holds the call this long before anything else happens. It is
	// cut short if the connection ends.
	Delay time.Duration
	// Error, if set, is sent as the reply instead of handling the call.
	Error *protocol.Error
	// Drop closes the connection instead of replying, as a crashing daemon
	// would.
	Drop bool
	// NoReply leaves the call unanswered; the connection stays open.
	NoReply bool
	// Count limits the fault to that many calls, after which the procedure
	// behaves again; 0 means every call.
	Count int
}

// SetFault makes calls of proc misbehave as f says, until ClearFault. It
// works for any procedure number, one the driver does not implement
// included (it then keeps answering "unknown procedure" once the fault is
// spent). It may be called while clients are connected.
func (s *Server) SetFault(proc protocol.Procedure, f Fault) {
	s.mu.Lock()
	if f.Delay > 0 {
		s.mayBlock.Store(true)
	}
	s.faults[proc] = &f
	s.mu.Unlock()
	s.register(proc)
}

// ClearFault removes the fault of proc.
func (s *Server) ClearFault(proc protocol.Procedure) {
	s.mu.Lock()
	delete(s.faults, proc)
	s.mu.Unlock()
}

// Handle replaces the handler of proc (of REMOTE_PROGRAM) by h, which may
// call the driver's own through next (nil for a procedure the driver does
// not implement). Faults still apply before h. It may be called while
// clients are connected.
func (s *Server) Handle(proc protocol.Procedure, h func(ctx context.Context, call *server.Call, next server.Handler) (protocol.Message, error)) {
	s.mu.Lock()
	s.custom[proc] = true
	s.mayBlock.Store(true)
	next := s.base[proc]
	s.base[proc] = func(ctx context.Context, call *server.Call) (protocol.Message, error) {
		return h(ctx, call, next)
	}
	s.mu.Unlock()
	s.register(proc)
}

// inline is the RPC server's Options.Inline: the driver's handlers answer
// from memory at once, so their calls run on the connection's reader
// goroutine; a procedure with a Handle override (which may wait on anything)
// or a Delay fault runs on a worker, so the connection keeps reading.
func (s *Server) inline(h *protocol.Header) bool {
	if h.Program != protocol.ProgramRemote || !testdriver.Prompt(h) {
		return false
	}
	if !s.mayBlock.Load() {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults[h.Procedure]
	return !s.custom[h.Procedure] && (f == nil || f.Delay == 0)
}

// register installs the wrapper that applies faults and overrides to proc.
func (s *Server) register(proc protocol.Procedure) {
	s.mu.Lock()
	done := s.wrapped[proc]
	s.wrapped[proc] = true
	s.mu.Unlock()
	if done {
		return
	}
	s.RPC.Handle(protocol.ProgramRemote, protocol.ProtocolVersion, proc, func(ctx context.Context, call *server.Call) (protocol.Message, error) {
		s.mu.Lock()
		h := s.base[proc]
		var f Fault
		fp := s.faults[proc]
		if fp != nil {
			f = *fp
			if fp.Count > 0 {
				if fp.Count--; fp.Count == 0 {
					delete(s.faults, proc)
				}
			}
		}
		s.mu.Unlock()
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, server.ErrNoReply
			}
		}
		switch {
		case f.Drop:
			call.Conn.Close()
			return nil, server.ErrNoReply
		case f.NoReply:
			return nil, server.ErrNoReply
		case f.Error != nil:
			return nil, f.Error
		case h == nil:
			// What the server answers for a procedure nobody registered.
			return nil, protocol.NewError(protocol.FromRPC, protocol.ErrRPC, fmt.Sprintf("unknown procedure: %d", int32(proc)))
		}
		return h(ctx, call)
	})
}
