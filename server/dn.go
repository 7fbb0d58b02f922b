package server

import (
	"fmt"
	"unicode/utf8"

	"github.com/virtwire/virtwire/internal/certrules"
)

// FormatDN writes the DER-encoded distinguished name raw (a certificate's
// RawSubject) as libvirt sees it for tls_allowed_dn_list: the RDNs in the
// order they appear in the certificate, "TYPE=value" joined by ",", values
// escaped as RFC 4514 says. Go's pkix.Name.String reverses the order
// ("CN=libvirt,C=UK" where libvirt writes "C=UK,CN=libvirt"; RELIABILITY P7).
func FormatDN(raw []byte) (string, error) {
	dn, err := certrules.FormatDN(raw)
	if err != nil {
		return "", fmt.Errorf("server: %w", err)
	}
	return dn, nil
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
