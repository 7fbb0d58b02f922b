package protocol

// DomainAttrs is what the ListAllDomains filter looks at in a domain (FACTS
// §12, virDomainObjMatchFilter).
type DomainAttrs struct {
	Active        bool        // the domain has an ID (running, paused, crashed, pmsuspended…)
	Persistent    bool        // it has a stored configuration
	State         DomainState // virDomainObjGetState
	ManagedSave   bool        // it has a managed save image
	Autostart     bool        // it starts with the host
	HasSnapshot   bool        // it has at least one snapshot
	HasCheckpoint bool        // it has at least one checkpoint
}

// Match reports whether a domain with attributes a passes the filter f. A
// group with no bit set does not filter; a group with bits set keeps a
// domain matching any of them (so both bits of a pair keep everything);
// groups combine with AND; an impossible combination matches nothing.
// Unknown bits are ignored here: Check reports them.
func (f ListDomainsFlags) Match(a DomainAttrs) bool {
	return pick(f, ListDomainsActive, ListDomainsInactive, a.Active) &&
		pick(f, ListDomainsPersistent, ListDomainsTransient, a.Persistent) &&
		f.matchState(a.State) &&
		pick(f, ListDomainsManagedSave, ListDomainsNoManagedSave, a.ManagedSave) &&
		pick(f, ListDomainsAutostart, ListDomainsNoAutostart, a.Autostart) &&
		pick(f, ListDomainsHasSnapshot, ListDomainsNoSnapshot, a.HasSnapshot) &&
		pick(f, ListDomainsHasCheckpoint, ListDomainsNoCheckpoint, a.HasCheckpoint)
}

// pick applies one two-bit group: yes selects domains with the property, no
// those without; neither bit means no filter.
func pick(f, yes, no ListDomainsFlags, has bool) bool {
	if f&(yes|no) == 0 {
		return true
	}
	if has {
		return f&yes != 0
	}
	return f&no != 0
}

func (f ListDomainsFlags) matchState(s DomainState) bool {
	if f&groupMasks[GroupState] == 0 {
		return true
	}
	switch s {
	case DomainRunning:
		return f&ListDomainsRunning != 0
	case DomainPaused:
		return f&ListDomainsPaused != 0
	case DomainShutoff:
		return f&ListDomainsShutoff != 0
	}
	return f&ListDomainsOther != 0
}

// Check returns nil when f has only known bits, and otherwise the error
// libvirtd's test driver returns for them: VIR_ERR_INVALID_ARG from
// VIR_FROM_TEST, "unsupported flags (0x…) in function
// testConnectListAllDomains" naming only the unknown bits (FACTS S5, S6, §12).
func (f ListDomainsFlags) Check() error {
	return CheckFlags(uint32(f), uint32(ListDomainsFiltersAll), FromTest, "testConnectListAllDomains")
}

// FilterDomains is the whole ListAllDomains filter as libvirt 9.0's test
// driver applies it: unknown bits are an error (see Check), and otherwise the
// result holds, in their order, the domains whose attributes Match flags.
// The input is not modified.
func FilterDomains[T any](flags ListDomainsFlags, domains []T, attrs func(T) DomainAttrs) ([]T, error) {
	if err := flags.Check(); err != nil {
		return nil, err
	}
	out := make([]T, 0, len(domains))
	for _, d := range domains {
		if flags.Match(attrs(d)) {
			out = append(out, d)
		}
	}
	return out, nil
}
