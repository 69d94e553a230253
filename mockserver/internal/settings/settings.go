// Package settings is the settings flow of a signed-in identity: profile, password, TOTP and
// lookup secrets, each section saved on its own, with the step-up rules of D7 — an aal1
// session of an identity with a second factor cannot open settings, and privileged sections
// need an authentication less than 15 minutes old.
package settings

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/password"
	"github.com/avnology/idflows/mockserver/internal/registration"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// LookupCodes is how many lookup secrets a regeneration makes (D9).
const LookupCodes = 12

// Service runs settings flows.
type Service struct {
	Render       ui.Renderer
	ReturnTo     returnto.AllowList
	Hasher       func(src ids.Source) identity.Hasher
	FlowLifetime time.Duration
	// BaseURL builds details.login_url of a step-up answer.
	BaseURL string
	// Issuer names the account in authenticator apps.
	Issuer string
	// Passkeys is the WebAuthn relying party.
	Passkeys *passkey.RP
	// Social are the providers the social section links.
	Social social.Providers

	once sync.Once
	typ  *kernel.Type[Fields, identity.Identity]
}

// Created is a new flow and whether the CSRF cookie must be set.
type Created struct {
	Flow       api.SettingsFlow
	CSRFToken  string
	MintedCSRF bool
}

// Create opens a settings flow for the caller (REQ-SET-001, REQ-STEPUP-001).
func (s *Service) Create(ctx context.Context, w *tenant.World, req request.Request, returnTo string) (Created, error) {
	if err := s.ReturnTo.Check(returnTo); err != nil {
		return Created{}, err
	}
	var (
		out   Created
		f     flow.Flow
		ident identity.Identity
	)
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		ses, id, e := auth.Resolve(tx, req, false)
		if e != nil {
			return e
		}
		if id.HasSecondFactor() && ses.AAL != session.AAL2 && !ses.Recovery && w.Rules.EnforceStepUp {
			return s.stepUp(url.Values{"aal": {"aal2"}}, "aal2", "Your session must be at aal2 to change settings: complete your second factor.")
		}
		var err error
		out.CSRFToken, out.MintedCSRF = req.CSRFToken(func() string { return ids.Token(w.IDs, 32) })
		f, err = s.store(tx, w, id, out.CSRFToken, returnTo)
		ident = id
		return err
	})
	if err != nil {
		return out, err
	}
	out.Flow = s.render(s.withQR(ctx, w, f, ident), ident)
	return out, nil
}

// withQR gives f the QR image of its pending TOTP secret, made outside the tenant's lock and
// kept on the flow, so each secret's PNG is encoded once.
func (s *Service) withQR(ctx context.Context, w *tenant.World, f flow.Flow, ident identity.Identity) flow.Flow {
	if f.PendingTOTP == "" || f.PendingTOTPQR != "" || ident.TOTPSecret != "" {
		return f
	}
	f.PendingTOTPQR = totpQR(s.Issuer, ident.Traits.Email, f.PendingTOTP)
	_ = w.Store.Update(ctx, func(tx *store.Tx) error {
		if cur, ok := tx.Flow(f.ID); ok && cur.PendingTOTP == f.PendingTOTP {
			cur.PendingTOTPQR = f.PendingTOTPQR
			tx.PutFlow(cur)
		}
		return nil
	})
	return f
}

// Open stores a new settings flow for ident: the one a recovery continues with (REQ-REC-004).
func (s *Service) Open(tx *store.Tx, w *tenant.World, ident identity.Identity, csrfToken, returnTo string) (flow.Flow, error) {
	return s.store(tx, w, ident, csrfToken, returnTo)
}

// Show renders a settings flow of ident, outside the tenant's lock.
func (s *Service) Show(f flow.Flow, ident identity.Identity) api.SettingsFlow {
	return s.render(f, ident)
}

// store makes and stores a new settings flow for ident.
func (s *Service) store(tx *store.Tx, w *tenant.World, ident identity.Identity, csrfToken, returnTo string) (flow.Flow, error) {
	f := flow.New(ids.UUID(w.IDs), flow.Settings, tx.Now, s.FlowLifetime)
	f.CSRFToken, f.ReturnTo, f.IdentityID = csrfToken, returnTo, ident.ID
	if err := s.prepare(w, &f, ident); err != nil {
		return flow.Flow{}, err
	}
	tx.PutFlow(f)
	return f, nil
}

// prepare gives a new settings flow what its sections offer: a TOTP secret to enrol when the
// identity has none, and a passkey registration ceremony.
func (s *Service) prepare(w *tenant.World, f *flow.Flow, ident identity.Identity) error {
	if ident.TOTPSecret == "" {
		f.PendingTOTP = newTOTPSecret(w.IDs)
	}
	return s.Passkeys.StartRegistration(w.IDs, f, ident)
}

