// Command targets reads the output of bench/run.sh's rounds and prints, as a
// Markdown table, each of issue #8's targets with the ratio measured in that
// run (the ratio of the two medians), how the ratio varied from round to
// round, and whether it is met.
//
//	go run ./bench/targets results.txt
//
// It exits with status 1 if a benchmark a target needs is missing, and 0
// otherwise, whether or not the targets are met: meeting them is for the
// reader to judge from the table, not a test.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// samples holds every value of each benchmark and unit.
type samples map[string]map[string][]float64

// procsSuffix is the -GOMAXPROCS suffix go test adds to names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

func parse(r io.Reader) (samples, error) {
	s := samples{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := procsSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if s[name] == nil {
				s[name] = map[string][]float64{}
			}
			s[name][f[i+1]] = append(s[name][f[i+1]], v)
		}
	}
	return s, sc.Err()
}

// median returns the median of name's values in unit.
func (s samples) median(name, unit string) (float64, error) {
	v := slices.Clone(s[name][unit])
	if len(v) == 0 {
		return 0, fmt.Errorf("no %s for %s", unit, name)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], nil
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, nil
}

// perRound pairs the i-th sample of num with the i-th of den (run.sh runs
// every benchmark once per round, in order) and formats the minimum,
// median and maximum of their ratios: how much the ratio moved from round
// to round.
func (s samples) perRound(num, den, unit string) string {
	a, b := s[num][unit], s[den][unit]
	n := min(len(a), len(b))
	if n == 0 {
		return ""
	}
	r := make([]float64, n)
	for i := range n {
		r[i] = a[i] / b[i]
	}
	slices.Sort(r)
	med := r[n/2]
	if n%2 == 0 {
		med = (r[n/2-1] + r[n/2]) / 2
	}
	return fmt.Sprintf("%.2f / %.2f / %.2f", r[0], med, r[n-1])
}

type target struct {
	what  string  // the target, as the issue states it
	num   string  // benchmark whose median is the numerator
	den   string  // and the denominator
	unit  string  // "ns/op", "calls/s", …
	op    string  // "<=" or ">="
	limit float64 // the ratio to reach
	note  string
}

