// Package origins decides which browser origins a list allows: for CORS with credentials and for
// return_to. Besides exact origins, the keyword "localhost" allows every origin on this machine's
// loopback (any port, http or https) — the development setting, since credentials cannot go with
// a "*".
package origins

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Localhost is the keyword that allows any loopback origin.
const Localhost = "localhost"

// Set is a list of allowed origins.
type Set struct {
	exact     map[string]bool
	localhost bool
}

// Parse builds a Set from origins, URLs (only their origin counts) and the keyword "localhost".
// "*" is refused: a browser never sends credentials to a wildcard.
func Parse(entries ...string) (Set, error) {
	s := Set{exact: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == "*":
			return Set{}, fmt.Errorf(`"*" cannot go with credentials: name the origins, or use %q to allow any origin on localhost`, Localhost)
		case strings.EqualFold(e, Localhost):
			s.localhost = true
		default:
			o := Of(e)
			if o == "" {
				return Set{}, fmt.Errorf("%q is not an origin (scheme://host[:port])", e)
			}
			s.exact[o] = true
		}
	}
	return s, nil
}

// Of returns the normalised origin of an origin or URL (scheme://host[:port], lower case), or
// "" when it has none.
func Of(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// Allows reports whether origin (an Origin header, or a URL) is allowed.
func (s Set) Allows(origin string) bool {
	o := Of(origin)
	if o == "" {
		return false
	}
	if s.exact[o] {
		return true
	}
	return s.localhost && IsLoopback(o)
}

// IsLoopback reports whether origin's host is this machine's loopback (LoopbackHost).
func IsLoopback(origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && LoopbackHost(u.Host)
}

// LoopbackHost reports whether a host, with or without a port (a Host header), names this
// machine's loopback: localhost, a *.localhost name, or a loopback address.
func LoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SameOrigin reports whether origin (an Origin header) is the host the request reached: the
// mock's own pages post forms with an Origin header too.
func SameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
