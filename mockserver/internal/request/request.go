// Package request carries what a service needs to know about the HTTP request it serves —
// credentials, cookies and the client — without seeing the request itself.
package request

import "regexp"

// Cookie names (D8).
const (
	SessionCookie = "avnl_session"
	CSRFCookie    = "avnl_csrf"
)

// Request is the caller as services see it.
type Request struct {
	BearerToken   string // from Authorization: Bearer
	SessionCookie string // avnl_session
	CSRFCookie    string // avnl_csrf
	UserAgent     string
	IP            string
}

// SessionToken is the presented session token: the bearer token wins over the cookie.
func (r Request) SessionToken() string {
	if r.BearerToken != "" {
		return r.BearerToken
	}
	return r.SessionCookie
}

var csrfFormat = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// ValidCSRFCookie reports whether the request carries a CSRF cookie the mock could have minted.
func (r Request) ValidCSRFCookie() bool { return csrfFormat.MatchString(r.CSRFCookie) }

// CSRFToken is the token a new flow carries: the browser's avnl_csrf cookie when it has a valid
// one (one token per browser, many flows), else a minted one that the caller must set as the
// cookie (REQ-CSRF-001).
func (r Request) CSRFToken(mint func() string) (token string, minted bool) {
	if r.ValidCSRFCookie() {
		return r.CSRFCookie, false
	}
	return mint(), true
}
