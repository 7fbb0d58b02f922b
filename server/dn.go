package server

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
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
// RawSubject) as libvirt sees it for tls_allowed_dn_list: the RDNs in the
// order they appear in the certificate, "TYPE=value" joined by ",", values
// escaped as RFC 4514 says. Go's pkix.Name.String reverses the order
// ("CN=libvirt,C=UK" where libvirt writes "C=UK,CN=libvirt"; RELIABILITY P7).
func FormatDN(raw []byte) (string, error) {
	var seq pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &seq)
	if err != nil {
		return "", fmt.Errorf("server: parsing DN: %w", err)
	}
	if len(rest) > 0 {
		return "", fmt.Errorf("server: parsing DN: %d trailing bytes", len(rest))
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
					return "", fmt.Errorf("server: DN attribute %s: %w", oid, err)
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

// MatchDN reports whether dn matches the glob pattern as GLib's
// g_pattern_match_simple matches tls_allowed_dn_list entries: '*' matches
// any run of characters (none included), '?' any one character, and every
// other character itself; there are no escapes or classes.
func MatchDN(pattern, dn string) bool {
	// Iterative matching with backtracking to the last '*'.
	p, s := 0, 0
	starP, starS := -1, 0
	for s < len(dn) {
		if p < len(pattern) {
			switch pattern[p] {
			case '*':
				starP, starS = p, s
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(dn[s:])
				p++
				s += n
				continue
			default:
				if pattern[p] == dn[s] {
					p++
					s++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' take one more character.
		_, n := utf8.DecodeRuneInString(dn[starS:])
		starS += n
		p, s = starP+1, starS
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
