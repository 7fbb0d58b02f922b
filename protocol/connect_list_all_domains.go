package protocol

import (
	"encoding/binary"
	"slices"

	"github.com/virtwire/virtwire/xdr"
)

// ConnectListAllDomainsArgs is remote_connect_list_all_domains_args
// (REMOTE_PROC_CONNECT_LIST_ALL_DOMAINS, 273): 8 bytes on the wire.
type ConnectListAllDomainsArgs struct {
	// NeedResults asks for the domains; any non-zero value (-1 included)
	// counts as true, as in libvirt. With 0 the reply carries only the count.
	NeedResults int32
	Flags       ListDomainsFlags
}

// AppendBinary appends the args. It never fails.
func (a *ConnectListAllDomainsArgs) AppendBinary(b []byte) ([]byte, error) {
	b = xdr.AppendInt32(b, a.NeedResults)
	return xdr.AppendUint32(b, uint32(a.Flags)), nil
}

// DecodeXDR decodes the args.
func (a *ConnectListAllDomainsArgs) DecodeXDR(d *xdr.Decoder) {
	a.NeedResults = d.Int32("need_results")
	a.Flags = ListDomainsFlags(d.Uint32("flags"))
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *ConnectListAllDomainsArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// ConnectListAllDomainsRet is remote_connect_list_all_domains_ret: at most
// DomainListMax domains, in no particular order (FACTS S4), and Ret, the
// number of domains (which libvirt sets even when need_results was 0 and the
// list is empty, FACTS §5).
type ConnectListAllDomainsRet struct {
	Domains []NonnullDomain
	Ret     uint32
}

// AppendBinary appends the reply, failing if there are more than
// DomainListMax domains or a name is over StringMax.
func (r *ConnectListAllDomainsRet) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Domains) > DomainListMax {
		return b, tooLong("domains", len(b), len(r.Domains), DomainListMax)
	}
	size := 8
	for i := range r.Domains {
		if len(r.Domains[i].Name) > StringMax {
			return b, tooLong("domains.name", len(b), len(r.Domains[i].Name), StringMax)
		}
		size += xdr.StringSize(len(r.Domains[i].Name)) + UUIDSize + 4
	}
	b = slices.Grow(b, size)
	b = xdr.AppendUint32(b, uint32(len(r.Domains)))
	for i := range r.Domains {
		b = appendNonnullDomain(b, &r.Domains[i])
	}
	return xdr.AppendUint32(b, r.Ret), nil
}

// DecodeXDR decodes the reply. It reuses the backing array of r.Domains
// when it is big enough (and not far too big), and allocates the names of
// all domains at once, so a call costs the same few allocations whatever the
// number of domains; the names share one string, which stays alive as long
// as any of them does.
func (r *ConnectListAllDomainsRet) DecodeXDR(d *xdr.Decoder) {
	n := d.Count("domains", DomainListMax, minNonnullDomainSize)
	if cap(r.Domains) >= n && cap(r.Domains) <= 4*n+64 {
		r.Domains = r.Domains[:n]
	} else {
		r.Domains = make([]NonnullDomain, n)
	}
	if n > 0 {
		d.ShareStrings(nameBytes(d.Rest(), n))
	}
	for i := range r.Domains {
		dom := &r.Domains[i]
		dom.Name = d.String("domains.name", StringMax)
		d.FixedOpaque("domains.uuid", dom.UUID[:])
		dom.ID = d.Int32("domains.id")
	}
	r.Ret = d.Uint32("ret")
	if d.Err() != nil {
		r.Domains = r.Domains[:0]
	}
}

// nameBytes looks ahead over n encoded domains and returns the total length
// of their names, to size the shared name buffer exactly. It stops early on
// malformed input; the decoder then reports the error.
func nameBytes(b []byte, n int) int {
	total := 0
	for range n {
		if len(b) < 4 {
			break
		}
		l := binary.BigEndian.Uint32(b)
		if l > StringMax || uint64(l) > uint64(len(b)) {
			break
		}
		total += int(l)
		b = b[min(len(b), 4+xdr.PaddedLen(int(l))+UUIDSize+4):]
	}
	return total
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *ConnectListAllDomainsRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}
