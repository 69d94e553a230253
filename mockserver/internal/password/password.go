// Package password holds the rule every flow that sets a password shares (registration and
// settings): the policy (REQ-REG-004, REQ-SET-005) and what a refused password answers.
package password

import (
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// Refuse checks password, to be set for identifier, against the policy. A refused password
// puts its message on the flow's password field and returns the error to answer: 400 _010 when
// it is on the breach list, else 400 _011 with the reason.
func Refuse(f *flow.Flow, password, identifier string) *apierr.Error {
	v := identity.CheckPassword(password, identifier)
	switch {
	case v == nil:
		return nil
	case v.Breached:
		f.AddFieldMessage("password", ui.ErrPasswordLeak)
		return apierr.New(apierr.PasswordBreached, "The password has been found in a data breach.")
	}
	f.AddFieldMessage("password", ui.ErrPasswordWeak)
	e := apierr.New(apierr.PasswordTooWeak, "The password is too weak.")
	reason := v.Reason
	e.Details.Reason = &reason
	return e
}
