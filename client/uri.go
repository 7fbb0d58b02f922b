package client

import (
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/virtwire/virtwire/protocol"
)

// Default ports of the network transports (LIBVIRTD_TCP_PORT and
// LIBVIRTD_TLS_PORT, FACTS §10).
const (
	DefaultTCPPort = 16509
	DefaultTLSPort = 16514
)

// DefaultURIEnv is the environment variable ParseURI reads when it is given
// an empty URI (FACTS §10).
const DefaultURIEnv = "LIBVIRT_DEFAULT_URI"

// Transport is how the remote driver reaches the daemon
// (remoteDriverTransport). Only TransportUnix, TransportTCP and TransportTLS
// can be dialed; the others parse, and Dial reports them as not supported.
type Transport int

// Transports, in libvirt's order.
const (
	TransportTLS     Transport = iota // tls: TCP with TLS (the default with a host)
	TransportUnix                     // unix: a local socket (the default without a host)
	TransportSSH                      // ssh: the ssh binary running nc or virt-ssh-helper
	TransportLibSSH2                  // libssh2
	TransportExt                      // ext: an external command
	TransportTCP                      // tcp: plain TCP, no encryption
	TransportLibSSH                   // libssh
)

var transportNames = [...]string{"tls", "unix", "ssh", "libssh2", "ext", "tcp", "libssh"}

// String returns the transport's name as written after "+" in a URI.
func (t Transport) String() string {
	if t >= 0 && int(t) < len(transportNames) {
		return transportNames[t]
	}
	return "Transport(" + strconv.Itoa(int(t)) + ")"
}

// Mode is remoteDriverMode: which daemon's socket a unix connection uses.
type Mode int

// Modes (the URI's mode= parameter).
const (
	// ModeAuto uses the per-driver socket (virtqemud-sock…) if it exists,
	// else libvirtd's libvirt-sock if that exists, else the build default,
	// which is legacy on Debian (FACTS §10).
	ModeAuto Mode = iota
	// ModeLegacy uses libvirtd's libvirt-sock[-ro].
	ModeLegacy
	// ModeDirect uses the modular daemon's virt<driver>d-sock[-ro].
	ModeDirect
)

var modeNames = [...]string{"auto", "legacy", "direct"}

// String returns the mode's name as the mode= parameter spells it.
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Param is one query parameter, unescaped.
type Param struct {
	Name, Value string
}

// URI is a libvirt connection URI as libvirt's remote driver understands it
// (FACTS §10): driver[+transport]://[user@][host][:port]/[path][?params][#fragment].
// ParseURI fills it; the fields are read-only afterwards.
type URI struct {
	// Raw is the URI as given (after LIBVIRT_DEFAULT_URI was applied); ""
	// when the connection probes the daemon for its default.
	Raw string
	// Scheme is the whole scheme, e.g. "qemu+tls"; Driver is the part before
	// "+", e.g. "qemu" (case kept), and Transport is the part after it, or
	// the default (tls with a host, unix without).
	Scheme    string
	Driver    string
	Transport Transport
	// User and Host are unescaped; Host has no brackets around an IPv6
	// address and is "" when the URI names none. Port is 0 when absent.
	User string
	Host string
	Port int
	// Path and Fragment are unescaped; HasFragment tells "#" from none.
	Path        string
	Fragment    string
	HasFragment bool
	// Params holds every query parameter in order, consumed or not.
	Params []Param

	// The parameters the remote driver consumes (matched case-insensitively;
	// the last occurrence wins). Name is the name= override of the
	// CONNECT_OPEN name, Valid when present.
	Name             protocol.OptionalString
	Socket           string // socket=: the unix socket path
	PKIPath          string // pkipath=: the TLS directory
	TLSPriority      string // tls_priority=: a gnutls priority string
	Mode             Mode   // mode=: auto (default), legacy or direct
	Proxy            string // proxy=: auto, netcat or native (ssh only)
	Auth             string // auth=: sasl, sasl.<mech> or polkit
	Command          string // command=: ssh/ext binary
	SSHAuth          string // sshauth= (libssh/libssh2)
	Netcat           string // netcat= (ssh)
	Keyfile          string // keyfile= (ssh)
	KnownHosts       string // known_hosts= (libssh/libssh2)
	KnownHostsVerify string // known_hosts_verify= (libssh/libssh2)
	NoVerify         bool   // no_verify=N, N≠0: accept a server certificate that fails the checks
	NoSanity         bool   // no_sanity=N, N≠0: skip the checks of our own certificates
	NoTTY            bool   // no_tty=N, N≠0 (ssh)

	// passthrough are the parameters sent on in the CONNECT_OPEN name.
	passthrough []Param
	probe       bool
}

