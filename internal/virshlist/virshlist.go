// Package virshlist prints domain lists exactly as virsh 9.0's `list`
// command prints them: its sort order, its table layout (vshTable) and its
// --name, --uuid and --id modes. It is pure formatting: the caller fetches
// the domains.
package virshlist

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/virtwire/virtwire/protocol"
)

// Row is one domain as virsh list shows it.
type Row struct {
	Host        string // shown in a first column when Options.Host is set
	Name        string
	UUID        protocol.UUID
	ID          int32 // -1 when inactive
	State       protocol.DomainState
	ManagedSave bool   // has a managed save image (shown as "saved" with Options.ManagedSave)
	Title       string // with Options.Title
}

// Options selects virsh list's output mode.
type Options struct {
	Name, UUID, ID bool // any of these selects the plain mode; otherwise the table
	Title          bool // a Title column (table mode only)
	ManagedSave    bool // "saved" for shut-off domains with a managed save image
	Quiet          bool // no header, no separator, no trailing blank line (virsh -q)
	Host           bool // a first Host column (several hosts listed at once)
}

// Table reports whether opts print a table: none of --name, --uuid, --id.
func (o Options) Table() bool { return !o.Name && !o.UUID && !o.ID }

// Sort orders rows as virsh does (FACTS S4): by host first when rows come
// from several hosts (stable: the caller's host order is kept), then active
// domains by ID ascending, then inactive ones by name, compared as ASCII
// case-insensitively (strcasecmp).
func Sort(rows []Row) {
	hostRank := map[string]int{}
	for _, r := range rows {
		if _, ok := hostRank[r.Host]; !ok {
			hostRank[r.Host] = len(hostRank)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Host != b.Host {
			return hostRank[a.Host] < hostRank[b.Host]
		}
		aActive, bActive := a.ID != -1, b.ID != -1
		if aActive != bActive {
			return aActive
		}
		if aActive {
			return uint32(a.ID) < uint32(b.ID)
		}
		return strcasecmp(a.Name, b.Name) < 0
	})
}

