package protocol

import (
	"encoding/binary"
	"slices"
	"strings"

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
// when it is big enough (and not far too big), and copies the names of all
// domains into one buffer, so a call costs the same few allocations whatever
// the number of domains; the names share one string, which stays alive as
// long as any of them does.
func (r *ConnectListAllDomainsRet) DecodeXDR(d *xdr.Decoder) {
	n := d.Count("domains", DomainListMax, minNonnullDomainSize)
	if cap(r.Domains) >= n && cap(r.Domains) <= 4*n+64 {
		r.Domains = r.Domains[:n]
	} else {
		r.Domains = make([]NonnullDomain, n)
	}
	if n > 0 && !decodeDomainsFast(d, r.Domains) {
		// Malformed: decode field by field, for the decoder's precise
		// error (which field, at which offset).
		for i := range r.Domains {
			dom := &r.Domains[i]
			dom.Name = d.String("domains.name", StringMax)
			d.FixedOpaque("domains.uuid", dom.UUID[:])
			dom.ID = d.Int32("domains.id")
		}
	}
	r.Ret = d.Uint32("ret")
	if d.Err() != nil {
		r.Domains = r.Domains[:0]
	}
}

// decodeDomainsFast decodes len(doms) domains from d in three passes over
// the bytes, each a tight loop: the first checks every name's length
// against StringMax and the bytes left and adds up the names, the second
// copies the names into one buffer of exactly that size, and the third fills
// doms. It consumes the domains and reports true or, on input the first
// pass refuses, consumes nothing and reports false. It is what keeps a
// 16,384-domain listing at a few hundred microseconds (docs/performance.md).
func decodeDomainsFast(d *xdr.Decoder, doms []NonnullDomain) bool {
	b := d.Rest()
	off, names := 0, 0
	for range doms {
		if len(b)-off < minNonnullDomainSize {
			return false
		}
		l := binary.BigEndian.Uint32(b[off:])
		if l > StringMax {
			return false
		}
		off += minNonnullDomainSize + xdr.PaddedLen(int(l))
		if off > len(b) {
			return false
		}
		names += int(l)
	}
	end := off
	var arena strings.Builder
	arena.Grow(names)
	for off := 0; off < end; {
		l := int(binary.BigEndian.Uint32(b[off:]))
		arena.Write(b[off+4 : off+4+l])
		off += minNonnullDomainSize + xdr.PaddedLen(l)
	}
	all := arena.String()
	at, off := 0, 0
	for i := range doms {
		l := int(binary.BigEndian.Uint32(b[off:]))
		pl := xdr.PaddedLen(l)
		rec := b[off+4+pl : off+minNonnullDomainSize+pl] // UUID and ID
		dom := &doms[i]
		dom.Name = all[at : at+l]
		dom.UUID = UUID(rec)
		dom.ID = int32(binary.BigEndian.Uint32(rec[UUIDSize:]))
		at += l
		off += minNonnullDomainSize + pl
	}
	d.Skip("domains", off)
	return true
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *ConnectListAllDomainsRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}