// ParseURI parses a connection URI exactly as libvirt 9.0's remote driver
// does (FACTS §10). An empty s means the value of LIBVIRT_DEFAULT_URI, and
// if that is empty too, a URI that probes the local daemon for its default
// (CONNECT_OPEN with the name "", as libvirt does with a NULL URI).
//
// Errors are *protocol.Error values with libvirt's code, domain and text:
// VIR_ERR_INTERNAL_ERROR from VIR_FROM_URI "Unable to parse URI …" for bad
// syntax, VIR_ERR_NO_CONNECT for a URI without a scheme, and
// VIR_ERR_INVALID_ARG from VIR_FROM_REMOTE for an unknown transport, a unix
// transport with a host, or a bad no_verify/no_sanity/no_tty, mode or proxy
// value. The ssh, libssh, libssh2 and ext transports parse; Dial refuses
// them.
func ParseURI(s string) (*URI, error) {
	if s == "" {
		s = os.Getenv(DefaultURIEnv)
	}
	if s == "" {
		return &URI{Transport: TransportUnix, probe: true}, nil
	}
	raw, ok := parseURIReference(s)
	if !ok {
		return nil, protocol.NewError(protocol.FromURI, protocol.ErrInternalError, "Unable to parse URI "+s)
	}
	if raw.scheme == "" {
		return nil, protocol.NewError(protocol.FromNone, protocol.ErrNoConnect, "URI '"+s+"' does not include a driver name")
	}
	u := &URI{Raw: s, Scheme: raw.scheme, Port: raw.port}
	if raw.user != nil {
		u.User = *raw.user
	}
	if raw.server != nil {
		u.Host = *raw.server
		if n := len(u.Host); n > 1 && u.Host[0] == '[' && u.Host[n-1] == ']' && strings.Contains(u.Host, ":") {
			u.Host = u.Host[1 : n-1]
		}
	}
	if raw.path != nil {
		u.Path = *raw.path
	}
	if raw.fragment != nil {
		u.Fragment, u.HasFragment = *raw.fragment, true
	}

	// remoteSplitURIScheme.
	driver, transport, hasTransport := strings.Cut(u.Scheme, "+")
	u.Driver = driver
	switch {
	case hasTransport:
		t, ok := lookupTransport(transport)
		if !ok {
			return nil, remoteInvalidArg("remote_open: transport in URL not recognised (should be tls|unix|ssh|ext|tcp|libssh2|libssh)")
		}
		if t == TransportUnix && raw.server != nil {
			return nil, remoteInvalidArg("using unix socket and remote server '" + u.Host + "' is not supported.")
		}
		u.Transport = t
	case raw.server != nil:
		u.Transport = TransportTLS
	default:
		u.Transport = TransportUnix
	}

	// doRemoteOpen's parameter loop.
	var modeStr, proxyStr *string
	if raw.queryRaw != nil {
		for _, qp := range parseQueryParams(*raw.queryRaw) {
			p := Param{Name: qp.name, Value: qp.value}
			u.Params = append(u.Params, p)
			consumed, err := u.consume(p, &modeStr, &proxyStr)
			if err != nil {
				return nil, err
			}
			if !consumed {
				u.passthrough = append(u.passthrough, p)
			}
		}
	}
	if modeStr != nil {
		m, ok := lookupMode(*modeStr)
		if !ok {
			return nil, remoteInvalidArg("Unknown remote mode '" + *modeStr + "'")
		}
		u.Mode = m
	}
	if proxyStr != nil {
		switch *proxyStr {
		case "auto", "netcat", "native":
			u.Proxy = *proxyStr
		default:
			// libvirt 9.0 spells it this way.
			return nil, remoteInvalidArg("Unnkown proxy type '" + *proxyStr + "'")
		}
	}
	return u, nil
}