func strcasecmp(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := lower(a[i]), lower(b[i])
		if x != y {
			return int(x) - int(y)
		}
	}
	return len(a) - len(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// StateString returns virsh's text for a state (virshDomainStateToString),
// or "saved" for a shut-off domain with a managed save image when
// managedSave is set.
func StateString(s protocol.DomainState, hasManagedSave, managedSave bool) string {
	if managedSave && hasManagedSave && s == protocol.DomainShutoff {
		return "saved"
	}
	switch s {
	case protocol.DomainRunning:
		return "running"
	case protocol.DomainBlocked:
		return "idle"
	case protocol.DomainPaused:
		return "paused"
	case protocol.DomainShutdown:
		return "in shutdown"
	case protocol.DomainShutoff:
		return "shut off"
	case protocol.DomainCrashed:
		return "crashed"
	case protocol.DomainPMSuspended:
		return "pmsuspended"
	}
	return "no state"
}

// Write prints rows (already sorted) in the mode opts select, followed by
// virsh's trailing blank line unless opts.Quiet.
func Write(w io.Writer, rows []Row, opts Options) error {
	var sb strings.Builder
	if opts.Table() {
		writeTable(&sb, rows, opts)
	} else {
		writePlain(&sb, rows, opts)
	}
	if !opts.Quiet {
		sb.WriteByte('\n')
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func idString(id int32) string {
	if id == -1 {
		return "-"
	}
	return strconv.Itoa(int(id))
}

// writePlain prints one line per domain with the fields uuid, id and name,
// in that fixed order whatever the option order; --id alone skips inactive
// domains.
func writePlain(sb *strings.Builder, rows []Row, opts Options) {
	idOnly := opts.ID && !opts.UUID && !opts.Name
	for _, r := range rows {
		if idOnly && r.ID == -1 {
			continue
		}
		var fields []string
		if opts.Host {
			fields = append(fields, r.Host)
		}
		if opts.UUID {
			fields = append(fields, r.UUID.String())
		}
		if opts.ID {
			fields = append(fields, idString(r.ID))
		}
		if opts.Name {
			fields = append(fields, r.Name)
		}
		sb.WriteString(strings.Join(fields, " "))
		sb.WriteByte('\n')
	}
}

// writeTable prints vshTable's layout: every cell is a space and its text;
// every cell but the last is padded to the column's width plus two spaces;
// the column width is the widest cell, header included; the separator has
// width+3 dashes per column.
func writeTable(sb *strings.Builder, rows []Row, opts Options) {
	header := []string{"Id", "Name", "State"}
	if opts.Host {
		header = append([]string{"Host"}, header...)
	}
	if opts.Title {
		header = append(header, "Title")
	}
	cells := make([][]string, 0, len(rows)+1)
	if !opts.Quiet {
		cells = append(cells, header)
	}
	for _, r := range rows {
		row := []string{idString(r.ID), r.Name, StateString(r.State, r.ManagedSave, opts.ManagedSave)}
		if opts.Host {
			row = append([]string{r.Host}, row...)
		}
		if opts.Title {
			row = append(row, r.Title)
		}
		for i := range row {
			row[i] = sanitize(row[i])
		}
		cells = append(cells, row)
	}
	widths := make([]int, len(header))
	for _, row := range cells {
		for i, c := range row {
			widths[i] = max(widths[i], Width(c))
		}
	}
	for n, row := range cells {
		for i, c := range row {
			sb.WriteByte(' ')
			sb.WriteString(c)
			if i < len(row)-1 {
				sb.WriteString(strings.Repeat(" ", widths[i]-Width(c)+2))
			}
		}
		sb.WriteByte('\n')
		if n == 0 && !opts.Quiet {
			total := 0
			for _, w := range widths {
				total += w + 3
			}
			sb.WriteString(strings.Repeat("-", total))
			sb.WriteByte('\n')
		}
	}
}

// sanitize escapes what virsh's vshTableSafeEncode escapes: non-printable
// characters become \xNN per byte, and a backslash followed by 'x' becomes
// \x5c, so the output cannot be mistaken for an escape.
func sanitize(s string) string {
	if !needsEscape(s) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' && i+1 < len(s) && s[i+1] == 'x':
			sb.WriteString(`\x5c`)
		case !printable(r, size):
			for _, b := range []byte(s[i : i+size]) {
				fmt.Fprintf(&sb, `\x%02x`, b)
			}
		default:
			sb.WriteString(s[i : i+size])
		}
		i += size
	}
	return sb.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || (c == '\\' && i+1 < len(s) && s[i+1] == 'x') {
			return true
		}
	}
	return false
}

func printable(r rune, size int) bool {
	if r == utf8.RuneError && size <= 1 {
		return false
	}
	return !(r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0))
}

// Width returns the display width of an already sanitized string, as glibc's
// wcwidth counts it in a UTF-8 locale: combining and zero-width characters
// count 0, East Asian wide characters and emoji 2, everything else 1.
func Width(s string) int {
	w := 0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

func runeWidth(r rune) int {
	switch {
	case r == 0x00ad: // soft hyphen is shown
		return 1
	case unicode.In(r, unicode.Mn, unicode.Me) || r == 0x200b || (r >= 0x200c && r <= 0x200f) || r == 0xfeff:
		return 0
	case isWide(r):
		return 2
	}
	return 1
}

// wideRanges are the East Asian Wide and Fullwidth blocks and the emoji
// blocks that glibc counts as two columns.
var wideRanges = [][2]rune{
	{0x1100, 0x115f}, {0x2e80, 0x303e}, {0x3041, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff},
	{0xa000, 0xa4cf}, {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe30, 0xfe4f}, {0xff00, 0xff60},
	{0xffe0, 0xffe6}, {0x1f300, 0x1f64f}, {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd}, {0x30000, 0x3fffd},
}

func isWide(r rune) bool {
	for _, rg := range wideRanges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}
