package client

import (
	"strconv"
	"strings"
)

// This file holds the generic URI syntax the way libvirt sees it: libvirt's
// virURIParse calls libxml2's RFC 3986 parser (xmlParseURI), and
// virURIFormat its writer (xmlSaveUri). Both have quirks a CONNECT_OPEN name
// depends on: components are stored unescaped (and, being C strings, end at
// the first %00), the writer re-escapes paths and fragments with its own
// character sets, and query values are re-escaped by GLib's rules. The
// behaviour below was checked against libvirt 9.0's client library (see
// uri_oracle_test.go).

// rawURI is a parsed URI reference with every component unescaped, as
// libxml2's xmlURI holds it. A nil pointer field is an absent component.
type rawURI struct {
	scheme   string  // "" when the reference is relative
	user     *string // userinfo before '@'
	server   *string // host; brackets of an IPv6 literal removed later
	port     int     // 0 when absent
	path     *string
	queryRaw *string // the query exactly as written
	fragment *string
}

// Character classes of RFC 3986 as libxml2 tests them.
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool { return strings.IndexByte("!$&'()*+,;=", c) >= 0 }

// uriScanner walks a URI string the way libxml2's xmlParse3986* functions do.
type uriScanner struct {
	s   string
	pos int
}

func (p *uriScanner) at(i int) byte {
	if p.pos+i < len(p.s) {
		return p.s[p.pos+i]
	}
	return 0
}

func (p *uriScanner) pctEncoded() bool {
	return p.at(0) == '%' && isHex(p.at(1)) && isHex(p.at(2))
}

func (p *uriScanner) pchar() bool {
	c := p.at(0)
	return isUnreserved(c) || p.pctEncoded() || isSubDelim(c) || c == ':' || c == '@'
}

// next steps over one character, or over a whole %XX escape.
func (p *uriScanner) next() {
	if p.at(0) == '%' {
		p.pos += 3
	} else {
		p.pos++
	}
}

