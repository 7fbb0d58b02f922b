package libvirtd

import (
	"context"
	"sync"
	"testing"
	"time"
)

// VirshResult is what one virsh run printed, and its exit status.
type VirshResult struct {
	Stdout, Stderr string
	Exit           int
}

// VirshAll runs virsh against uri once for each of argsets ([Virsh]),
// four at a time, and returns the results in the order of argsets. Each
// run is bounded by timeout, unless it is zero. A run that cannot be made
// or is cut short is reported with t.Errorf; its result is kept as Virsh
// returned it.
func VirshAll(t testing.TB, uri string, timeout time.Duration, argsets [][]string) []VirshResult {
	t.Helper()
	res := make([]VirshResult, len(argsets))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i, args := range argsets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ctx := context.Background()
			if timeout != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			stdout, stderr, exit, err := Virsh(ctx, uri, args...)
			if err != nil {
				t.Errorf("virsh %v: %v", args, err)
			}
			res[i] = VirshResult{stdout, stderr, exit}
		}()
	}
	wg.Wait()
	return res
}

// VirshListBases are the three bases of `virsh list` (FACTS §12): the
// active domains (no option), --inactive and --all.
func VirshListBases() [][]string {
	return [][]string{{}, {"--inactive"}, {"--all"}}
}

// VirshListFilters are the filters of `virsh list` (FACTS §12) that
// virtwire is compared with virsh on: none, each one alone, and pairs
// that combine groups, overlap or contradict each other.
func VirshListFilters() [][]string {
	return [][]string{{}, {"--state-running"}, {"--state-paused"}, {"--state-shutoff"}, {"--state-other"},
		{"--persistent"}, {"--transient"}, {"--with-managed-save"}, {"--without-managed-save"}, {"--autostart"},
		{"--no-autostart"}, {"--with-snapshot"}, {"--without-snapshot"}, {"--with-checkpoint"}, {"--without-checkpoint"},
		{"--persistent", "--with-snapshot"}, {"--state-running", "--state-paused"}, {"--transient", "--state-shutoff"},
		{"--with-managed-save", "--without-managed-save"}}
}

// VirshListModes are the output modes of `virsh list`, alone and combined:
// the table (no option), --name, --uuid, --id, --title, --table and
// --managed-save.
func VirshListModes() [][]string {
	return [][]string{{}, {"--name"}, {"--uuid"}, {"--id"}, {"--title"}, {"--table"}, {"--managed-save"},
		{"--uuid", "--id", "--name"}, {"--id", "--name"}, {"--title", "--managed-save"}}
}
