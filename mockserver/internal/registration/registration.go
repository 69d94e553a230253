// Package registration is the registration flow: the password method with traits validation,
// the password policy and duplicate detection.
package registration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/password"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/submit"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// Service runs registration flows.
type Service struct {
	Render          ui.Renderer
	ReturnTo        returnto.AllowList
	Hasher          func(src ids.Source) identity.Hasher
	FlowLifetime    time.Duration
	SessionLifetime time.Duration
	// Passkeys is the WebAuthn relying party.
	Passkeys *passkey.RP
}

// CreateParams are createRegistrationFlow's query parameters.
type CreateParams struct {
	ReturnTo       string
	LoginChallenge string
	OrganizationID string
}

// Created is a new flow and whether the CSRF cookie must be set.
type Created struct {
	Flow       api.RegistrationFlow
	CSRFToken  string
	MintedCSRF bool
}

// Create makes a registration flow (REQ-REG-001, REQ-REG-005).
func (s *Service) Create(ctx context.Context, w *tenant.World, req request.Request, p CreateParams) (Created, error) {
	if err := s.ReturnTo.Check(p.ReturnTo); err != nil {
		return Created{}, err
	}
	var out Created
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		if _, ok := auth.Peek(tx, req); ok {
			return apierr.New(apierr.SessionAlreadyExists, "A session already exists. Log out before registering another account.")
		}
		f := flow.New(ids.UUID(w.IDs), flow.Registration, tx.Now, s.FlowLifetime)
		f.CSRFToken, out.MintedCSRF = req.CSRFToken(func() string { return ids.Token(w.IDs, 32) })
		f.ReturnTo, f.LoginChallenge, f.OrganizationID = p.ReturnTo, p.LoginChallenge, p.OrganizationID
		if err := s.beginRegistration(w, &f); err != nil {
			return err
		}
		tx.PutFlow(f)
		out.Flow, out.CSRFToken = s.Render.Registration(f), f.CSRFToken
		return nil
	})
	return out, err
}

// Get returns a registration flow.
func (s *Service) Get(ctx context.Context, w *tenant.World, id string) (api.RegistrationFlow, error) {
	var out api.RegistrationFlow
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		f, err := s.usable(tx, w, id)
		if err != nil {
			return err
		}
		if f.WebAuthnOptions == "" { // a flow offered in place of an expired one
			if err := s.beginRegistration(w, &f); err != nil {
				return err
			}
			tx.PutFlow(f)
		}
		out = s.Render.Registration(f)
		return nil
	})
	return out, err
}

func (s *Service) usable(tx *store.Tx, w *tenant.World, id string) (flow.Flow, error) {
	f, fresh, found := tx.UsableFlow(id, flow.Registration, func() string { return ids.UUID(w.IDs) })
	if e := apierr.Lookup("registration", id, fresh, found); e != nil {
		return flow.Flow{}, e
	}
	return f, nil
}

// Result is a submit's outcome.
type Result struct {
	Body           api.RegistrationSubmitResult
	SessionToken   string
	SessionExpires time.Time
}

// Command is a registration submit, decoded once from the validated request.
type Command = submit.Command[Fields]

// Fields are the body fields of every registration method (D4); a method reads its own.
type Fields struct {
	CSRFToken                   string      `json:"csrf_token"`
	Traits                      *api.Traits `json:"traits"`
	Password                    string      `json:"password"`
	Code                        *string     `json:"code"`
	WebauthnRegister            string      `json:"webauthn_register"`
	WebauthnRegisterDisplayname *string     `json:"webauthn_register_displayname"`
}

// Submit runs one registration method against a flow.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (Result, error) {
	b := cmd.Body
	csrf := submit.CSRF{Token: b.CSRFToken, Cookie: req.CSRFCookie}
	load := func(tx *store.Tx) (flow.Flow, error) { return s.usable(tx, w, id) }
	return submit.Run(ctx, w, csrf, load, func(tx *store.Tx, f *flow.Flow) (Result, error) {
		switch {
		case cmd.Method == "code":
			return s.code(tx, w, req, f, api.RegistrationCodeBody{Traits: b.Traits, Code: b.Code})
		case b.Traits == nil: // the contract requires traits of the other methods
		case cmd.Method == "password":
			return s.password(tx, w, req, f, api.RegistrationPasswordBody{Traits: *b.Traits, Password: b.Password})
		case cmd.Method == "webauthn":
			return s.passkey(tx, w, req, f, api.RegistrationWebauthnBody{Traits: *b.Traits, WebauthnRegister: b.WebauthnRegister, WebauthnRegisterDisplayname: b.WebauthnRegisterDisplayname})
		}
		return Result{}, apierr.New(apierr.MethodNotEnabled, fmt.Sprintf("The method %q is not enabled for this flow.", cmd.Method))
	})
}

