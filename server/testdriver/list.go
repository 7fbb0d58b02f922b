package testdriver

import (
	"github.com/virtwire/virtwire/protocol"
)

// listAll is CONNECT_LIST_ALL_DOMAINS: the test driver's flag check
// (virCheckFlags(VIR_CONNECT_LIST_DOMAINS_FILTERS_ALL)), the filter
// (protocol.FilterDomains), then the dispatcher's limit, which applies to
// the count whether or not the client asked for the domains (FACTS §5).
// Domains come in node order; libvirtd's order is its hash table's (S4).
func (s *nodeState) listAll(needResults bool, flags protocol.ListDomainsFlags) (*protocol.ConnectListAllDomainsRet, *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if unknown := flags.Unknown(); unknown != 0 {
		return nil, protocol.UnsupportedFlagsError(protocol.FromTest, "testConnectListAllDomains", uint32(unknown))
	}
	doms, _ := protocol.FilterDomains(flags, s.doms, (*domainObj).attrs)
	if len(doms) > protocol.DomainListMax {
		return nil, errTooMany("domains", len(doms), protocol.DomainListMax)
	}
	ret := &protocol.ConnectListAllDomainsRet{Ret: uint32(len(doms))}
	if needResults {
		ret.Domains = make([]protocol.NonnullDomain, len(doms))
		for i, o := range doms {
			ret.Domains[i] = o.ref()
		}
	}
	return ret, nil
}

// numOfDomains is CONNECT_NUM_OF_DOMAINS (active) or
// CONNECT_NUM_OF_DEFINED_DOMAINS (inactive).
func (s *nodeState) numOf(active bool) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := int32(0)
	for _, o := range s.doms {
		if o.active() == active {
			n++
		}
	}
	return n
}

// listIDs is CONNECT_LIST_DOMAINS: at most max IDs of active domains, in
// node order. The dispatcher has checked max.
func (s *nodeState) listIDs(max int32) []int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := []int32{}
	for _, o := range s.doms {
		if len(ids) >= int(max) {
			break
		}
		if o.active() {
			ids = append(ids, o.id)
		}
	}
	return ids
}

// listDefined is CONNECT_LIST_DEFINED_DOMAINS: at most max names of
// inactive domains, in node order.
func (s *nodeState) listDefined(max int32) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{}
	for _, o := range s.doms {
		if len(names) >= int(max) {
			break
		}
		if !o.active() {
			names = append(names, o.name)
		}
	}
	return names
}

// lookupID, lookupName and lookupUUID are the DOMAIN_LOOKUP_BY_* procedures,
// whose not-found error is the bare "Domain not found".
func (s *nodeState) lookupID(id int32) (protocol.NonnullDomain, *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.doms {
		if o.active() && o.id == id {
			return o.ref(), nil
		}
	}
	return protocol.NonnullDomain{}, errNoDomain()
}

func (s *nodeState) lookupName(name string) (protocol.NonnullDomain, *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.byName[name]; o != nil {
		return o.ref(), nil
	}
	return protocol.NonnullDomain{}, errNoDomain()
}

func (s *nodeState) lookupUUID(u protocol.UUID) (protocol.NonnullDomain, *protocol.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.byUUID[u]; o != nil {
		return o.ref(), nil
	}
	return protocol.NonnullDomain{}, errNoDomain()
}