// Get returns the caller's settings flow; anyone else's is not found (REQ-SET-002).
func (s *Service) Get(ctx context.Context, w *tenant.World, req request.Request, id string) (api.SettingsFlow, error) {
	var (
		f     flow.Flow
		ident identity.Identity
	)
	err := w.Store.Read(ctx, func(tx *store.Tx) error {
		var err error
		_, ident, f, err = s.load(tx, w, req, id)
		return err
	})
	if err != nil {
		return api.SettingsFlow{}, err
	}
	return s.render(s.withQR(ctx, w, f, ident), ident), nil // rendered outside the lock
}

// load resolves the caller and their flow: 401 without a session, 404 for a flow that is not
// theirs, 400 _009 for an expired one.
func (s *Service) load(tx *store.Tx, w *tenant.World, req request.Request, id string) (session.Session, identity.Identity, flow.Flow, error) {
	ses, ident, e := auth.Resolve(tx, req, false)
	if e != nil {
		return ses, ident, flow.Flow{}, e
	}
	f, fresh, found := tx.UsableFlow(id, flow.Settings, func() string { return ids.UUID(w.IDs) })
	found = found && (f.IdentityID == "" || f.IdentityID == ident.ID) // another identity's flow is not found
	if fresh != "" && found {                                         // a flow offered in place of an expired one starts unprepared
		n, _ := tx.Flow(fresh)
		if err := s.prepare(w, &n, ident); err != nil {
			return ses, ident, f, err
		}
		tx.PutFlow(n)
	}
	if e := apierr.Lookup("settings", id, fresh, found); e != nil {
		return ses, ident, f, e
	}
	return ses, ident, f, nil
}

func (s *Service) render(f flow.Flow, ident identity.Identity) api.SettingsFlow {
	v := ui.SettingsView{Identity: ident}
	if f.PendingTOTP != "" && ident.TOTPSecret == "" {
		v.TOTPQR = f.PendingTOTPQR
		if v.TOTPQR == "" { // a secret minted by this very submit (after an unlink)
			v.TOTPQR = totpQR(s.Issuer, ident.Traits.Email, f.PendingTOTP)
		}
	}
	return s.Render.Settings(f, v)
}

// Command is a settings submit, decoded once from the validated request.
type Command = kernel.Command[Fields]

// Fields are the body fields of every settings method (D4); a method reads its own.
type Fields struct {
	CSRFToken                   string      `json:"csrf_token"`
	Traits                      *api.Traits `json:"traits"`
	Password                    string      `json:"password"`
	TotpCode                    *string     `json:"totp_code"`
	TotpUnlink                  *bool       `json:"totp_unlink"`
	LookupSecretReveal          *bool       `json:"lookup_secret_reveal"`
	LookupSecretRegenerate      *bool       `json:"lookup_secret_regenerate"`
	LookupSecretConfirm         *bool       `json:"lookup_secret_confirm"`
	LookupSecretDisable         *bool       `json:"lookup_secret_disable"`
	WebauthnRegister            *string     `json:"webauthn_register"`
	WebauthnRegisterDisplayname *string     `json:"webauthn_register_displayname"`
	WebauthnRemove              *string     `json:"webauthn_remove"`
	Link                        string      `json:"link"`
	Unlink                      string      `json:"unlink"`
}

// CSRF is the token the form carried.
func (f Fields) CSRF() string { return f.CSRFToken }

// Submit saves one section (REQ-SET-003 … REQ-SET-009, REQ-STEPUP-002).
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (api.SettingsSubmitResult, error) {
	if err := s.Social.Prepare(ctx, cmd.Method, cmd.Body.Link); err != nil {
		return api.SettingsSubmitResult{}, err
	}
	d, err := kernel.Run(ctx, s.flowType(), w, req, id, cmd)
	if err != nil {
		return api.SettingsSubmitResult{}, err
	}
	if r := d.Redirect(); r != nil { // linking: to the provider first
		return api.SettingsSubmitResult{Redirect: r}, nil
	}
	cf := s.render(d.Flow, d.View) // outside the lock
	return api.SettingsSubmitResult{ContinueFlow: &cf, ReturnTo: nonEmpty(d.Flow.ReturnTo)}, nil
}

