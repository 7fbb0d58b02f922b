package server

import (
	"log/slog"
	"time"
)

// StartKeepalive starts libvirt's keepalive on the connection: from now on
// the server sends a PING whenever Options.KeepaliveInterval passes without
// an inbound message, and closes the connection after KeepaliveInterval ×
// (KeepaliveCount+1) of silence, logging "internal error: connection closed
// due to keepalive timeout" (FACTS §8; d30: PINGs at 5, 10, 15, 20 and 25 s,
// close at 30 s). Any inbound message restarts the count. Without this call
// the server never pings (d31).
//
// The fake libvirtd calls it when it answers SUPPORTS_FEATURE(
// PROGRAM_KEEPALIVE), as libvirtd does. On a connection that is closed or
// closing it does nothing and returns ErrConnClosed (CVE-2014-1447); calling
// it twice, or with keepalive disabled in Options, does nothing.
func (c *Conn) StartKeepalive() error {
	if c.srv.opts.KeepaliveInterval < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finishing || c.closed() {
		return ErrConnClosed
	}
	if c.kaStop != nil {
		return nil
	}
	c.kaStop = make(chan struct{})
	c.wg.Add(1)
	go c.keepalive(c.kaStop)
	return nil
}

// keepalive is virKeepAliveTimer: it wakes when an interval has passed since
// the later of the last inbound message and the last PING.
func (c *Conn) keepalive(stop chan struct{}) {
	defer c.wg.Done()
	s := c.srv
	interval := int64(s.opts.KeepaliveInterval)
	count := s.opts.KeepaliveCount
	countToDeath := count
	intervalStart := c.lastRecv.Load()
	t := time.NewTimer(time.Duration(max(0, intervalStart+interval-s.now())))
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-stop:
			return
		case <-c.ctx.Done():
			return
		}
		now := s.now()
		if last := c.lastRecv.Load(); last > intervalStart {
			intervalStart, countToDeath = last, count
		}
		if elapsed := now - intervalStart; elapsed < interval {
			t.Reset(time.Duration(interval - elapsed))
			continue
		}
		if countToDeath == 0 {
			s.st.keepaliveTimeouts.Add(1)
			c.logf(slog.LevelError, "internal error: connection closed due to keepalive timeout")
			c.closeWith(ErrKeepaliveTimeout)
			return
		}
		countToDeath--
		intervalStart = now
		t.Reset(time.Duration(interval))
		if c.write(c.ctx, pingFrame) == nil {
			s.st.pingsSent.Add(1)
		}
	}
}
