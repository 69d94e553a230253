// Package registration is the registration flow: the password method with traits validation,
// the password policy and duplicate detection.
package registration

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/authserver"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/password"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/store"
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
	// Social are the social providers of the oidc method (D11).
	Social social.Providers
	// OAuth is the authorization server a flow's login_challenge belongs to (REQ-OAUTH-004).
	OAuth *authserver.Server

	once sync.Once
	typ  *kernel.Type[Fields, struct{}]
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
	asked, err := s.OAuth.ForFlow(ctx, w, p.LoginChallenge)
	if err != nil {
		return Created{}, err
	}
	p.OrganizationID = cmp.Or(p.OrganizationID, asked.OrganizationID)
	var (
		out Created
		f   flow.Flow
	)
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		if _, ok := auth.Peek(tx, req); ok {
			return apierr.New(apierr.SessionAlreadyExists, "A session already exists. Log out before registering another account.")
		}
		if err := openOrganization(tx, w, p.OrganizationID); err != nil {
			return err
		}
		f = flow.New(ids.UUID(w.IDs), flow.Registration, tx.Now, s.FlowLifetime)
		f.CSRFToken, out.MintedCSRF = req.CSRFToken(func() string { return ids.Token(w.IDs, 32) })
		f.ReturnTo, f.LoginChallenge, f.OrganizationID = p.ReturnTo, p.LoginChallenge, p.OrganizationID
		if err := s.startPasskey(w, &f); err != nil {
			return err
		}
		tx.PutFlow(f)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Flow, out.CSRFToken = s.Render.Registration(f), f.CSRFToken // rendered outside the lock
	return out, nil
}

// Get returns a registration flow.
func (s *Service) Get(ctx context.Context, w *tenant.World, id string) (api.RegistrationFlow, error) {
	var f flow.Flow
	err := w.Store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = kernel.Usable(tx, w, flow.Registration, id); err != nil {
			return err
		}
		if f.WebAuthnOptions == "" { // a flow offered in place of an expired one
			if err := s.startPasskey(w, &f); err != nil {
				return err
			}
			tx.PutFlow(f)
		}
		return nil
	})
	if err != nil {
		return api.RegistrationFlow{}, err
	}
	return s.Render.Registration(f), nil // rendered outside the lock
}

// Result is a submit's outcome.
type Result struct {
	Body api.RegistrationSubmitResult
	kernel.Effects
}

// Command is a registration submit, decoded once from the validated request.
type Command = kernel.Command[Fields]

// Fields are the body fields of every registration method (D4); a method reads its own.
type Fields struct {
	CSRFToken                   string      `json:"csrf_token"`
	Traits                      *api.Traits `json:"traits"`
	Password                    string      `json:"password"`
	Code                        *string     `json:"code"`
	WebauthnRegister            string      `json:"webauthn_register"`
	WebauthnRegisterDisplayname *string     `json:"webauthn_register_displayname"`
	Provider                    string      `json:"provider"`
}

// CSRF is the token the form carried.
func (f Fields) CSRF() string { return f.CSRFToken }

// Submit runs one registration method against a flow.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (Result, error) {
	if err := s.Social.Prepare(ctx, cmd.Method, cmd.Body.Provider); err != nil {
		return Result{}, err
	}
	d, err := kernel.Run(ctx, s.flowType(), w, req, id, cmd)
	if err != nil {
		return Result{}, err
	}
	res := Result{Effects: d.Effects(), Body: api.RegistrationSubmitResult{Redirect: d.Redirect()}}
	if res.Body.Redirect == nil {
		if res.Body.Redirect, err = s.OAuth.Continue(ctx, w, d.Flow.LoginChallenge, d.Outcome.Session, d.Outcome.Identity); err != nil {
			return Result{}, err
		}
	}
	if res.Body.Session, res.Body.ReturnTo = d.SignedIn(); res.Body.Session == nil && res.Body.Redirect == nil {
		cf := s.Render.Registration(d.Flow) // a sign-up code was sent
		res.Body.ContinueFlow = &cf
	}
	return res, nil
}

// inForm: once a sign-up code was sent, the flow shows (and offers) that code only.
func inForm(f *flow.Flow) bool { return f.State() == flow.ShowForm }

