package tlsmatrix

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Log is a slog.Handler that keeps every record, so a test can check that
// a warning was logged (no_verify=1, no_sanity=1, a non-critical
// keyUsage…). It is safe for concurrent use.
type Log struct {
	mu    sync.Mutex
	lines []string
	attrs []slog.Attr // of a handler made by WithAttrs
	root  *Log        // the Log that stores the lines
}

// Logger returns a logger that writes to l.
func (l *Log) Logger() *slog.Logger { return slog.New(l) }

func (l *Log) store() *Log {
	if l.root != nil {
		return l.root
	}
	return l
}

// Enabled reports true for every level.
func (l *Log) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps r as one line: "LEVEL message key=value…".
func (l *Log) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	}
	for _, a := range l.attrs {
		add(a)
	}
	r.Attrs(add)
	s := l.store()
	s.mu.Lock()
	s.lines = append(s.lines, b.String())
	s.mu.Unlock()
	return nil
}

// WithAttrs returns a handler that adds attrs to every record.
func (l *Log) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Log{attrs: append(append([]slog.Attr(nil), l.attrs...), attrs...), root: l.store()}
}

// WithGroup returns l: groups are not kept apart.
func (l *Log) WithGroup(string) slog.Handler { return l }

// Lines returns the records so far.
func (l *Log) Lines() []string {
	s := l.store()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// Has reports whether a record of the level contains every one of parts.
func (l *Log) Has(level slog.Level, parts ...string) bool {
	for _, line := range l.Lines() {
		if !strings.HasPrefix(line, level.String()+" ") {
			continue
		}
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return true
		}
	}
	return false
}

// Count returns the number of records of the level.
func (l *Log) Count(level slog.Level) int {
	n := 0
	for _, line := range l.Lines() {
		if strings.HasPrefix(line, level.String()+" ") {
			n++
		}
	}
	return n
}

// String returns the records, one a line.
func (l *Log) String() string { return strings.Join(l.Lines(), "\n") }
