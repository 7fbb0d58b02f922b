package server

import "time"

// workerIdle is how long a worker goroutine waits for another call before it
// returns.
const workerIdle = time.Second

// task is one call for a worker: what runCall needs.
type task struct {
	c    *Conn
	call *Call
	h    Handler
	bp   *[]byte
}

// runTask runs a call on a worker goroutine: an idle one if there is one,
// else a new one. Workers outlive their call and wait up to workerIdle for
// the next (of any connection), so a busy server does not pay, per call, for
// a new goroutine and for growing its stack from the minimum to what a
// handler needs; in a profile of 64 clients listing 10 domains from the
// fake libvirtd, stack growth alone was a third of the instructions.
// Per-connection limits are unchanged: the connection's slot is taken
// before the call gets here and given back by runCall.
func (s *Server) runTask(t task) {
	select {
	case s.work <- t:
		return
	default:
	}
	s.workers.Add(1)
	go s.worker(t)
}

// worker runs t, then the calls other connections hand over, until it has
// been idle for workerIdle or the server closes. The connections' own
// WaitGroups still count each call, so a connection ends only after its
// calls; Close and Shutdown wait for the workers after the connections.
func (s *Server) worker(t task) {
	defer s.workers.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		t.c.runCall(t.call, t.h, t.bp)
		t = task{}
		idle.Reset(workerIdle)
		select {
		case t = <-s.work:
		case <-idle.C:
			return
		case <-s.done:
			return
		}
	}
}
