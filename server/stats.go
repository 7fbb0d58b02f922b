package server

import "sync/atomic"

// Stats are the server's counters and gauges, for tests and monitoring.
// Counters only grow; gauges (marked) give the current value.
type Stats struct {
	Connections      int64  // gauge: open connections
	Anonymous        int64  // gauge: connections not yet marked with Conn.SetOpened
	InFlight         int64  // gauge: calls dispatched and not yet answered, all connections
	MaxInFlight      int64  // the most calls ever in flight on one connection
	Accepted         uint64 // connections accepted
	Rejected         uint64 // connections refused before any frame (peer uid, TLS checks, OnConnect)
	Frames           uint64 // frames read
	Calls            uint64 // calls dispatched to a handler
	InlineCalls      uint64 // of those, calls run on the reader goroutine (Options.Inline)
	ErrorReplies     uint64 // REPLY/ERROR frames sent
	FramesDropped    uint64 // frames read and dropped without a reply (wrong type, unknown program)
	BadFrames        uint64 // connections closed for a bad length word
	FrameTimeouts    uint64 // connections closed because a frame did not complete in time
	WriteTimeouts    uint64 // connections closed because the client did not read
	KeepaliveTimeout uint64 // connections closed by keepalive
	PingsSent        uint64 // keepalive PINGs sent
	PongsSent        uint64 // keepalive PONGs sent
	Decodes          uint64 // call payloads decoded by Call.Decode (and so HandleTyped)
	DecodeErrors     uint64 // payloads that failed to decode
	TrailingBytes    uint64 // bytes after decoded arguments (libvirt ignores them, FACTS S11)
	HandlerPanics    uint64 // handlers that panicked (the connection is closed)
	LogSuppressed    uint64 // log lines dropped by the per-connection rate limit
}

type stats struct {
	connections, anonymous, inFlight, maxInFlight atomic.Int64

	accepted, rejected, frames, calls, inlineCalls, errorReplies, framesDropped, badFrames,
	frameTimeouts, writeTimeouts, keepaliveTimeouts, pingsSent, pongsSent,
	decodes, decodeErrors, trailingBytes, handlerPanics, logSuppressed atomic.Uint64
}

func (s *stats) snapshot() Stats {
	return Stats{
		Connections:      s.connections.Load(),
		Anonymous:        s.anonymous.Load(),
		InFlight:         s.inFlight.Load(),
		MaxInFlight:      s.maxInFlight.Load(),
		Accepted:         s.accepted.Load(),
		Rejected:         s.rejected.Load(),
		Frames:           s.frames.Load(),
		Calls:            s.calls.Load(),
		InlineCalls:      s.inlineCalls.Load(),
		ErrorReplies:     s.errorReplies.Load(),
		FramesDropped:    s.framesDropped.Load(),
		BadFrames:        s.badFrames.Load(),
		FrameTimeouts:    s.frameTimeouts.Load(),
		WriteTimeouts:    s.writeTimeouts.Load(),
		KeepaliveTimeout: s.keepaliveTimeouts.Load(),
		PingsSent:        s.pingsSent.Load(),
		PongsSent:        s.pongsSent.Load(),
		Decodes:          s.decodes.Load(),
		DecodeErrors:     s.decodeErrors.Load(),
		TrailingBytes:    s.trailingBytes.Load(),
		HandlerPanics:    s.handlerPanics.Load(),
		LogSuppressed:    s.logSuppressed.Load(),
	}
}

// storeMax raises v to at least n.
func storeMax(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if n <= old || v.CompareAndSwap(old, n) {
			return
		}
	}
}
