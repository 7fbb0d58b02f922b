// Package bench holds virtwire's side-by-side benchmarks: the same work done
// by virtwire and by the implementations it is measured against, in one
// run, on one machine, so that the ratios between them mean something.
//
// It has no API; everything is in its _test.go files:
//
//   - BenchmarkDecodeListAllDomains, BenchmarkEncodeListAllDomains: the
//     CONNECT_LIST_ALL_DOMAINS reply at 10, 1,000 and 16,384 domains,
//     virtwire's codec against github.com/davecgh/go-xdr/xdr2.
//   - BenchmarkListAllDomainsLibvirtd: one ListAllDomains call against a
//     real libvirtd, from virtwire's client, go-libvirt, libvirt's C client
//     (python3-libvirt, timed inside the Python process) and a raw socket
//     client that sends a pre-encoded call and reads the reply frame
//     without decoding it (the floor).
//   - BenchmarkListAllDomainsEcho: the same clients against an echo server
//     that answers with a pre-encoded reply, so that only the clients' own
//     cost is left above the floor.
//   - BenchmarkServerCalls: calls per second and p50/p99 latency of small
//     ListAllDomains calls with 1, 8 and 64 raw clients, against the fake
//     libvirtd (server/libvirtdtest), the echo floor and the real libvirtd
//     serving the same node.
//   - BenchmarkConcurrentCalls: 64 goroutines sharing one virtwire Conn
//     against 64 goroutines with a Conn each.
//   - BenchmarkIdleConnMemory: the fake libvirtd's heap and stack per idle
//     connection.
//
// Sub-benchmark names end in impl=…, so that benchstat -col /impl puts the
// implementations side by side. bench/run.sh runs everything and writes the
// tables; docs/performance.md explains them. The benchmarks start their own
// daemons. Those that need libvirtd or python3-libvirt skip without them,
// and fail instead when CI or VIRTWIRE_REQUIRE_LIBVIRTD is set.
package bench
