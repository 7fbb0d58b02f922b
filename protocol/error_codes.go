package protocol

import (
	"strconv"
	"strings"
)

// ErrorCode is virErrorNumber. It is itself an error, as syscall.Errno is,
// so errors.Is(err, ErrNoDomain) matches any error wrapping an *Error with
// that code.
type ErrorCode int32

// Error returns the code's C name, e.g. "VIR_ERR_NO_DOMAIN".
func (c ErrorCode) Error() string {
	s := c.String()
	if strings.HasPrefix(s, "WAR_") {
		return "VIR_" + s
	}
	return "VIR_ERR_" + s
}

// String returns the code's name without its VIR_ERR_ prefix (warnings keep
// WAR_), or the number.
func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(errorCodeNames) && errorCodeNames[c] != "" {
		return errorCodeNames[c]
	}
	return strconv.Itoa(int(c))
}

// Template returns the message templates libvirt's virErrorMsg gives the
// code: bare, used when there is no detail, and withInfo, whose "%s" the
// detail replaces (FACTS §9). A code without a known template gives "%s".
func (c ErrorCode) Template() (bare, withInfo string) {
	if t, ok := errorTemplates[c]; ok {
		return t[0], t[1]
	}
	return "%s", "%s"
}

// ErrorDomain is virErrorDomain: the part of libvirt that raised an error.
type ErrorDomain int32

// String returns the domain's name without its VIR_FROM_ prefix, or the number.
func (d ErrorDomain) String() string {
	if d >= 0 && int(d) < len(errorDomainNames) && errorDomainNames[d] != "" {
		return errorDomainNames[d]
	}
	return strconv.Itoa(int(d))
}