// flowType declares the settings flow to the kernel: each method edits one section of the
// caller's identity, which After stores.
func (s *Service) flowType() *kernel.Type[Fields, identity.Identity] {
	s.once.Do(func() {
		s.typ = &kernel.Type[Fields, identity.Identity]{
			Flow: flow.Settings,
			Methods: map[string]kernel.Method[Fields]{
				"profile":       {Run: s.profile},
				"password":      {Run: s.password},
				"totp":          {Run: s.totp},
				"lookup_secret": {Run: s.lookup},
				"webauthn":      {Run: s.webauthn},
				"oidc":          {Run: s.oidc},
			},
			Load: func(st *kernel.Step, id string) (err error) {
				st.Session, st.Identity, *st.Flow, err = s.load(st.Tx, st.World, st.Req, id)
				return err
			},
			After:  s.save,
			View:   func(st *kernel.Step) identity.Identity { return st.Identity },
			Render: func(f flow.Flow, ident identity.Identity) *api.Flow { return ui.AsFlow(s.render(f, ident)) },
		}
	})
	return s.typ
}

// save stores the section's change to the identity: a saved section moves the flow to success
// with 1050001 (REQ-SET-003). A link sent to the provider has changed nothing yet.
func (s *Service) save(st *kernel.Step, o *kernel.Outcome) error {
	if o.Redirect != "" {
		return nil
	}
	st.Identity.UpdatedAt = st.Tx.Now
	if err := st.Tx.PutIdentity(st.Identity); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return apierr.New(apierr.DuplicateAccount, "An account with this email already exists.")
		}
		return err
	}
	st.Flow.Messages = []flow.Message{ui.InfoSaved}
	o.To = flow.Success
	return nil
}

// privileged refuses a privileged change on a session authenticated too long ago (REQ-STEPUP-002).
func (s *Service) privileged(st *kernel.Step) error {
	if st.Session.Privileged(st.Tx.Now) || !st.World.Rules.EnforceStepUp {
		return nil
	}
	return s.stepUp(url.Values{"refresh": {"true"}}, st.Session.AAL, "This change needs a recent sign-in: sign in again and retry.")
}

// secondFactorChange refuses to remove or replace a second factor on a session below aal2 —
// in practice a recovery session, which proves control of the mailbox only (REQ-SEC-003).
func (s *Service) secondFactorChange(st *kernel.Step) error {
	if st.Session.AAL == session.AAL2 || !st.World.Rules.GuardSecondFactors {
		return nil
	}
	return s.stepUp(url.Values{"aal": {"aal2"}}, "aal2", "Removing or replacing a second factor needs your second factor: sign in at aal2.")
}

// stepUp is the 403 _102 answer, pointing at the login flow that lifts the restriction.
func (s *Service) stepUp(q url.Values, aal, message string) *apierr.Error {
	e := apierr.New(apierr.StepUpRequired, message)
	required := api.AuthenticatorAssuranceLevel(aal)
	loginURL := s.BaseURL + "/v1/flows/login?" + q.Encode()
	e.Details.RequiredAal, e.Details.LoginUrl = &required, &loginURL
	return e
}

func (s *Service) profile(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	if b.Traits == nil {
		return kernel.Outcome{}, apierr.Invalid("The traits are required.", apierr.Field("body.traits", "required"))
	}
	return kernel.Outcome{}, s.changeProfile(st, registration.Traits(*b.Traits))
}

func (s *Service) changeProfile(c *kernel.Step, traits identity.Traits) error {
	emailChanged := identity.NormalizeEmail(traits.Email) != identity.NormalizeEmail(c.Identity.Traits.Email)
	if emailChanged {
		if err := s.privileged(c); err != nil {
			return err
		}
		if other, taken := c.Tx.IdentityByIdentifier(traits.Email); taken && other.ID != c.Identity.ID {
			c.Flow.AddFieldMessage("traits.email", ui.ErrAccountExists)
			return apierr.New(apierr.DuplicateAccount, "An account with this email already exists.")
		}
		c.Identity.EmailVerified, c.Identity.VerifiedAt = false, time.Time{}
	}
	c.Identity.Traits = traits
	return nil
}

func (s *Service) password(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return kernel.Outcome{}, s.changePassword(st, b.Password)
}

func (s *Service) changePassword(c *kernel.Step, newPassword string) error {
	if err := s.privileged(c); err != nil {
		return err
	}
	if e := password.Refuse(c.Flow, newPassword, c.Identity.Traits.Email); e != nil {
		return e
	}
	c.Identity.PasswordHash = s.Hasher(c.World.IDs).Hash(newPassword)
	return nil
}

// totp enrols with a code for the pending secret, or unlinks (REQ-SET-006).
func (s *Service) totp(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return kernel.Outcome{}, s.changeTOTP(st, b)
}