// consume applies one parameter the remote driver knows and reports whether
// it was consumed.
func (u *URI) consume(p Param, modeStr, proxyStr **string) (bool, error) {
	str := map[string]*string{
		"command": &u.Command, "socket": &u.Socket, "auth": &u.Auth, "sshauth": &u.SSHAuth,
		"netcat": &u.Netcat, "keyfile": &u.Keyfile, "pkipath": &u.PKIPath, "known_hosts": &u.KnownHosts,
		"known_hosts_verify": &u.KnownHostsVerify, "tls_priority": &u.TLSPriority,
	}
	name := strings.ToLower(p.Name)
	if dst, ok := str[name]; ok {
		*dst = p.Value
		return true, nil
	}
	switch name {
	case "name":
		u.Name = protocol.Some(p.Value)
	case "mode":
		*modeStr = &p.Value
	case "proxy":
		*proxyStr = &p.Value
	case "no_sanity", "no_verify", "no_tty":
		v, ok := parseCInt(p.Value)
		if !ok {
			return false, remoteInvalidArg("Failed to parse value of URI component " + p.Name)
		}
		switch name {
		case "no_sanity":
			u.NoSanity = v != 0
		case "no_verify":
			u.NoVerify = v != 0
		case "no_tty":
			u.NoTTY = v != 0
		}
	case "authfile":
		// Stripped: libvirt's client reads it for its auth callbacks.
	default:
		return false, nil
	}
	return true, nil
}

// parseCInt parses a base-10 int as libvirt's virStrToLong_i with no end
// pointer does: leading white space and a sign are allowed, the whole
// string must be used, and the value must fit an int.
func parseCInt(s string) (int, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}

func lookupTransport(s string) (Transport, bool) {
	s = strings.ToLower(s)
	for i, n := range transportNames {
		if n == s {
			return Transport(i), true
		}
	}
	return 0, false
}

func lookupMode(s string) (Mode, bool) {
	for i, n := range modeNames {
		if n == s { // case-sensitive, as libvirt's enum lookup
			return Mode(i), true
		}
	}
	return 0, false
}

func remoteInvalidArg(detail string) *protocol.Error {
	return protocol.NewError(protocol.FromRemote, protocol.ErrInvalidArg, detail)
}

// IsProbe reports whether the URI is the empty one, which asks the daemon
// to pick its default hypervisor.
func (u *URI) IsProbe() bool { return u.probe }

// String returns u.Raw.
func (u *URI) String() string { return u.Raw }

// OpenName returns the name the client sends in CONNECT_OPEN, built as
// libvirt's remote driver builds it (FACTS §10): the name= parameter if
// given; "" for a probe or a scheme of remote or remote+…; otherwise the
// driver scheme without its transport, "//" with no host, the path, the
// parameters the remote driver did not consume (values re-escaped) and the
// fragment. qemu+tls://h/system?socket=x gives qemu:///system.
func (u *URI) OpenName() string {
	if u.Name.Valid {
		return u.Name.Value
	}
	if u.probe || u.Scheme == "remote" || strings.HasPrefix(u.Scheme, "remote+") {
		return ""
	}
	var b strings.Builder
	b.WriteString(u.Driver)
	b.WriteString("://")
	escapePath(&b, u.Driver, u.Path)
	for i, p := range u.passthrough {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(p.Name)
		b.WriteByte('=')
		escapeQueryValue(&b, p.Value)
	}
	if u.HasFragment {
		b.WriteByte('#')
		escapeFragment(&b, u.Fragment)
	}
	return b.String()
}

// PassThrough returns the query parameters sent on to the daemon in the
// CONNECT_OPEN name, in order.
func (u *URI) PassThrough() []Param { return append([]Param(nil), u.passthrough...) }

// Hostname returns the host the connection goes to and that a TLS server
// certificate must name: the URI's host, or "localhost".
func (u *URI) Hostname() string {
	if u.Host == "" {
		return "localhost"
	}
	return u.Host
}

// Address returns host:port for the tcp and tls transports, with the
// default port of the transport when the URI has none, and "" for the
// others.
func (u *URI) Address() string {
	port := u.Port
	switch u.Transport {
	case TransportTCP:
		if port <= 0 {
			port = DefaultTCPPort
		}
	case TransportTLS:
		if port <= 0 {
			port = DefaultTLSPort
		}
	default:
		return ""
	}
	return net.JoinHostPort(u.Hostname(), strconv.Itoa(port))
}
