package faultconn

import (
	"context"
	"io"
	"net"
	"sync"
)

// Proxy forwards connections from a listener to a target address, applying
// faults to each direction. It disturbs peers whose code cannot be wrapped,
// such as a real libvirtd.
type Proxy struct {
	ln      net.Listener
	network string
	target  string
	toPeer  []Fault // applied to bytes sent to the target
	toCli   []Fault // applied to bytes sent back to the client

	mu    sync.Mutex
	pairs map[*pair]struct{}
	hole  bool
	wg    sync.WaitGroup
}

type pair struct{ client, target *Conn }

// NewProxy starts forwarding connections accepted on ln to network/target.
// toTarget faults disturb what the client sends, toClient faults what the
// target answers. Close stops it and closes every connection.
func NewProxy(ln net.Listener, network, target string, toTarget, toClient []Fault) *Proxy {
	p := &Proxy{ln: ln, network: network, target: target, toPeer: toTarget, toCli: toClient,
		pairs: map[*pair]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p
}

// Addr returns the address clients connect to.
func (p *Proxy) Addr() net.Addr { return p.ln.Addr() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		var d net.Dialer
		t, err := d.DialContext(context.Background(), p.network, p.target)
		if err != nil {
			c.Close()
			continue
		}
		pr := &pair{client: Wrap(c, p.toCli...), target: Wrap(t, p.toPeer...)}
		p.mu.Lock()
		if p.hole {
			pr.client.SetBlackhole(true)
			pr.target.SetBlackhole(true)
		}
		p.pairs[pr] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(pr, pr.target, pr.client)
		go p.pipe(pr, pr.client, pr.target)
	}
}

// pipe copies src to dst; when either side ends, both are closed.
func (p *Proxy) pipe(pr *pair, dst, src *Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	pr.client.Close()
	pr.target.Close()
	p.mu.Lock()
	delete(p.pairs, pr)
	p.mu.Unlock()
}

// SetBlackhole makes every current and future connection swallow traffic in
// both directions (on) or pass it again (off).
func (p *Proxy) SetBlackhole(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hole = on
	for pr := range p.pairs {
		pr.client.SetBlackhole(on)
		pr.target.SetBlackhole(on)
	}
}

// ResetAll resets every current connection on the client side.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for pr := range p.pairs {
		pr.client.reset()
		pr.target.Close()
	}
}

// Close stops accepting, closes every connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	for pr := range p.pairs {
		pr.client.Close()
		pr.target.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}
