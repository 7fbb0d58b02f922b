package protocol

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// ListDomainsFlags is virConnectListAllDomainsFlags: the filter flags of
// CONNECT_LIST_ALL_DOMAINS (FACTS §12). The 16 bits form 7 groups; see
// ListDomainsFlags.Match for what they mean.
type ListDomainsFlags uint32

// The filter flags, VIR_CONNECT_LIST_DOMAINS_*.
const (
	ListDomainsActive        ListDomainsFlags = 1 << 0  // ACTIVE: running, paused, crashed… (has an ID)
	ListDomainsInactive      ListDomainsFlags = 1 << 1  // INACTIVE: shut off (ID -1)
	ListDomainsPersistent    ListDomainsFlags = 1 << 2  // PERSISTENT: has a stored configuration
	ListDomainsTransient     ListDomainsFlags = 1 << 3  // TRANSIENT
	ListDomainsRunning       ListDomainsFlags = 1 << 4  // RUNNING: state 1
	ListDomainsPaused        ListDomainsFlags = 1 << 5  // PAUSED: state 3
	ListDomainsShutoff       ListDomainsFlags = 1 << 6  // SHUTOFF: state 5
	ListDomainsOther         ListDomainsFlags = 1 << 7  // OTHER: any other state
	ListDomainsManagedSave   ListDomainsFlags = 1 << 8  // MANAGEDSAVE: has a managed save image
	ListDomainsNoManagedSave ListDomainsFlags = 1 << 9  // NO_MANAGEDSAVE
	ListDomainsAutostart     ListDomainsFlags = 1 << 10 // AUTOSTART
	ListDomainsNoAutostart   ListDomainsFlags = 1 << 11 // NO_AUTOSTART
	ListDomainsHasSnapshot   ListDomainsFlags = 1 << 12 // HAS_SNAPSHOT
	ListDomainsNoSnapshot    ListDomainsFlags = 1 << 13 // NO_SNAPSHOT
	ListDomainsHasCheckpoint ListDomainsFlags = 1 << 14 // HAS_CHECKPOINT
	ListDomainsNoCheckpoint  ListDomainsFlags = 1 << 15 // NO_CHECKPOINT

	// ListDomainsFiltersAll is every defined bit (0xFFFF). Bits 16-31 are
	// unknown, and a driver refuses them (FACTS S6).
	ListDomainsFiltersAll ListDomainsFlags = 0xFFFF
)

// FilterGroup is one of the 7 groups of ListDomainsFlags.
type FilterGroup int

// The groups, in bit order.
const (
	GroupActive      FilterGroup = iota // ACTIVE | INACTIVE
	GroupPersistent                     // PERSISTENT | TRANSIENT
	GroupState                          // RUNNING | PAUSED | SHUTOFF | OTHER
	GroupManagedSave                    // MANAGEDSAVE | NO_MANAGEDSAVE
	GroupAutostart                      // AUTOSTART | NO_AUTOSTART
	GroupSnapshot                       // HAS_SNAPSHOT | NO_SNAPSHOT
	GroupCheckpoint                     // HAS_CHECKPOINT | NO_CHECKPOINT
	numFilterGroups
)

var groupMasks = [numFilterGroups]ListDomainsFlags{
	GroupActive:      ListDomainsActive | ListDomainsInactive,
	GroupPersistent:  ListDomainsPersistent | ListDomainsTransient,
	GroupState:       ListDomainsRunning | ListDomainsPaused | ListDomainsShutoff | ListDomainsOther,
	GroupManagedSave: ListDomainsManagedSave | ListDomainsNoManagedSave,
	GroupAutostart:   ListDomainsAutostart | ListDomainsNoAutostart,
	GroupSnapshot:    ListDomainsHasSnapshot | ListDomainsNoSnapshot,
	GroupCheckpoint:  ListDomainsHasCheckpoint | ListDomainsNoCheckpoint,
}

var groupNames = [numFilterGroups]string{"active", "persistent", "state", "managed save", "autostart", "snapshot", "checkpoint"}

// FilterGroups returns the 7 groups in bit order.
func FilterGroups() []FilterGroup {
	return []FilterGroup{GroupActive, GroupPersistent, GroupState, GroupManagedSave, GroupAutostart, GroupSnapshot, GroupCheckpoint}
}

// Mask returns the flag bits of the group.
func (g FilterGroup) Mask() ListDomainsFlags {
	if g < 0 || g >= numFilterGroups {
		return 0
	}
	return groupMasks[g]
}

// String returns the group's name, e.g. "managed save".
func (g FilterGroup) String() string {
	if g < 0 || g >= numFilterGroups {
		return "FilterGroup(" + strconv.Itoa(int(g)) + ")"
	}
	return groupNames[g]
}

var listFlagNames = [16]string{
	"ACTIVE", "INACTIVE", "PERSISTENT", "TRANSIENT", "RUNNING", "PAUSED", "SHUTOFF", "OTHER",
	"MANAGEDSAVE", "NO_MANAGEDSAVE", "AUTOSTART", "NO_AUTOSTART", "HAS_SNAPSHOT", "NO_SNAPSHOT",
	"HAS_CHECKPOINT", "NO_CHECKPOINT",
}

// Unknown returns the bits outside ListDomainsFiltersAll (bits 16-31).
func (f ListDomainsFlags) Unknown() ListDomainsFlags { return f &^ ListDomainsFiltersAll }

// String returns the set flags by name, without the VIR_CONNECT_LIST_DOMAINS_
// prefix, joined by "|", with unknown bits as one hex number: "ACTIVE|PERSISTENT",
// "INACTIVE|0x40000000". Zero is "0".
func (f ListDomainsFlags) String() string {
	if f == 0 {
		return "0"
	}
	var sb strings.Builder
	for v := f & ListDomainsFiltersAll; v != 0; v &= v - 1 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString(listFlagNames[bits.TrailingZeros32(uint32(v))])
	}
	if u := f.Unknown(); u != 0 {
		if sb.Len() > 0 {
			sb.WriteByte('|')
		}
		sb.WriteString("0x")
		sb.WriteString(strconv.FormatUint(uint64(u), 16))
	}
	return sb.String()
}

// ParseListDomainsFlags parses flags written as String writes them, or as
// libvirt's C names, or as numbers: names are matched case-insensitively with
// or without the VIR_CONNECT_LIST_DOMAINS_ prefix, "-" may stand for "_",
// terms are separated by "|", "," or "+", and a term may be a decimal, 0x
// hexadecimal or 0o/0b number. The empty string is 0.
func ParseListDomainsFlags(s string) (ListDomainsFlags, error) {
	var f ListDomainsFlags
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	for _, term := range strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == ',' || r == '+' }) {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		if c := term[0]; '0' <= c && c <= '9' {
			v, err := strconv.ParseUint(term, 0, 32)
			if err != nil {
				return 0, fmt.Errorf("protocol: list flags %q: bad number %q", s, term)
			}
			f |= ListDomainsFlags(v)
			continue
		}
		name := strings.ToUpper(strings.ReplaceAll(term, "-", "_"))
		name = strings.TrimPrefix(name, "VIR_CONNECT_LIST_DOMAINS_")
		found := false
		for i, n := range listFlagNames {
			if n == name {
				f |= 1 << i
				found = true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("protocol: list flags %q: unknown flag %q", s, term)
		}
	}
	return f, nil
}
