package passkey

import (
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
)

// The ceremonies as flows hold them: the options a flow's webauthn_*_options node shows and the
// session data that finishes them, started here for every flow type alike. A nil RP (passkeys
// not configured) starts none.

// StartRegistration gives f a registration ceremony for ident — an existing identity adding a
// passkey, or the account a sign-up would create.
func (rp *RP) StartRegistration(src ids.Source, f *flow.Flow, ident identity.Identity) error {
	if rp == nil {
		return nil
	}
	c, err := rp.BeginRegistration(src, ident)
	if err != nil {
		return err
	}
	f.WebAuthnOptions, f.WebAuthnSession = c.Options, c.Session
	return nil
}

// StartLogin gives f an assertion ceremony: a second factor of the awaited identity, or — when
// awaited is nil — a passkey login for anyone (REQ-LOGIN-011). An awaited identity without
// passkeys gets none.
func (rp *RP) StartLogin(src ids.Source, f *flow.Flow, awaited *identity.Identity) error {
	f.WebAuthnOptions, f.WebAuthnSession = "", nil
	if rp == nil || awaited != nil && len(awaited.WebAuthn) == 0 {
		return nil
	}
	c, err := rp.BeginLogin(src, awaited)
	if err != nil {
		return err
	}
	f.WebAuthnOptions, f.WebAuthnSession = c.Options, c.Session
	return nil
}
