package certrules

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
)

// Short names gnutls gives attribute types in a DN (gnutls_x509_crt_get_dn).
var dnShortNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "serialNumber",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "street",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "title",
	"2.5.4.17":                   "postalCode",
	"2.5.4.41":                   "name",
	"2.5.4.42":                   "givenName",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "EMAIL",
}

// FormatDN writes the DER-encoded distinguished name raw (a certificate's
// RawSubject) as libvirt sees it, in tls_allowed_dn_list and in its
// messages: the RDNs in the order they appear in the certificate,
// "TYPE=value" joined by ",", values escaped as RFC 4514 says. Go's
// pkix.Name.String reverses the order ("CN=libvirt,C=UK" where libvirt
// writes "C=UK,CN=libvirt"; RELIABILITY P7). Errors say what is wrong
// with raw, without a package prefix.
func FormatDN(raw []byte) (string, error) {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &seq)
	if err != nil {
		return "", fmt.Errorf("parsing DN: %w", err)
	}
	if len(rest) > 0 {
		return "", fmt.Errorf("parsing DN: %d trailing bytes", len(rest))
	}
	var b strings.Builder
	for i, rdn := range seq {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdn {
			if j > 0 {
				b.WriteByte('+')
			}
			oid := atv.Type.String()
			if name, ok := dnShortNames[oid]; ok {
				b.WriteString(name)
			} else {
				b.WriteString(oid)
			}
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				escapeDNValue(&b, s)
			} else {
				der, err := asn1.Marshal(atv.Value)
				if err != nil {
					return "", fmt.Errorf("DN attribute %s: %w", oid, err)
				}
				b.WriteByte('#')
				b.WriteString(hex.EncodeToString(der))
			}
		}
	}
	return b.String(), nil
}

func escapeDNValue(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';',
			c == '#' && i == 0,
			c == ' ' && (i == 0 || i == len(s)-1):
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == 0:
			b.WriteString(`\00`)
		default:
			b.WriteByte(c)
		}
	}
}

// Subject returns c's subject as [FormatDN] writes it, or as
// pkix.Name.String does when the DN cannot be parsed.
func Subject(c *x509.Certificate) string {
	if s, err := FormatDN(c.RawSubject); err == nil {
		return s
	}
	return c.Subject.String()
}
