package flow

import "crypto/subtle"

// CSRFMatches reports whether a submit's body token, and its avnl_csrf cookie when present,
// equal the flow's token (REQ-CSRF-002, REQ-CSRF-003).
func (f *Flow) CSRFMatches(bodyToken, cookieToken string) bool {
	if bodyToken == "" || subtle.ConstantTimeCompare([]byte(bodyToken), []byte(f.CSRFToken)) != 1 {
		return false
	}
	return cookieToken == "" || subtle.ConstantTimeCompare([]byte(cookieToken), []byte(f.CSRFToken)) == 1
}