// password creates the identity and signs it in (REQ-REG-002 … REQ-REG-004).
func (s *Service) password(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, body api.RegistrationPasswordBody) (Result, error) {
	traits := Traits(body.Traits)
	f.SetValue("traits.email", traits.Email)
	f.SetValue("traits.name.first", traits.Name.First)
	f.SetValue("traits.name.last", traits.Name.Last)

	if err := s.available(tx, f, traits); err != nil {
		return Result{}, err
	}
	if e := password.Refuse(f, body.Password, traits.Email); e != nil {
		f.Messages = f.FieldMessages["password"]
		e.ContinueFlow = ui.AsFlow(s.Render.Registration(*f))
		return Result{}, e
	}
	ident := identity.Identity{
		ID:     "usr_" + ids.UUID(w.IDs),
		Traits: traits, State: identity.StateActive,
		CreatedAt: tx.Now, UpdatedAt: tx.Now,
		PasswordHash: s.Hasher(w.IDs).Hash(body.Password),
	}
	return s.create(tx, w, req, f, ident, auth.Method("password", session.AAL1, tx.Now))
}

// passkey creates a passwordless identity holding the registered passkey; the ceremony counts
// as a strong authentication, so the session is at aal2 like a passkey login (REQ-LOGIN-011).
func (s *Service) passkey(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, body api.RegistrationWebauthnBody) (Result, error) {
	traits := Traits(body.Traits)
	f.SetValue("traits.email", traits.Email)
	if s.Passkeys == nil || f.NewIdentityID == "" {
		return Result{}, apierr.New(apierr.MethodNotEnabled, `The method "webauthn" is not enabled for this flow.`)
	}
	if err := s.available(tx, f, traits); err != nil {
		return Result{}, err
	}
	ident := identity.Identity{ID: f.NewIdentityID, Traits: traits, State: identity.StateActive, CreatedAt: tx.Now, UpdatedAt: tx.Now}
	cred, err := s.Passkeys.FinishRegistration(ident, passkey.Ceremony{Session: f.WebAuthnSession}, body.WebauthnRegister, deref(body.WebauthnRegisterDisplayname), tx.Now)
	if err != nil {
		if err := s.beginRegistration(w, f); err != nil {
			return Result{}, err
		}
		return Result{}, s.rejected(f, "webauthn_register", ui.ErrPasskeyNotAllowed,
			apierr.Invalid("The passkey could not be registered.", apierr.Field("body.webauthn_register", err.Error())))
	}
	ident.WebAuthn = []identity.WebAuthnCredential{cred}
	return s.create(tx, w, req, f, ident, auth.Method("webauthn", session.AAL2, tx.Now))
}

// signUpCode is the email a passwordless sign-up sends (D9).
var signUpCode = codes.Message{Template: "registration_code", Subject: "Your sign-up code", Text: "Your sign-up code is %s. It expires in 15 minutes."}

