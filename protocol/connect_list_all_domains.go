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

// decodeDomainsFast decodes len(doms) domains from d in one pass over the
// bytes. The names are copied into one buffer, sized up front to every byte
// that is not a fixed field (the names, their padding and whatever follows),
// so it never moves and each name is a substring of it. It consumes the
// domains and reports true or, on input it refuses (a length over StringMax
// or past the end), consumes nothing and reports false. It is what keeps a
// 16,384-domain listing at a few hundred microseconds (docs/performance.md).
func decodeDomainsFast(d *xdr.Decoder, doms []NonnullDomain) bool {
	b := d.Rest()
	bound := len(b) - len(doms)*minNonnullDomainSize
	if bound < 0 {
		return false
	}
	var arena strings.Builder
	arena.Grow(bound)
	off := 0
	for i := range doms {
		if len(b)-off < minNonnullDomainSize {
			return false
		}
		l := binary.BigEndian.Uint32(b[off:])
		if l > StringMax {
			return false
		}
		pl := xdr.PaddedLen(int(l))
		next := off + minNonnullDomainSize + pl
		if next > len(b) {
			return false
		}
		at := arena.Len()
		arena.Write(b[off+4 : off+4+int(l)])
		rec := b[off+4+pl : next] // UUID and ID
		dom := &doms[i]
		dom.Name = arena.String()[at:]
		dom.UUID = UUID(rec)
		dom.ID = int32(binary.BigEndian.Uint32(rec[UUIDSize:]))
		off = next
	}
	if slack := arena.Cap() - arena.Len(); slack > 4*len(doms)+64 {
		// Far more bytes followed the domains than padding explains: keep
		// only the names, not a buffer the size of the whole payload.
		compactNames(doms, arena.Len())
	}
	d.Skip("domains", off)
	return true
}

// compactNames copies the names of doms, size bytes in all, into one buffer
// of exactly that size and points the names at it.
func compactNames(doms []NonnullDomain, size int) {
	var arena strings.Builder
	arena.Grow(size)
	for i := range doms {
		arena.WriteString(doms[i].Name)
	}
	all, at := arena.String(), 0
	for i := range doms {
		l := len(doms[i].Name)
		doms[i].Name = all[at : at+l]
		at += l
	}
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *ConnectListAllDomainsRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}
