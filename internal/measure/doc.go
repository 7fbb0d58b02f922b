// Package measure holds what virtwire's tests and benchmarks measure with,
// so the client, server and cross-package ones measure alike: the test
// process's memory ([Memory]: RSS and the Go heap), its goroutines by what
// they run ([Stacks]), whether the race detector, whose shadow memory and
// sync.Pool behaviour change both, is on ([Race]), and for benchmarks b.N
// calls spread over workers ([Workers]) with their rate and latency
// percentiles ([ReportLatency]).
package measure
