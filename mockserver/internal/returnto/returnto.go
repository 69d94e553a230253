// Package returnto checks return_to URLs against the deployment's allow-list (REQ-FLOW-006).
package returnto

import (
	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// AllowList holds allowed origins (scheme://host[:port], or the keyword "localhost").
type AllowList struct{ origins origins.Set }

// New builds an allow-list from origins or URLs; only their origins count.
func New(entries ...string) (AllowList, error) {
	s, err := origins.Parse(entries...)
	return AllowList{origins: s}, err
}

// Check answers nil for an empty or allowed return_to, else 400 _016.
func (a AllowList) Check(returnTo string) *apierr.Error {
	if returnTo == "" {
		return nil
	}
	if a.origins.Allows(returnTo) {
		return nil
	}
	e := apierr.New(apierr.ReturnToNotAllowed, "The return_to URL is not on the allow-list.")
	return e
}