func (s *Service) changeTOTP(c *kernel.Step, b Fields) error {
	unlink := b.TotpUnlink != nil && *b.TotpUnlink
	if (b.TotpCode != nil) == unlink {
		return apierr.Invalid("Send either totp_code or totp_unlink.", apierr.Field("body", "exactly one of totp_code and totp_unlink"))
	}
	if err := s.privileged(c); err != nil {
		return err
	}
	if unlink {
		if c.Identity.TOTPSecret == "" {
			return apierr.Invalid("No authenticator app is set up.", apierr.Field("body.totp_unlink", "nothing to unlink"))
		}
		if err := s.secondFactorChange(c); err != nil {
			return err
		}
		c.Identity.TOTPSecret, c.Identity.TOTPLastStep = "", 0
		c.Flow.PendingTOTP = newTOTPSecret(c.World.IDs)
		return nil
	}
	if c.Identity.TOTPSecret != "" {
		c.Flow.AddFieldMessage("totp_code", ui.ErrTOTPEnrolled)
		return apierr.New(apierr.FactorEnrolled, "An authenticator app is already set up; unlink it first.")
	}
	// Enrolment codes obey the second factor's attempt rule (REQ-SEC-001): once
	// attempts_remaining reached 0, the next code is refused, right or wrong, and the flow with
	// it (400 _009 offers a fresh flow, with a new secret, in use_flow_id).
	if c.Flow.CodeFailures >= codes.MaxAttempts {
		c.Flow.Consumed = true
		fresh := flow.Fresh(*c.Flow, ids.UUID(c.World.IDs), c.Tx.Now)
		if err := s.prepare(c.World, &fresh, c.Identity); err != nil {
			return err
		}
		c.Tx.PutFlow(fresh)
		return apierr.ExpiredFlow("settings", c.Flow.ID, fresh.ID)
	}
	step, ok := identity.MatchTOTP(c.Flow.PendingTOTP, *b.TotpCode, c.Tx.Now, 0)
	if !ok {
		c.Flow.CodeFailures++
		c.Flow.AddFieldMessage("totp_code", ui.ErrCodeInvalid)
		e := apierr.New(apierr.InvalidCode, "The code is invalid.")
		remaining := max(codes.MaxAttempts-c.Flow.CodeFailures, 0)
		e.Details.AttemptsRemaining = &remaining
		return e
	}
	c.Identity.TOTPSecret, c.Identity.TOTPLastStep, c.Flow.PendingTOTP = c.Flow.PendingTOTP, step, ""
	return nil
}

// lookup handles the four lookup-secret actions (REQ-SET-007).
func (s *Service) lookup(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return kernel.Outcome{}, s.changeLookup(st, b)
}

func (s *Service) changeLookup(c *kernel.Step, b Fields) error {
	set := func(p *bool) bool { return p != nil && *p }
	actions := 0
	for _, p := range []*bool{b.LookupSecretReveal, b.LookupSecretRegenerate, b.LookupSecretConfirm, b.LookupSecretDisable} {
		if set(p) {
			actions++
		}
	}
	if actions != 1 {
		return apierr.Invalid("Set exactly one lookup_secret action to true.", apierr.Field("body", "exactly one of lookup_secret_reveal, _regenerate, _confirm, _disable"))
	}
	if err := s.privileged(c); err != nil {
		return err
	}
	replaces := set(b.LookupSecretRegenerate) || set(b.LookupSecretConfirm) || set(b.LookupSecretDisable)
	if replaces && len(c.Identity.LookupSecrets) > 0 {
		if err := s.secondFactorChange(c); err != nil {
			return err
		}
	}
	switch {
	case set(b.LookupSecretRegenerate):
		secrets := make([]string, LookupCodes)
		for i := range secrets {
			secrets[i] = ids.Alnum(c.World.IDs, 8)
		}
		c.Flow.PendingLookup, c.Flow.ShownLookup = secrets, secrets
	case set(b.LookupSecretConfirm):
		if len(c.Flow.PendingLookup) == 0 {
			return apierr.Invalid("There are no new codes to confirm; generate them first.", apierr.Field("body.lookup_secret_confirm", "nothing to confirm"))
		}
		c.Identity.LookupSecrets, c.Flow.PendingLookup = c.Flow.PendingLookup, nil
	case set(b.LookupSecretReveal):
		if len(c.Identity.LookupSecrets) == 0 {
			return apierr.Invalid("There are no codes to reveal.", apierr.Field("body.lookup_secret_reveal", "no codes"))
		}
		c.Flow.ShownLookup = c.Identity.LookupSecrets
	default:
		if len(c.Identity.LookupSecrets) == 0 {
			return apierr.Invalid("There are no codes to disable.", apierr.Field("body.lookup_secret_disable", "no codes"))
		}
		c.Identity.LookupSecrets = nil
	}
	return nil
}