// unescapeURI decodes %XX escapes (the caller has checked them) and cuts the
// result at the first NUL, as a C string would end there.
func unescapeURI(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			c = byte(v)
			i += 2
		}
		if c == 0 {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

func ptr(s string) *string { return &s }

// parseURIReference parses s as libxml2's xmlParseURI does: first as an
// absolute URI, then as a relative reference. ok is false when it is
// neither.
func parseURIReference(s string) (u rawURI, ok bool) {
	if u, ok = parseAbsoluteURI(s); ok {
		return u, true
	}
	return parseRelativeRef(s)
}

func parseAbsoluteURI(s string) (rawURI, bool) {
	var u rawURI
	p := &uriScanner{s: s}
	if !isAlpha(p.at(0)) {
		return u, false
	}
	for c := p.at(0); isAlpha(c) || isDigit(c) || c == '+' || c == '-' || c == '.'; c = p.at(0) {
		p.pos++
	}
	u.scheme = s[:p.pos]
	if p.at(0) != ':' {
		return u, false
	}
	p.pos++
	if !p.hierPart(&u, false) || !p.queryFragment(&u) {
		return u, false
	}
	return u, true
}

func parseRelativeRef(s string) (rawURI, bool) {
	var u rawURI
	p := &uriScanner{s: s}
	if !p.hierPart(&u, true) || !p.queryFragment(&u) {
		return u, false
	}
	return u, true
}

// hierPart parses hier-part (or relative-part when relative is set):
// "//" authority path-abempty, path-absolute, path-rootless (path-noscheme)
// or an empty path.
func (p *uriScanner) hierPart(u *rawURI, relative bool) bool {
	switch {
	case p.at(0) == '/' && p.at(1) == '/':
		p.pos += 2
		if !p.authority(u) {
			return false
		}
		start := p.pos
		for p.at(0) == '/' {
			p.pos++
			p.segment(0, true)
		}
		if p.pos != start {
			u.path = ptr(unescapeURI(p.s[start:p.pos]))
		}
	case p.at(0) == '/':
		start := p.pos
		p.pos++
		if p.segment(0, false) {
			for p.at(0) == '/' {
				p.pos++
				p.segment(0, true)
			}
		}
		u.path = ptr(unescapeURI(p.s[start:p.pos]))
	case p.pchar():
		start := p.pos
		var forbid byte
		if relative {
			forbid = ':' // path-noscheme: no colon in the first segment
		}
		if !p.segment(forbid, false) {
			return false
		}
		for p.at(0) == '/' {
			p.pos++
			p.segment(0, true)
		}
		u.path = ptr(unescapeURI(p.s[start:p.pos]))
	}
	return true
}

// segment scans *pchar (segment) or 1*pchar (segment-nz), stopping at
// forbid when it is not 0.
func (p *uriScanner) segment(forbid byte, empty bool) bool {
	if !p.pchar() || (forbid != 0 && p.at(0) == forbid) {
		return empty
	}
	p.next()
	for p.pchar() && (forbid == 0 || p.at(0) != forbid) {
		p.next()
	}
	return true
}

// authority parses [userinfo "@"] host [":" port].
func (p *uriScanner) authority(u *rawURI) bool {
	start := p.pos
	for c := p.at(0); isUnreserved(c) || p.pctEncoded() || isSubDelim(c) || c == ':'; c = p.at(0) {
		p.next()
	}
	if p.at(0) == '@' {
		u.user = ptr(unescapeURI(p.s[start:p.pos]))
		p.pos++
	} else {
		p.pos = start
	}
	host := p.pos
	if p.at(0) == '[' {
		for p.at(0) != ']' && p.pos < len(p.s) {
			p.pos++
		}
		if p.at(0) != ']' {
			return false
		}
		p.pos++
	} else {
		for c := p.at(0); isUnreserved(c) || p.pctEncoded() || isSubDelim(c); c = p.at(0) {
			p.next()
		}
	}
	if p.pos != host {
		u.server = ptr(unescapeURI(p.s[host:p.pos]))
	}
	if p.at(0) == ':' {
		p.pos++
		if !isDigit(p.at(0)) {
			return false // libxml2 refuses an empty port
		}
		port := 0
		for isDigit(p.at(0)) {
			d := int(p.at(0) - '0')
			if port > (1<<31-1)/10 || port*10 > 1<<31-1-d {
				return false // above INT_MAX
			}
			port = port*10 + d
			p.pos++
		}
		u.port = port
	}
	return true
}

// queryFragment parses ["?" query] ["#" fragment] and requires the end of
// the string after them.
func (p *uriScanner) queryFragment(u *rawURI) bool {
	if p.at(0) == '?' {
		p.pos++
		start := p.pos
		for p.pchar() || p.at(0) == '/' || p.at(0) == '?' {
			p.next()
		}
		u.queryRaw = ptr(p.s[start:p.pos])
	}
	if p.at(0) == '#' {
		p.pos++
		start := p.pos
		for p.pchar() || p.at(0) == '/' || p.at(0) == '?' || p.at(0) == '[' || p.at(0) == ']' {
			p.next()
		}
		u.fragment = ptr(unescapeURI(p.s[start:p.pos]))
	}
	return p.pos == len(p.s)
}

// queryParam is one parameter of a query string.
type queryParam struct {
	name, value string
}

// parseQueryParams splits a raw query as libvirt's virURIParseParams does:
// sections end at '&', or at ';' when no '&' is left; "name" alone has the
// value ""; "=value" is dropped; names and values are unescaped.
func parseQueryParams(q string) []queryParam {
	var out []queryParam
	for q != "" {
		end := strings.IndexByte(q, '&')
		if end < 0 {
			end = strings.IndexByte(q, ';')
		}
		if end < 0 {
			end = len(q)
		}
		sec := q[:end]
		if end < len(q) {
			q = q[end+1:]
		} else {
			q = ""
		}
		if sec == "" {
			continue
		}
		name, value, hasEq := strings.Cut(sec, "=")
		switch {
		case !hasEq:
			out = append(out, queryParam{unescapeURI(name), ""})
		case name == "":
			// "=value" is ignored, as CGI.pm does.
		default:
			out = append(out, queryParam{unescapeURI(name), unescapeURI(value)})
		}
	}
	return out
}

const upperHex = "0123456789ABCDEF"

// escape writes s to b, with every byte that keep refuses as %XX in
// upper-case hex.
func escape(b *strings.Builder, s string, keep func(c byte) bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
}

// escapeQueryValue escapes a parameter value as GLib's
// g_string_append_uri_escaped(…, NULL, FALSE) does for libvirt's
// virURIFormatParams: everything but RFC 3986 unreserved characters.
func escapeQueryValue(b *strings.Builder, s string) {
	escape(b, s, isUnreserved)
}

// isMark is libxml2's "mark" set, which its writer keeps unescaped next to
// letters and digits.
func isMark(c byte) bool { return strings.IndexByte("-_.!~*'()", c) >= 0 }

// escapePath escapes a path as libxml2's xmlSaveUri does for a URI with
// the given scheme.
func escapePath(b *strings.Builder, scheme, s string) {
	// In a file: URI a Windows drive letter is written as it is.
	if scheme == "file" && len(s) >= 3 && s[0] == '/' && isAlpha(s[1]) && s[2] == ':' {
		b.WriteString(s[:3])
		s = s[3:]
	}
	escape(b, s, func(c byte) bool {
		return isAlpha(c) || isDigit(c) || isMark(c) || strings.IndexByte("/;@&=+$,", c) >= 0
	})
}

// escapeFragment escapes a fragment as xmlSaveUri does: unreserved and
// reserved characters stay.
func escapeFragment(b *strings.Builder, s string) {
	escape(b, s, func(c byte) bool {
		return isAlpha(c) || isDigit(c) || isMark(c) || strings.IndexByte(";/?:@&=+$,[]", c) >= 0
	})
}
