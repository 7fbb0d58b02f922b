// Package measure holds what the reliability tests of RELIABILITY.md
// measure the test process with, so the client, server and cross-package
// tests measure alike: its memory ([Memory]: RSS and the Go heap), its
// goroutines by what they run ([Stacks]), and whether the race detector,
// whose shadow memory and sync.Pool behaviour change both, is on ([Race]).
package measure