var targets = []target{
	{what: "decode 16,384 domains: go-xdr ÷ virtwire", num: "DecodeListAllDomains/domains=16384/impl=go-xdr", den: "DecodeListAllDomains/domains=16384/impl=virtwire", unit: "ns/op", op: ">=", limit: 10, note: "20× within reach"},
	{what: "libvirtd, 10 domains: virtwire ÷ raw floor", num: "ListAllDomainsLibvirtd/domains=10/impl=virtwire", den: "ListAllDomainsLibvirtd/domains=10/impl=raw", unit: "ns/op", op: "<=", limit: 1.05},
	{what: "libvirtd, 1,000 domains: virtwire ÷ raw floor", num: "ListAllDomainsLibvirtd/domains=1000/impl=virtwire", den: "ListAllDomainsLibvirtd/domains=1000/impl=raw", unit: "ns/op", op: "<=", limit: 1.05},
	{what: "libvirtd, 16,384 domains: virtwire ÷ raw floor", num: "ListAllDomainsLibvirtd/domains=16384/impl=virtwire", den: "ListAllDomainsLibvirtd/domains=16384/impl=raw", unit: "ns/op", op: "<=", limit: 1.05},
	{what: "control: libvirtd, 10 domains: raw2 ÷ raw (two floors)", num: "ListAllDomainsLibvirtd/domains=10/impl=raw2", den: "ListAllDomainsLibvirtd/domains=10/impl=raw", unit: "ns/op", op: "<=", limit: 1.05, note: "A/A: the noise"},
	{what: "control: libvirtd, 1,000 domains: raw2 ÷ raw", num: "ListAllDomainsLibvirtd/domains=1000/impl=raw2", den: "ListAllDomainsLibvirtd/domains=1000/impl=raw", unit: "ns/op", op: "<=", limit: 1.05, note: "A/A"},
	{what: "control: libvirtd, 16,384 domains: raw2 ÷ raw", num: "ListAllDomainsLibvirtd/domains=16384/impl=raw2", den: "ListAllDomainsLibvirtd/domains=16384/impl=raw", unit: "ns/op", op: "<=", limit: 1.05, note: "A/A"},
	{what: "echo server, 16,384 domains: virtwire ÷ raw floor", num: "ListAllDomainsEcho/domains=16384/impl=virtwire", den: "ListAllDomainsEcho/domains=16384/impl=raw", unit: "ns/op", op: "<=", limit: 3},
	{what: "64 clients: fake ÷ echo floor, calls/s", num: "ServerCalls/clients=64/impl=fake", den: "ServerCalls/clients=64/impl=echo", unit: "calls/s", op: ">=", limit: 0.5},
	{what: "1 client: fake ÷ libvirtd, calls/s", num: "ServerCalls/clients=1/impl=fake", den: "ServerCalls/clients=1/impl=libvirtd", unit: "calls/s", op: ">=", limit: 5},
	{what: "8 clients: fake ÷ libvirtd, calls/s", num: "ServerCalls/clients=8/impl=fake", den: "ServerCalls/clients=8/impl=libvirtd", unit: "calls/s", op: ">=", limit: 5},
	{what: "64 clients: fake ÷ libvirtd, calls/s", num: "ServerCalls/clients=64/impl=fake", den: "ServerCalls/clients=64/impl=libvirtd", unit: "calls/s", op: ">=", limit: 5},
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: targets RESULTS.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	s, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	missing := false
	fmt.Println("| target | measured | per round: min / median / max | goal | met |")
	fmt.Println("|---|---|---|---|---|")
	for _, t := range targets {
		num, err1 := s.median(t.num, t.unit)
		den, err2 := s.median(t.den, t.unit)
		if err := cmpErr(err1, err2); err != nil || den == 0 {
			fmt.Printf("| %s | missing (%v) | | %s %g× | – |\n", t.what, err, t.op, t.limit)
			missing = true
			continue
		}
		r := num / den
		met := (t.op == ">=" && r >= t.limit) || (t.op == "<=" && r <= t.limit)
		goal := fmt.Sprintf("%s %g×", t.op, t.limit)
		if t.note != "" {
			goal += " (" + t.note + ")"
		}
		fmt.Printf("| %s | %.3g× | %s | %s | %s |\n", t.what, r, s.perRound(t.num, t.den, t.unit), goal, yesNo(met))
	}
	// Allocations: constant for decode, zero for encode.
	var decAllocs []string
	constant, decMissing := true, false
	var first float64
	for i, n := range []string{"10", "1000", "16384"} {
		a, err := s.median("DecodeListAllDomains/domains="+n+"/impl=virtwire", "allocs/op")
		if err != nil {
			missing, decMissing = true, true
			decAllocs = append(decAllocs, "?")
			continue
		}
		if i == 0 {
			first = a
		}
		constant = constant && a == first
		decAllocs = append(decAllocs, strconv.FormatFloat(a, 'f', -1, 64))
	}
	fmt.Printf("| decode allocations at 10 / 1,000 / 16,384 domains | %s | | constant | %s |\n", strings.Join(decAllocs, " / "), metOrMissing(constant, decMissing))
	var encAllocs []string
	zero, encMissing := true, false
	for _, n := range []string{"10", "1000", "16384"} {
		a, err := s.median("EncodeListAllDomains/domains="+n+"/impl=virtwire", "allocs/op")
		if err != nil {
			missing, encMissing = true, true
			encAllocs = append(encAllocs, "?")
			continue
		}
		zero = zero && a == 0
		encAllocs = append(encAllocs, strconv.FormatFloat(a, 'f', -1, 64))
	}
	fmt.Printf("| encode allocations into a reused buffer at 10 / 1,000 / 16,384 | %s | | 0 | %s |\n", strings.Join(encAllocs, " / "), metOrMissing(zero, encMissing))
	if m, err := s.median("IdleConnMemory/impl=fake", "B/conn"); err == nil {
		fmt.Printf("| fake: memory per idle connection (heap + stacks) | %.1f KiB | | < 64 KiB | %s |\n", m/1024, yesNo(m < 64<<10))
	} else {
		fmt.Printf("| fake: memory per idle connection | missing | | < 64 KiB | – |\n")
		missing = true
	}
	if missing {
		os.Exit(1)
	}
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func metOrMissing(ok, missing bool) string {
	if missing {
		return "–"
	}
	return yesNo(ok)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
