package server

import "sync"

// Buffers for call payloads and encoded frames. A buffer is allocated at the
// size needed (a frame of 28 bytes costs 28 bytes, not a page), and reused
// when it is at most poolMax; bigger ones (a frame of up to 32 MiB) serve one
// call and are dropped, so an idle connection keeps nothing big.
const poolMax = 64 << 10

var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// getBuf returns an empty buffer for encoding a frame.
func getBuf() *[]byte {
	bp := bufPool.Get().(*[]byte)
	*bp = (*bp)[:0]
	return bp
}

func putBuf(bp *[]byte) {
	if cap(*bp) > poolMax {
		*bp = nil
	}
	bufPool.Put(bp)
}

// getPayload returns a buffer of length n.
func getPayload(n int) *[]byte {
	bp := getBuf()
	if cap(*bp) < n {
		*bp = make([]byte, n)
	}
	*bp = (*bp)[:n]
	return bp
}

// callPool recycles Calls: a Call is valid only while its handler and
// AfterReply functions run.
var callPool = sync.Pool{New: func() any { return new(Call) }}

func getCall() *Call { return callPool.Get().(*Call) }

func putCall(c *Call) {
	clear(c.after)
	*c = Call{after: c.after[:0]}
	callPool.Put(c)
}
