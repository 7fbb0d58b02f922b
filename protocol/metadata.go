package protocol

import "github.com/virtwire/virtwire/xdr"

// MetadataType is virDomainMetadataType.
type MetadataType int32

// Metadata types.
const (
	MetadataDescription MetadataType = 0 // VIR_DOMAIN_METADATA_DESCRIPTION
	MetadataTitle       MetadataType = 1 // VIR_DOMAIN_METADATA_TITLE
	MetadataElement     MetadataType = 2 // VIR_DOMAIN_METADATA_ELEMENT
)

// DomainGetMetadataArgs is remote_domain_get_metadata_args
// (REMOTE_PROC_DOMAIN_GET_METADATA, 265). virsh list --title sends type
// TITLE, a NULL uri and flags 0 for each domain; a domain without a title
// answers VIR_ERR_NO_DOMAIN_METADATA, which virsh prints as an empty cell.
type DomainGetMetadataArgs struct {
	Dom   NonnullDomain
	Type  MetadataType
	URI   OptionalString
	Flags uint32
}

// AppendBinary appends the args, failing if a string is over StringMax.
func (a *DomainGetMetadataArgs) AppendBinary(b []byte) ([]byte, error) {
	if err := checkOptionalString("uri", len(b), a.URI); err != nil {
		return b, err
	}
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, int32(a.Type))
	b = appendOptionalString(b, a.URI)
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *DomainGetMetadataArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Type = MetadataType(d.Int32("type"))
	a.URI = decodeOptionalString(d, "uri")
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainGetMetadataArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

// DomainSetMetadataArgs is remote_domain_set_metadata_args
// (REMOTE_PROC_DOMAIN_SET_METADATA, 264). A NULL or empty Metadata removes a
// title or description.
type DomainSetMetadataArgs struct {
	Dom      NonnullDomain
	Type     MetadataType
	Metadata OptionalString
	Key      OptionalString
	URI      OptionalString
	Flags    uint32
}

// AppendBinary appends the args, failing if a string is over StringMax.
func (a *DomainSetMetadataArgs) AppendBinary(b []byte) ([]byte, error) {
	for _, s := range []OptionalString{a.Metadata, a.Key, a.URI} {
		if err := checkOptionalString("metadata", len(b), s); err != nil {
			return b, err
		}
	}
	b, err := a.Dom.AppendBinary(b)
	if err != nil {
		return b, err
	}
	b = xdr.AppendInt32(b, int32(a.Type))
	b = appendOptionalString(b, a.Metadata)
	b = appendOptionalString(b, a.Key)
	b = appendOptionalString(b, a.URI)
	return xdr.AppendUint32(b, a.Flags), nil
}

// DecodeXDR decodes the args.
func (a *DomainSetMetadataArgs) DecodeXDR(d *xdr.Decoder) {
	a.Dom.DecodeXDR(d)
	a.Type = MetadataType(d.Int32("type"))
	a.Metadata = decodeOptionalString(d, "metadata")
	a.Key = decodeOptionalString(d, "key")
	a.URI = decodeOptionalString(d, "uri")
	a.Flags = d.Uint32("flags")
}

// UnmarshalBinary decodes the args from b, ignoring trailing bytes.
func (a *DomainSetMetadataArgs) UnmarshalBinary(b []byte) error {
	_, err := Unmarshal(b, a)
	return err
}

type (
	// DomainGetMetadataRet is remote_domain_get_metadata_ret: metadata.
	DomainGetMetadataRet = StringRet
	// DomainGetXMLDescArgs is remote_domain_get_xml_desc_args
	// (REMOTE_PROC_DOMAIN_GET_XML_DESC, 14).
	DomainGetXMLDescArgs = DomainFlagsArgs
	// DomainGetXMLDescRet is remote_domain_get_xml_desc_ret: xml.
	DomainGetXMLDescRet = StringRet
)

// Flags of DOMAIN_GET_XML_DESC (virDomainXMLFlags). A read-only connection
// may not ask for SECURE or MIGRATABLE.
const (
	DomainXMLSecure     uint32 = 1 // VIR_DOMAIN_XML_SECURE
	DomainXMLInactive   uint32 = 2 // VIR_DOMAIN_XML_INACTIVE
	DomainXMLUpdateCPU  uint32 = 4 // VIR_DOMAIN_XML_UPDATE_CPU
	DomainXMLMigratable uint32 = 8 // VIR_DOMAIN_XML_MIGRATABLE
)