// webauthn registers a passkey or removes one (REQ-SET-008, REQ-SET-009).
func (s *Service) webauthn(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return kernel.Outcome{}, s.changeWebAuthn(st, b)
}

func (s *Service) changeWebAuthn(c *kernel.Step, b Fields) error {
	if s.Passkeys == nil {
		return kernel.NotOffered("webauthn")
	}
	if (b.WebauthnRegister != nil) == (b.WebauthnRemove != nil) {
		return apierr.Invalid("Send either webauthn_register or webauthn_remove.", apierr.Field("body", "exactly one of webauthn_register and webauthn_remove"))
	}
	if err := s.privileged(c); err != nil {
		return err
	}
	if b.WebauthnRegister != nil {
		name := ""
		if b.WebauthnRegisterDisplayname != nil {
			name = *b.WebauthnRegisterDisplayname
		}
		cred, err := s.Passkeys.FinishRegistration(c.Identity, passkey.Ceremony{Session: c.Flow.WebAuthnSession}, *b.WebauthnRegister, name, c.Tx.Now)
		if err != nil {
			c.Flow.AddFieldMessage("webauthn_register", ui.ErrPasskeyNotAllowed)
			_ = s.Passkeys.StartRegistration(c.World.IDs, c.Flow, c.Identity)
			return apierr.Invalid("The passkey could not be registered.", apierr.Field("body.webauthn_register", err.Error()))
		}
		c.Identity.WebAuthn = append(slices.Clone(c.Identity.WebAuthn), cred)
		return s.Passkeys.StartRegistration(c.World.IDs, c.Flow, c.Identity)
	}
	raw, ok := passkey.RawID(*b.WebauthnRemove)
	i := slices.IndexFunc(c.Identity.WebAuthn, func(cr identity.WebAuthnCredential) bool { return ok && bytes.Equal(cr.ID, raw) })
	if i < 0 {
		return apierr.Invalid("No such passkey.", apierr.Field("body.webauthn_remove", "not a credential of this identity"))
	}
	if err := s.secondFactorChange(c); err != nil {
		return err
	}
	if len(c.Identity.WebAuthn) == 1 && c.Identity.PasswordHash == "" {
		return apierr.Invalid("This is the last way to sign in; add a password or another passkey first.",
			apierr.Field("body.webauthn_remove", "the last credential cannot be removed"))
	}
	c.Identity.WebAuthn = slices.Delete(slices.Clone(c.Identity.WebAuthn), i, i+1)
	return s.Passkeys.StartRegistration(c.World.IDs, c.Flow, c.Identity)
}

// oidc links a social provider account (the provider's callback finishes it) or unlinks one
// (D11). Both need a privileged session; the last way to sign in cannot be unlinked.
func (s *Service) oidc(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	if (b.Link == "") == (b.Unlink == "") {
		return kernel.Outcome{}, apierr.Invalid("Send either link or unlink.", apierr.Field("body", "exactly one of link and unlink"))
	}
	if err := s.privileged(st); err != nil {
		return kernel.Outcome{}, err
	}
	if b.Link != "" {
		if slices.ContainsFunc(st.Identity.Social, func(l identity.SocialLink) bool { return l.Provider == b.Link }) {
			return kernel.Outcome{}, apierr.Invalid("That provider is already linked.", apierr.Field("body.link", "already linked"))
		}
		return s.Social.Start(st, b.Link)
	}
	i := slices.IndexFunc(st.Identity.Social, func(l identity.SocialLink) bool { return l.Provider == b.Unlink })
	if i < 0 {
		return kernel.Outcome{}, apierr.Invalid("That provider is not linked.", apierr.Field("body.unlink", "not linked"))
	}
	if len(st.Identity.Social) == 1 && st.Identity.PasswordHash == "" && len(st.Identity.WebAuthn) == 0 {
		return kernel.Outcome{}, apierr.Invalid("This is the last way to sign in; add a password or a passkey first.",
			apierr.Field("body.unlink", "the last credential cannot be unlinked"))
	}
	st.Identity.Social = slices.Delete(slices.Clone(st.Identity.Social), i, i+1)
	return kernel.Outcome{}, nil
}

// newTOTPSecret is a 160-bit base32 secret (RFC 4226's recommended length).
func newTOTPSecret(src ids.Source) string {
	b := make([]byte, 20)
	src.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
