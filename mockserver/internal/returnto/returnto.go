// Package returnto checks return_to URLs against the deployment's allow-list (REQ-FLOW-006).
package returnto

import (
	"net/url"
	"strings"

	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// AllowList holds allowed origins (scheme://host[:port]).
type AllowList struct{ origins map[string]bool }

// New builds an allow-list from origins or URLs; only their origins count.
func New(entries ...string) AllowList {
	a := AllowList{origins: map[string]bool{}}
	for _, e := range entries {
		if o := origin(e); o != "" {
			a.origins[o] = true
		}
	}
	return a
}

func origin(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// Check answers nil for an empty or allowed return_to, else 400 _016.
func (a AllowList) Check(returnTo string) *apierr.Error {
	if returnTo == "" {
		return nil
	}
	if o := origin(returnTo); o != "" && a.origins[o] {
		return nil
	}
	e := apierr.New(apierr.ReturnToNotAllowed, "The return_to URL is not on the allow-list.")
	return e
}
