package protocol

import "github.com/virtwire/virtwire/xdr"

// The pre-ListAllDomains listing procedures, which virsh falls back to when a
// server answers CONNECT_LIST_ALL_DOMAINS with VIR_ERR_NO_SUPPORT (FACTS §12).
type (
	// ConnectListDomainsArgs is remote_connect_list_domains_args
	// (REMOTE_PROC_CONNECT_LIST_DOMAINS, 37): maxids. libvirtd 9.0
	// refuses a negative value or one above DomainListMax, and truncates
	// the list to maxids.
	ConnectListDomainsArgs = Int32Value
	// ConnectListDefinedDomainsArgs is remote_connect_list_defined_domains_args
	// (REMOTE_PROC_CONNECT_LIST_DEFINED_DOMAINS, 21): maxnames.
	ConnectListDefinedDomainsArgs = Int32Value
)

// ConnectListDomainsRet is remote_connect_list_domains_ret: the IDs of the
// active domains, at most DomainListMax.
type ConnectListDomainsRet struct {
	IDs []int32
}

// AppendBinary appends the reply, failing with more than DomainListMax IDs.
func (r *ConnectListDomainsRet) AppendBinary(b []byte) ([]byte, error) {
	if len(r.IDs) > DomainListMax {
		return b, tooLong("ids", len(b), len(r.IDs), DomainListMax)
	}
	return xdr.AppendArray(b, r.IDs, xdr.AppendInt32), nil
}

// DecodeXDR decodes the reply.
func (r *ConnectListDomainsRet) DecodeXDR(d *xdr.Decoder) {
	r.IDs = xdr.DecodeArray(d, "ids", DomainListMax, 4, r.IDs, func(d *xdr.Decoder) int32 { return d.Int32("ids") })
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *ConnectListDomainsRet) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, r)
	return err
}

// NamesRet is a list of at most DomainListMax names: the ret of
// CONNECT_LIST_DEFINED_DOMAINS (remote_connect_list_defined_domains_ret, 21)
// and DOMAIN_SNAPSHOT_LIST_NAMES (remote_domain_snapshot_list_names_ret, 188;
// REMOTE_DOMAIN_SNAPSHOT_LIST_MAX is also 16384).
type NamesRet struct {
	Names []string
}

// AppendBinary appends the reply, failing with more than DomainListMax
// names or a name over StringMax.
func (r *NamesRet) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Names) > DomainListMax {
		return b, tooLong("names", len(b), len(r.Names), DomainListMax)
	}
	for _, n := range r.Names {
		if err := checkString("names", len(b), n, StringMax); err != nil {
			return b, err
		}
	}
	return xdr.AppendArray(b, r.Names, xdr.AppendString), nil
}

// DecodeXDR decodes the reply.
func (r *NamesRet) DecodeXDR(d *xdr.Decoder) {
	n := d.Count("names", DomainListMax, 4)
	if n > 0 {
		d.ShareStrings(d.Len())
	}
	r.Names = xdr.DecodeFixedArray(d, n, r.Names, func(d *xdr.Decoder) string { return d.String("names", StringMax) })
}

// UnmarshalBinary decodes the reply from b, ignoring trailing bytes.
func (r *NamesRet) UnmarshalBinary(b []byte) error { _, err := Unmarshal(b, r); return err }

// ConnectListDefinedDomainsRet is remote_connect_list_defined_domains_ret.
type ConnectListDefinedDomainsRet = NamesRet