// flowType declares the registration flow to the kernel.
func (s *Service) flowType() *kernel.Type[Fields, struct{}] {
	s.once.Do(func() {
		s.typ = &kernel.Type[Fields, struct{}]{
			Flow: flow.Registration,
			Methods: map[string]kernel.Method[Fields]{
				"password": {Run: s.password, Offered: inForm},
				"code":     {Run: s.code},
				"webauthn": {Run: s.passkey, Offered: inForm},
				"oidc":     {Run: func(st *kernel.Step, b Fields) (kernel.Outcome, error) { return s.Social.Start(st, b.Provider) }, Offered: inForm},
			},
			Load:   kernel.LoadUsable(flow.Registration),
			View:   func(*kernel.Step) struct{} { return struct{}{} },
			Render: func(f flow.Flow, _ struct{}) *api.Flow { return ui.AsFlow(s.Render.Registration(f)) },
		}
	})
	return s.typ
}

// password creates the identity and signs it in (REQ-REG-002 … REQ-REG-004).
func (s *Service) password(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	if b.Traits == nil {
		return kernel.Outcome{}, traitsRequired()
	}
	f := st.Flow
	traits := typed(f, *b.Traits)
	if err := available(st.Tx, f, traits); err != nil {
		return kernel.Outcome{}, err
	}
	if e := password.Refuse(f, b.Password, traits.Email); e != nil {
		f.Messages = f.FieldMessages["password"]
		return kernel.Outcome{}, e
	}
	ident := identity.Identity{
		ID:     "usr_" + ids.UUID(st.World.IDs),
		Traits: traits, State: identity.StateActive,
		CreatedAt: st.Tx.Now, UpdatedAt: st.Tx.Now,
		PasswordHash: s.Hasher(st.World.IDs).Hash(b.Password),
	}
	return s.create(st, ident, auth.Method("password", session.AAL1, st.Tx.Now))
}

// passkey creates a passwordless identity holding the registered passkey; the ceremony counts
// as a strong authentication, so the session is at aal2 like a passkey login (REQ-LOGIN-011).
func (s *Service) passkey(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	if b.Traits == nil {
		return kernel.Outcome{}, traitsRequired()
	}
	f := st.Flow
	traits := Traits(*b.Traits)
	f.SetValue("traits.email", traits.Email)
	if s.Passkeys == nil || f.NewIdentityID == "" {
		return kernel.Outcome{}, kernel.NotOffered("webauthn")
	}
	if err := available(st.Tx, f, traits); err != nil {
		return kernel.Outcome{}, err
	}
	ident := identity.Identity{ID: f.NewIdentityID, Traits: traits, State: identity.StateActive, CreatedAt: st.Tx.Now, UpdatedAt: st.Tx.Now}
	cred, err := s.Passkeys.FinishRegistration(ident, passkey.Ceremony{Session: f.WebAuthnSession}, b.WebauthnRegister, deref(b.WebauthnRegisterDisplayname), st.Tx.Now)
	if err != nil {
		if err := s.startPasskey(st.World, f); err != nil {
			return kernel.Outcome{}, err
		}
		return kernel.Outcome{}, rejected(f, "webauthn_register", ui.ErrPasskeyNotAllowed,
			apierr.Invalid("The passkey could not be registered.", apierr.Field("body.webauthn_register", err.Error())))
	}
	ident.WebAuthn = []identity.WebAuthnCredential{cred}
	return s.create(st, ident, auth.Method("webauthn", session.AAL2, st.Tx.Now))
}

// signUpCode is the email a passwordless sign-up sends (D9).
var signUpCode = codes.Steps{
	Message: codes.Message{Template: "registration_code", Subject: "Your sign-up code", Text: "Your sign-up code is %s. It expires in 15 minutes."},
	Sent:    ui.InfoSignUpCodeSent,
	Errors:  codes.Errors{Wrong: apierr.InvalidCode, Expired: apierr.CodeExpired, Invalid: ui.ErrCodeInvalid},
	Asks:    "traits",
}