// code signs up without a password: step 1 takes the traits and emails a code to the address,
// step 2 checks it and creates the identity, its email verified by the code.
func (s *Service) code(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, body api.RegistrationCodeBody) (Result, error) {
	switch {
	case body.Code != nil:
		if f.State != flow.SentEmail {
			return Result{}, apierr.Invalid("Send the traits first.", apierr.Field("body.traits", "required before a code"))
		}
		if err := codes.Verify(f, *body.Code, tx.Now, codes.Errors{Wrong: apierr.InvalidCode, Expired: apierr.CodeExpired, Invalid: ui.ErrCodeInvalid}); err != nil {
			if err.Code != apierr.FlowExpired {
				err.ContinueFlow = ui.AsFlow(s.Render.Registration(*f))
			}
			return Result{}, err
		}
		traits := identity.Traits{Email: f.CodeAddress, Name: identity.Name{First: f.Values["traits.name.first"], Last: f.Values["traits.name.last"]}}
		if err := s.available(tx, f, traits); err != nil { // taken while the code travelled
			return Result{}, err
		}
		ident := identity.Identity{ID: "usr_" + ids.UUID(w.IDs), Traits: traits, State: identity.StateActive,
			EmailVerified: true, VerifiedAt: tx.Now, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		return s.create(tx, w, req, f, ident, auth.Method("code", session.AAL1, tx.Now))
	case body.Traits != nil:
		traits := Traits(*body.Traits)
		f.SetValue("traits.email", traits.Email)
		f.SetValue("traits.name.first", traits.Name.First)
		f.SetValue("traits.name.last", traits.Name.Last)
		if err := s.available(tx, f, traits); err != nil {
			return Result{}, err
		}
		if _, err := codes.Send(tx, w, f, traits.Email, "", signUpCode, true); err != nil {
			return Result{}, err
		}
		if err := f.MoveTo(flow.SentEmail); err != nil {
			return Result{}, err
		}
		f.Active, f.Messages = "code", []flow.Message{ui.InfoSignUpCodeSent}
		cf := s.Render.Registration(*f)
		return Result{Body: api.RegistrationSubmitResult{ContinueFlow: &cf}}, nil
	}
	return Result{}, apierr.Invalid("Send traits to get a code, or code to use one.", apierr.Field("body", "one of traits and code is required"))
}

// available refuses an email that already has an identity (REQ-REG-003).
func (s *Service) available(tx *store.Tx, f *flow.Flow, traits identity.Traits) error {
	if _, taken := tx.IdentityByIdentifier(traits.Email); taken {
		return s.rejected(f, "traits.email", ui.ErrAccountExists,
			apierr.New(apierr.DuplicateAccount, "An account with this email already exists."))
	}
	return nil
}

// beginRegistration starts the flow's passkey registration for the account it would create.
func (s *Service) beginRegistration(w *tenant.World, f *flow.Flow) error {
	if s.Passkeys == nil {
		return nil
	}
	f.NewIdentityID = "usr_" + ids.UUID(w.IDs)
	c, err := s.Passkeys.BeginRegistration(w.IDs, identity.Identity{ID: f.NewIdentityID, Traits: identity.Traits{Email: "New account"}})
	if err != nil {
		return err
	}
	f.WebAuthnOptions, f.WebAuthnSession = c.Options, c.Session
	return nil
}

// create stores the new identity, signs it in with m and consumes the flow (REQ-REG-002).
func (s *Service) create(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, ident identity.Identity, m session.Method) (Result, error) {
	if err := tx.PutIdentity(ident); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return Result{}, apierr.New(apierr.DuplicateAccount, "An account with this email already exists.")
		}
		return Result{}, err
	}
	ses := auth.Issue(tx, w.IDs, ident, m, req, s.SessionLifetime, false)
	f.Consumed, f.Active = true, m.Method
	out := auth.Session(ses, ident, true)
	res := Result{Body: api.RegistrationSubmitResult{Session: &out}, SessionToken: ses.Token, SessionExpires: ses.ExpiresAt}
	if f.ReturnTo != "" {
		rt := f.ReturnTo
		res.Body.ReturnTo = &rt
	}
	return res, nil
}

// rejected attaches msg to the field and the flow, and returns e with the re-rendered flow.
func (s *Service) rejected(f *flow.Flow, field string, msg flow.Message, e *apierr.Error) *apierr.Error {
	f.AddFieldMessage(field, msg)
	f.Messages = []flow.Message{msg}
	e.ContinueFlow = ui.AsFlow(s.Render.Registration(*f))
	return e
}

// Traits converts the contract's traits.
func Traits(t api.Traits) identity.Traits {
	out := identity.Traits{Email: string(t.Email)}
	if t.Name != nil {
		out.Name = identity.Name{First: deref(t.Name.First), Last: deref(t.Name.Last)}
	}
	out.Phone, out.Locale, out.Timezone, out.AvatarURL = deref(t.Phone), deref(t.Locale), deref(t.Timezone), deref(t.AvatarUrl)
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
