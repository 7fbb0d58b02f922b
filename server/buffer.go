package server

import "sync"

// Buffers for call payloads and encoded replies. Buffers up to poolMax are
// reused; bigger ones (a frame of up to 32 MiB) are allocated for the one
// call and dropped, so an idle connection keeps nothing big.
const (
	poolMax     = 64 << 10
	poolInitial = 4 << 10
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, poolInitial)
	return &b
}}

// getBuf returns an empty buffer for encoding a frame.
func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(bp *[]byte) {
	if cap(*bp) > poolMax {
		return
	}
	*bp = (*bp)[:0]
	bufPool.Put(bp)
}

// getPayload returns a buffer of length n.
func getPayload(n int) *[]byte {
	if n > poolMax {
		b := make([]byte, n)
		return &b
	}
	bp := getBuf()
	if cap(*bp) < n {
		*bp = make([]byte, n, max(n, poolInitial))
	}
	*bp = (*bp)[:n]
	return bp
}

func putPayload(bp *[]byte) { putBuf(bp) }
