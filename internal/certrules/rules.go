package certrules

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"time"
)

// OIDs of the extensions whose presence and criticality libvirt looks at.
var (
	OIDKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	OIDBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	OIDExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// Extension reports whether c has the extension oid and whether it is
// critical.
func Extension(c *x509.Certificate, oid asn1.ObjectIdentifier) (present, critical bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true, e.Critical
		}
	}
	return false, false
}

// Role is what a certificate is checked for.
type Role int

// The roles of libvirt's checks.
const (
	CA     Role = iota // a trusted CA certificate
	Server             // a TLS server's certificate
	Client             // a TLS client's certificate
)

// String returns the role as libvirt names it in its messages: "CA",
// "server" or "client".
func (r Role) String() string {
	switch r {
	case CA:
		return "CA"
	case Server:
		return "server"
	case Client:
		return "client"
	}
	return fmt.Sprintf("role %d", int(r))
}

// Problem is a rule a certificate breaks.
type Problem int

// The problems [Validity] and [Check] report.
const (
	Expired            Problem = iota + 1 // now is after NotAfter
	NotYetActive                          // now is before NotBefore
	NoBasicConstraints                    // a CA without basicConstraints
	NotCA                                 // a CA whose basicConstraints do not say CA
	IsCA                                  // a leaf whose basicConstraints say CA
	KeyUsage                              // keyUsage lacks a bit the role needs (Finding.Usage)
	ExtKeyUsage                           // extKeyUsage allows neither the role nor any use
)

// Finding is one rule a certificate breaks. A fatal finding refuses the
// certificate; any other is a warning.
type Finding struct {
	Problem Problem
	Usage   x509.KeyUsage // for KeyUsage: the bit that is missing
	Fatal   bool
}

// Validity returns Expired or NotYetActive when now is outside c's
// validity window, and 0 when it is inside. Expiry is checked first, as
// libvirt checks it (virNetTLSContextCheckCertTimes).
func Validity(c *x509.Certificate, now time.Time) Problem {
	switch {
	case now.After(c.NotAfter):
		return Expired
	case now.Before(c.NotBefore):
		return NotYetActive
	}
	return 0
}

// Check applies libvirt's extension rules to c in role (FACTS §11;
// RELIABILITY.md L3, test 48) and returns what c breaks, in libvirt's
// order, ending at the first fatal finding:
//
//   - basicConstraints: a CA must have it, with CA set; a leaf must not be
//     a CA. Both are fatal.
//   - keyUsage: keyCertSign for a CA, digitalSignature then
//     keyEncipherment for a leaf; fatal only when the extension is
//     critical. A certificate without the extension passes.
//   - extKeyUsage, for a leaf only: TLS server or client use as the role
//     says, or any use; fatal only when the extension is critical. A
//     certificate without the extension passes.
//
// peer is set for the other end's certificate, where two rules are
// stricter (RELIABILITY.md test 50): an extKeyUsage without the role is
// fatal even when not critical, as crypto/x509 has it (libvirt only
// warns); and a keyUsage without digitalSignature is fatal even when not
// critical, since the peer signed the handshake with that key: gnutls, and
// so libvirt, refuses such a peer during the handshake ("Key usage
// violation in certificate has been detected").
func Check(c *x509.Certificate, role Role, peer bool) []Finding {
	var out []Finding
	if bc, _ := Extension(c, OIDBasicConstraints); role == CA {
		if !bc {
			return append(out, Finding{Problem: NoBasicConstraints, Fatal: true})
		}
		if !c.IsCA {
			return append(out, Finding{Problem: NotCA, Fatal: true})
		}
	} else if bc && c.IsCA {
		return append(out, Finding{Problem: IsCA, Fatal: true})
	}
	if ku, critical := Extension(c, OIDKeyUsage); ku {
		need := []x509.KeyUsage{x509.KeyUsageDigitalSignature, x509.KeyUsageKeyEncipherment}
		if role == CA {
			need = []x509.KeyUsage{x509.KeyUsageCertSign}
		}
		for _, u := range need {
			if c.KeyUsage&u != 0 {
				continue
			}
			f := Finding{Problem: KeyUsage, Usage: u, Fatal: critical || (peer && u == x509.KeyUsageDigitalSignature)}
			if out = append(out, f); f.Fatal {
				return out
			}
		}
	}
	if role != CA {
		if eku, critical := Extension(c, OIDExtKeyUsage); eku && !allows(c, role) {
			out = append(out, Finding{Problem: ExtKeyUsage, Fatal: critical || peer})
		}
	}
	return out
}

// allows reports whether c's extKeyUsage allows TLS use in role, or any
// use.
func allows(c *x509.Certificate, role Role) bool {
	want := x509.ExtKeyUsageServerAuth
	if role == Client {
		want = x509.ExtKeyUsageClientAuth
	}
	for _, u := range c.ExtKeyUsage {
		if u == want || u == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}

// UsageName returns libvirt's words for a keyUsage bit: "certificate
// signing", "digital signature", "key encipherment".
func UsageName(u x509.KeyUsage) string {
	switch u {
	case x509.KeyUsageCertSign:
		return "certificate signing"
	case x509.KeyUsageDigitalSignature:
		return "digital signature"
	case x509.KeyUsageKeyEncipherment:
		return "key encipherment"
	}
	return fmt.Sprintf("usage %#x", int(u))
}
