#!/usr/bin/env bash
# Runs virtwire's side-by-side benchmarks (package bench) and writes the
# tables that docs/performance.md shows.
#
#   bench/run.sh                 # everything, 6 rounds
#   COUNT=10 bench/run.sh        # more rounds (samples per benchmark)
#   BENCH='Decode|Encode' bench/run.sh   # a subset (a go test -bench regexp)
#   OUT=/tmp/results bench/run.sh        # where the files go
#
# The benchmarks start their own servers (libvirtd, the fake libvirtd, the
# echo server, python3-libvirt); nothing has to run beforehand. Needs Go,
# and for the libvirtd and python rows libvirtd 9.0 and python3-libvirt
# (apt-get install libvirt-daemon libvirt-clients python3-libvirt); set
# VIRTWIRE_REQUIRE_LIBVIRTD=1 to fail instead of skipping without them.
#
# Files written to $OUT (default bench/results):
#   raw.txt      the benchmark binary's output, every round
#   machine.txt  lscpu, kernel, Go version and the load before and after
#   tables.txt   benchstat tables, implementations side by side (-col /impl)
#   targets.md   issue #8's targets with this run's ratios
set -euo pipefail
cd "$(dirname "$0")/.."

count="${COUNT:-6}"
bench="${BENCH:-.}"
out="${OUT:-bench/results}"
timeout="${TIMEOUT:-90m}"
# benchstat runs with go run at a fixed version, so it never enters go.mod.
benchstat_pkg="golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da"

mkdir -p "$out"
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
	echo "go: $(go version)"
	echo "kernel: $(uname -srm)"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	lscpu 2>/dev/null || true
} >"$out/machine.txt"

# The test binary is built once and run $count times with -test.count=1,
# appending to raw.txt: every round runs each implementation once, one
# after the other, so a machine that speeds up or slows down during the run
# moves all of them alike and the ratios between them hold. (go test
# -count N would run the N samples of one implementation back to back.)
bin="$(mktemp -d)/bench.test"
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./bench/
: >"$out/raw.txt"
for round in $(seq 1 "$count"); do
	echo "bench/run.sh: round $round of $count: -bench '$bench'" >&2
	echo "load at round $round: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
	(cd bench && "$bin" -test.run '^$' -test.bench "$bench" -test.count 1 -test.timeout "$timeout") | tee -a "$out/raw.txt"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"

# One table per benchmark and unit, implementations in columns; the first
# implementation of each row is the base the others are compared with (the
# floor, where there is one).
order='raw echo raw2 virtwire virtwire-reuse fake shared-conn conn-each go-xdr go-libvirt python libvirtd'
go run "$benchstat_pkg" -table .name -col "/impl@($order)" "$out/raw.txt" >"$out/tables.txt"
go run ./bench/targets "$out/raw.txt" >"$out/targets.md" || true

echo >&2
echo "bench/run.sh: wrote $out/raw.txt, $out/machine.txt, $out/tables.txt and $out/targets.md" >&2
cat "$out/targets.md"