// code signs up without a password: step 1 takes the traits and emails a code to the address,
// step 2 checks it and creates the identity, its email verified by the code.
func (s *Service) code(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	f := st.Flow
	switch {
	case b.Code != nil:
		if err := signUpCode.Check(st, *b.Code); err != nil {
			return kernel.Outcome{}, err
		}
		traits := identity.Traits{Email: f.CodeAddress, Name: identity.Name{First: f.Values["traits.name.first"], Last: f.Values["traits.name.last"]}}
		if err := available(st.Tx, f, traits); err != nil { // taken while the code travelled
			return kernel.Outcome{}, err
		}
		ident := identity.Identity{ID: "usr_" + ids.UUID(st.World.IDs), Traits: traits, State: identity.StateActive,
			EmailVerified: true, VerifiedAt: st.Tx.Now, CreatedAt: st.Tx.Now, UpdatedAt: st.Tx.Now}
		return s.create(st, ident, auth.Method("code", session.AAL1, st.Tx.Now))
	case b.Traits != nil:
		traits := typed(f, *b.Traits)
		if err := available(st.Tx, f, traits); err != nil {
			return kernel.Outcome{}, err
		}
		return signUpCode.Send(st, traits.Email, "", true)
	}
	return kernel.Outcome{}, signUpCode.Missing()
}

// typed converts the traits a form sent and keeps them to show again.
func typed(f *flow.Flow, t api.Traits) identity.Traits {
	traits := Traits(t)
	f.SetValue("traits.email", traits.Email)
	f.SetValue("traits.name.first", traits.Name.First)
	f.SetValue("traits.name.last", traits.Name.Last)
	return traits
}

func traitsRequired() error {
	return apierr.Invalid("The traits are required.", apierr.Field("body.traits", "required"))
}

// available refuses an email that already has an identity (REQ-REG-003).
func available(tx *store.Tx, f *flow.Flow, traits identity.Traits) error {
	if _, taken := tx.IdentityByIdentifier(traits.Email); taken {
		return rejected(f, "traits.email", ui.ErrAccountExists,
			apierr.New(apierr.DuplicateAccount, "An account with this email already exists."))
	}
	return nil
}

// startPasskey starts the flow's passkey registration for the account it would create.
func (s *Service) startPasskey(w *tenant.World, f *flow.Flow) error {
	if s.Passkeys == nil {
		return nil
	}
	f.NewIdentityID = "usr_" + ids.UUID(w.IDs)
	return s.Passkeys.StartRegistration(w.IDs, f, identity.Identity{ID: f.NewIdentityID, Traits: identity.Traits{Email: "New account"}})
}

// SignUp stores a new identity and signs it in with m, in a registration or login flow — the
// social callback's way in (REQ-REG-002).
func (s *Service) SignUp(st *kernel.Step, ident identity.Identity, m session.Method) (kernel.Outcome, error) {
	return s.create(st, ident, m)
}

// openOrganization refuses a registration into an organization that does not take them
// (403 _304) — one that is not open, or does not exist.
func openOrganization(tx *store.Tx, w *tenant.World, id string) error {
	if id == "" || !w.Rules.EnforceOrganizations {
		return nil
	}
	if o, ok := tx.Organization(id); ok && o.OpenForRegistration() {
		return nil
	}
	return apierr.New(apierr.RegistrationDisabled, "This organization does not take registrations.")
}

// create stores the new identity and signs it in with m (REQ-REG-002); a flow for an
// organization makes it a member.
func (s *Service) create(st *kernel.Step, ident identity.Identity, m session.Method) (kernel.Outcome, error) {
	if org := st.Flow.OrganizationID; org != "" {
		if err := openOrganization(st.Tx, st.World, org); err != nil { // it may have closed since the flow began
			return kernel.Outcome{}, err
		}
		ident.Organizations = []string{org}
	}
	if err := st.Tx.PutIdentity(ident); err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			return kernel.Outcome{}, apierr.New(apierr.DuplicateAccount, "An account with this email already exists.")
		}
		return kernel.Outcome{}, err
	}
	ses := auth.Issue(st.Tx, st.World.IDs, ident, m, st.Req, s.SessionLifetime, false)
	st.Flow.Active = m.Method
	return kernel.Outcome{Session: &ses, Identity: ident}, nil
}

// rejected attaches msg to the field and the flow.
func rejected(f *flow.Flow, field string, msg flow.Message, e *apierr.Error) *apierr.Error {
	f.AddFieldMessage(field, msg)
	f.Messages = []flow.Message{msg}
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
