package client

import (
	"context"
	"fmt"
	"time"

	"github.com/virtwire/virtwire/protocol"
)

// Keepalive defaults: virsh's -k and -K (FACTS §8).
const (
	DefaultKeepaliveInterval = 5 * time.Second
	DefaultKeepaliveCount    = 6
)

// controlLoop answers the server's keepalive PINGs and runs client
// keepalive once Dial starts it. Client keepalive follows libvirt's
// virKeepAliveTimer: when nothing at all has arrived from the server for
// interval, send a PING, up to count of them, one per interval; any frame
// from the server (a reply, an event, a PING or a PONG) starts the count
// again; when the count is used up and another interval passes in silence,
// the server is dead. A server that stops answering is thus declared dead
// interval × (count+1) after the last frame it sent: 35 s with virsh's 5 s
// and 6.
func (c *Conn) controlLoop() {
	defer close(c.ctlDone)
	var (
		ka           kaSettings
		timer        *time.Timer
		tick         <-chan time.Time
		countToDeath int
		lastPacket   time.Duration // since c.start
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-c.done:
			return
		case <-c.pongReq:
			_ = c.sendKeepalive(protocol.KeepaliveProcPong)
		case ka = <-c.kaStart:
			countToDeath = ka.count
			lastPacket = max(time.Since(c.start), time.Duration(c.lastRecv.Load()))
			timer = time.NewTimer(ka.interval)
			tick = timer.C
		case <-tick:
			now := time.Since(c.start)
			if lr := time.Duration(c.lastRecv.Load()); lr > lastPacket {
				lastPacket = lr
				countToDeath = ka.count
			}
			if idle := now - lastPacket; idle < ka.interval {
				timer.Reset(ka.interval - idle)
				continue
			}
			if countToDeath == 0 {
				c.fail(fmt.Errorf("%w: nothing received from the server for %v after %d keepalive pings",
					ErrKeepaliveTimeout, (now - lastPacket).Round(time.Millisecond), ka.count))
				return
			}
			countToDeath--
			_ = c.sendKeepalive(protocol.KeepaliveProcPing)
			timer.Reset(ka.interval)
		}
	}
}

// sendKeepalive sends a PING or PONG: KEEPALIVE_PROGRAM, type MESSAGE,
// serial 0, an empty payload (FACTS §2).
func (c *Conn) sendKeepalive(proc protocol.Procedure) error {
	h := protocol.Header{
		Program: protocol.ProgramKeepalive, Version: protocol.KeepaliveVersion, Procedure: proc,
		Type: protocol.TypeMessage, Serial: 0, Status: protocol.StatusOK,
	}
	return c.send(context.Background(), &h, nil)
}

// startKeepalive turns client keepalive on.
func (c *Conn) startKeepalive(interval time.Duration, count int) {
	c.writeWindow.Store(int64(interval * time.Duration(count+1)))
	c.kaStart <- kaSettings{interval: interval, count: count}
}
