package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// logLimiter is a token bucket of Options.LogRate lines per second for one
// connection, so a hostile peer cannot flood the log (test 61).
type logLimiter struct {
	mu         sync.Mutex
	logger     *slog.Logger
	rate       float64
	tokens     float64
	last       time.Time
	suppressed int
}

func (l *logLimiter) init(s *Server) {
	l.logger = s.opts.Logger
	l.rate = float64(s.opts.LogRate)
	l.tokens = l.rate
}

// allow takes a token, returning how many lines were suppressed since the
// last one allowed.
func (l *logLimiter) allow(now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.rate, l.tokens+now.Sub(l.last).Seconds()*l.rate)
	}
	l.last = now
	if l.tokens < 1 {
		l.suppressed++
		return false, 0
	}
	l.tokens--
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}

// logAllowed reports whether a line at level may be logged now, taking a
// token of the connection's rate limit, and how many lines were suppressed
// before it. Paths that run once per frame call it before formatting their
// arguments, so a flood of bad frames costs no allocation.
func (c *Conn) logAllowed(level slog.Level) (ok bool, suppressed int) {
	if !c.log.logger.Enabled(context.Background(), level) {
		return false, 0
	}
	ok, suppressed = c.log.allow(time.Now())
	if !ok {
		c.srv.st.logSuppressed.Add(1)
	}
	return ok, suppressed
}

// logEmit writes a line that logAllowed let through.
func (c *Conn) logEmit(level slog.Level, suppressed int, msg string, args ...any) {
	attrs := make([]any, 0, len(args)+8)
	attrs = append(attrs, "conn", c.id, "transport", c.transport.String())
	if a := c.raw.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		attrs = append(attrs, "remote", a.String())
	}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed)
	}
	c.log.logger.Log(context.Background(), level, msg, append(attrs, args...)...)
}

// logf logs one line about the connection, within its rate limit.
func (c *Conn) logf(level slog.Level, msg string, args ...any) {
	if ok, suppressed := c.logAllowed(level); ok {
		c.logEmit(level, suppressed, msg, args...)
	}
}

func stack() string { return string(debug.Stack()) }
