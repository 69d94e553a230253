// Package login is the login flow: creation with its session rules, the password first factor
// with lockout and rate limits, and the TOTP and lookup-secret second factors.
package login

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/limit"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/submit"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// Policy holds the login limits (D6, D9, D12).
type Policy struct {
	LockoutAfter  int           // consecutive failed passwords that lock an identity
	LockoutFor    time.Duration // how long
	SubmitsPerMin int           // login submits per identifier per minute
	// SecondFactorAttempts wrong second-factor codes make the flow unusable and lock the
	// second factor for SecondFactorLockFor.
	SecondFactorAttempts int
	SecondFactorLockFor  time.Duration
}

// DefaultPolicy is the documented behaviour.
var DefaultPolicy = Policy{LockoutAfter: 5, LockoutFor: 15 * time.Minute, SubmitsPerMin: 10, SecondFactorAttempts: 5, SecondFactorLockFor: 15 * time.Minute}

// Service runs login flows.
type Service struct {
	Render          ui.Renderer
	ReturnTo        returnto.AllowList
	Policy          Policy
	FlowLifetime    time.Duration
	SessionLifetime time.Duration
	// DummyHash is verified against for unknown identifiers, so that they take as long as a
	// wrong password (REQ-LOGIN-003).
	DummyHash string
	// Passkeys is the WebAuthn relying party.
	Passkeys *passkey.RP
}

// CreateParams are createLoginFlow's query parameters.
type CreateParams struct {
	Refresh        bool
	ReturnTo       string
	LoginChallenge string
	OrganizationID string
	AAL            string
}

// Created is a new flow and whether the CSRF cookie must be set.
type Created struct {
	Flow       api.LoginFlow
	CSRFToken  string
	MintedCSRF bool
}

// Create makes a login flow (REQ-LOGIN-001, REQ-LOGIN-006, REQ-STEPUP-003, REQ-STEPUP-004).
func (s *Service) Create(ctx context.Context, w *tenant.World, req request.Request, p CreateParams) (Created, error) {
	if err := s.ReturnTo.Check(p.ReturnTo); err != nil {
		return Created{}, err
	}
	var (
		out    Created
		f      flow.Flow
		second ui.SecondFactors
	)
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		ses, hasSession := auth.Peek(tx, req)
		stepUp := p.AAL == "aal2" || p.AAL == "aal3" || p.AAL == "highest_available"
		switch {
		case p.AAL == "aal2" && !hasSession:
			return apierr.Unauthenticated()
		case hasSession && !p.Refresh && !stepUp:
			return apierr.New(apierr.SessionAlreadyExists, "A session already exists. Log out first, or ask for refresh=true or aal=aal2.")
		}
		f = flow.New(ids.UUID(w.IDs), flow.Login, tx.Now, s.FlowLifetime)
		f.CSRFToken, out.MintedCSRF = req.CSRFToken(func() string { return ids.Token(w.IDs, 32) })
		f.ReturnTo, f.LoginChallenge, f.OrganizationID = p.ReturnTo, p.LoginChallenge, p.OrganizationID
		f.Refresh, f.RequestedAAL = p.Refresh, "aal1"
		var awaited *identity.Identity
		if hasSession {
			f.SessionID = ses.ID
			ident, _ := tx.Identity(ses.IdentityID)
			if stepUp && ident.HasSecondFactor() {
				f.RequestedAAL, f.IdentityID, awaited = "aal2", ident.ID, &ident
			} else {
				f.SetValue("identifier", ident.Traits.Email)
				f.Messages = []flow.Message{ui.InfoReauth}
			}
		}
		if err := s.beginAssertion(w, &f, awaited); err != nil {
			return err
		}
		tx.PutFlow(f)
		second = secondFactors(tx, f)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Flow, out.CSRFToken = s.Render.Login(f, second), f.CSRFToken // rendered outside the lock
	return out, nil
}

func (s *Service) render(tx *store.Tx, f flow.Flow) api.LoginFlow {
	return s.Render.Login(f, secondFactors(tx, f))
}

// secondFactors are the second factors the flow's awaited identity can use.
func secondFactors(tx *store.Tx, f flow.Flow) ui.SecondFactors {
	ident, ok := tx.Identity(f.IdentityID)
	if !ok {
		return ui.SecondFactors{}
	}
	return ui.SecondFactors{TOTP: ident.TOTPSecret != "", LookupSecret: len(ident.LookupSecrets) > 0, WebAuthn: len(ident.WebAuthn) > 0}
}

// beginAssertion starts the flow's WebAuthn ceremony: a second factor for the awaited
// identity, or a passkey login for anyone (REQ-LOGIN-011).
func (s *Service) beginAssertion(w *tenant.World, f *flow.Flow, awaited *identity.Identity) error {
	f.WebAuthnOptions, f.WebAuthnSession = "", nil
	if s.Passkeys == nil || awaited != nil && len(awaited.WebAuthn) == 0 {
		return nil
	}
	c, err := s.Passkeys.BeginLogin(w.IDs, awaited)
	if err != nil {
		return err
	}
	f.WebAuthnOptions, f.WebAuthnSession = c.Options, c.Session
	return nil
}

// Get returns a login flow (REQ-FLOW-003, REQ-FLOW-005).
func (s *Service) Get(ctx context.Context, w *tenant.World, id string) (api.LoginFlow, error) {
	var (
		f      flow.Flow
		second ui.SecondFactors
	)
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = s.usable(tx, w, id); err != nil {
			return err
		}
		if f.WebAuthnOptions == "" && f.IdentityID == "" { // a flow offered in place of an expired one
			if err := s.beginAssertion(w, &f, nil); err != nil {
				return err
			}
			tx.PutFlow(f)
		}
		second = secondFactors(tx, f)
		return nil
	})
	if err != nil {
		return api.LoginFlow{}, err
	}
	return s.Render.Login(f, second), nil // rendered outside the lock
}

// usable loads a flow that can still be used, or answers 404 / 400 _009 with a fresh flow.
func (s *Service) usable(tx *store.Tx, w *tenant.World, id string) (flow.Flow, error) {
	f, fresh, found := tx.UsableFlow(id, flow.Login, func() string { return ids.UUID(w.IDs) })
	if e := apierr.Lookup("login", id, fresh, found); e != nil {
		return flow.Flow{}, e
	}
	return f, nil
}

// Result is a submit's outcome.
type Result struct {
	Body api.LoginSubmitResult
	// SessionToken, when set, goes into the avnl_session cookie (REQ-CSRF-004).
	SessionToken   string
	SessionExpires time.Time
	// RateLimit headers for the submit (REQ-LIMIT-001).
	RateLimit http.Header
}

// Command is a login submit, decoded once from the validated request.
type Command = submit.Command[Fields]

// Fields are the body fields of every login method (D4); a method reads its own.
type Fields struct {
	CSRFToken     string `json:"csrf_token"`
	Identifier    string `json:"identifier"`
	Password      string `json:"password"`
	TOTPCode      string `json:"totp_code"`
	LookupSecret  string `json:"lookup_secret"`
	WebAuthnLogin string `json:"webauthn_login"`
	Code          string `json:"code"`
}

// Submit runs one login method against a flow.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (Result, error) {
	csrf := submit.CSRF{Token: cmd.Body.CSRFToken, Cookie: req.CSRFCookie}
	load := func(tx *store.Tx) (flow.Flow, error) { return s.usable(tx, w, id) }
	res, err := submit.Run(ctx, w, csrf, load, func(tx *store.Tx, f *flow.Flow) (*Result, error) {
		return s.method(tx, w, req, f, cmd)
	})
	if err != nil || res == nil {
		return Result{}, err
	}
	return *res, nil
}

// method runs the command's method on the flow.
func (s *Service) method(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, cmd Command) (*Result, error) {
	b := cmd.Body
	switch cmd.Method {
	case "password":
		return s.password(tx, w, req, f, b.Identifier, b.Password)
	case "totp":
		return s.secondFactor(tx, w, req, f, "totp", b.TOTPCode)
	case "lookup_secret":
		return s.secondFactor(tx, w, req, f, "lookup_secret", b.LookupSecret)
	case "webauthn":
		if f.RequestedAAL == "aal2" && f.IdentityID != "" {
			return s.secondFactor(tx, w, req, f, "webauthn", b.WebAuthnLogin)
		}
		return s.passkeyLogin(tx, w, req, f, b.WebAuthnLogin)
	case "code":
		return s.code(tx, w, req, f, b.Identifier, b.Code)
	}
	// oidc is in the contract but not offered by this flow (REQ-FLOW-009).
	return nil, notEnabled(cmd.Method)
}

func notEnabled(method string) *apierr.Error {
	return apierr.New(apierr.MethodNotEnabled, fmt.Sprintf("The method %q is not enabled for this flow.", method))
}

// password is the first factor (REQ-LOGIN-002 … REQ-LOGIN-005, REQ-LOGIN-007).
func (s *Service) password(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, identifier, password string) (*Result, error) {
	if f.RequestedAAL == "aal2" && f.IdentityID != "" {
		return nil, notEnabled("password")
	}
	f.SetValue("identifier", identifier)
	headers, over := limit.Hit(tx, "login:"+identity.NormalizeEmail(identifier), s.Policy.SubmitsPerMin, time.Minute, "Too many login attempts. Try again later.")
	if over != nil {
		return nil, over
	}
	ident, found := tx.IdentityByIdentifier(identifier)
	if found && ident.Locked(tx.Now) {
		return nil, s.locked(tx, f, ident)
	}
	if !found {
		identity.Verify(s.DummyHash, password)
	}
	if !found || !identity.Verify(ident.PasswordHash, password) {
		if found {
			if err := s.countFailure(tx, f, &ident); err != nil {
				return nil, err
			}
		}
		e := s.invalidCredentials(tx, f)
		if !found && !w.Rules.UniformCredentialError {
			e.Message = "No account exists with this identifier."
		}
		return nil, e
	}
	if ident.State != identity.StateActive {
		return nil, apierr.New(apierr.AccountDisabled, "This account is disabled.")
	}
	ident.FailedPasswords = 0 // never FailedSecondFactors: a password is not a second factor (REQ-SEC-001)
	if !w.Rules.KeepSecondFactorCount {
		ident.FailedSecondFactors = 0
	}
	_ = tx.PutIdentity(ident)
	f.Active = "password"
	first := auth.Method("password", session.AAL1, tx.Now)

	if f.SessionID != "" {
		return s.reauthenticate(tx, f, ident, first, headers)
	}
	if ident.HasSecondFactor() {
		return s.awaitSecondFactor(tx, w, f, ident, first, headers)
	}
	ses := auth.Issue(tx, w.IDs, ident, first, req, s.SessionLifetime, false)
	return s.done(tx, f, ses, ident, headers), nil
}

// awaitSecondFactor answers a completed first factor of an identity with a second factor: the
// same flow, back in choose_method at requested_aal aal2, with only second-factor groups
// (REQ-LOGIN-002, REQ-SEC-004). No session exists before that step.
func (s *Service) awaitSecondFactor(tx *store.Tx, w *tenant.World, f *flow.Flow, ident identity.Identity, first session.Method, headers http.Header) (*Result, error) {
	f.IdentityID, f.RequestedAAL, f.FirstFactor, f.FirstFactorAt = ident.ID, "aal2", first.Method, tx.Now
	if err := f.MoveTo(flow.ChooseMethod); err != nil {
		return nil, err
	}
	if err := s.beginAssertion(w, f, &ident); err != nil {
		return nil, err
	}
	f.Messages = []flow.Message{ui.LabelSecondStep}
	cf := s.render(tx, *f)
	return &Result{Body: api.LoginSubmitResult{ContinueFlow: &cf}, RateLimit: headers}, nil
}

// secondFactor completes the aal2 step with a TOTP or lookup code (REQ-LOGIN-009, REQ-LOGIN-010).
func (s *Service) secondFactor(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, method, code string) (*Result, error) {
	ident, ok := tx.Identity(f.IdentityID)
	if f.RequestedAAL != "aal2" || !ok {
		return nil, notEnabled(method)
	}
	if ident.Locked(tx.Now) || ident.SecondFactorLocked(tx.Now) {
		return nil, s.locked(tx, f, ident)
	}
	var good bool
	var completed string
	switch method {
	case "totp":
		if ident.TOTPSecret == "" {
			return nil, notEnabled(method)
		}
		var step int64
		last := ident.TOTPLastStep
		if !w.Rules.RefuseTOTPReplay {
			last = 0
		}
		if step, good = identity.MatchTOTP(ident.TOTPSecret, code, tx.Now, last); good {
			ident.TOTPLastStep = step
		}
		completed = "totp"
	case "lookup_secret":
		if len(ident.LookupSecrets) == 0 {
			return nil, notEnabled(method)
		}
		ident.LookupSecrets, good = identity.UseLookupSecret(ident.LookupSecrets, code)
		completed = "recovery_code"
	case "webauthn":
		if len(ident.WebAuthn) == 0 || s.Passkeys == nil {
			return nil, notEnabled(method)
		}
		used, err := s.Passkeys.FinishLogin(passkey.Ceremony{Session: f.WebAuthnSession}, code, func(h []byte) (identity.Identity, bool) {
			return ident, string(h) == ident.ID
		})
		if good = err == nil && used.ID == ident.ID; good {
			ident.WebAuthn = used.WebAuthn
		} else if err := s.beginAssertion(w, f, &ident); err != nil { // a fresh challenge for the next try
			return nil, err
		}
		completed = "webauthn"
	}
	if !good {
		remaining := s.countSecondFactorFailure(tx, f, &ident)
		if remaining == 0 {
			return nil, s.locked(tx, f, ident)
		}
		f.AddFieldMessage(map[string]string{"totp": "totp_code", "lookup_secret": "lookup_secret", "webauthn": "webauthn_login"}[method], ui.ErrCodeInvalid)
		e := apierr.New(apierr.InvalidCode, "The code is invalid or has already been used.")
		e.Details.AttemptsRemaining = &remaining
		e.ContinueFlow = ui.AsFlow(s.render(tx, *f))
		return nil, e
	}
	ident.FailedPasswords, ident.FailedSecondFactors = 0, 0 // a completed aal2 sign-in
	_ = tx.PutIdentity(ident)
	f.Active = method
	second := strong(w, completed, tx.Now)
	var ses session.Session
	if existing, ok := tx.Session(f.SessionID); ok && existing.Active(tx.Now) && existing.IdentityID == ident.ID {
		ses = existing
		ses.Authenticate(second)
		tx.PutSession(ses)
	} else {
		ses = auth.Issue(tx, w.IDs, ident, auth.Method(f.FirstFactor, session.AAL1, f.FirstFactorAt), req, s.SessionLifetime, false)
		ses.Authenticate(second)
		tx.PutSession(ses)
	}
	return s.done(tx, f, ses, ident, nil), nil
}

// loginCode is the email a code login sends (D9).
var loginCode = codes.Message{Template: "login_code", Subject: "Your sign-in code", Text: "Your sign-in code is %s. It expires in 15 minutes."}

// code signs in with an emailed code (REQ-LOGIN-008): step 1 sends it — answering the same
// sent_email flow whether or not the account exists —, step 2 checks it and answers a session
// at aal1.
func (s *Service) code(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, identifier, code string) (*Result, error) {
	if f.RequestedAAL == "aal2" && f.IdentityID != "" {
		return nil, notEnabled("code")
	}
	switch {
	case code != "":
		if f.State != flow.SentEmail {
			return nil, apierr.Invalid("Ask for a code first.", apierr.Field("body.identifier", "required before a code"))
		}
		if err := codes.Verify(f, code, tx.Now, codes.Errors{Wrong: apierr.InvalidCode, Expired: apierr.CodeExpired, Invalid: ui.ErrCodeInvalid}); err != nil {
			if err.Code != apierr.FlowExpired {
				err.ContinueFlow = ui.AsFlow(s.render(tx, *f))
			}
			return nil, err
		}
		ident, _ := tx.Identity(f.CodeIdentityID)
		if ident.Locked(tx.Now) {
			return nil, s.locked(tx, f, ident)
		}
		if ident.State != identity.StateActive {
			return nil, apierr.New(apierr.AccountDisabled, "This account is disabled.")
		}
		f.Active = "code"
		m := auth.Method("code", session.AAL1, tx.Now)
		if f.SessionID != "" {
			return s.reauthenticate(tx, f, ident, m, nil)
		}
		if ident.HasSecondFactor() && w.Rules.CodeLoginAsksSecond {
			return s.awaitSecondFactor(tx, w, f, ident, m, nil)
		}
		return s.done(tx, f, auth.Issue(tx, w.IDs, ident, m, req, s.SessionLifetime, false), ident, nil), nil
	case identifier != "":
		f.SetValue("identifier", identifier)
		ident, known := tx.IdentityByIdentifier(identifier)
		headers, err := codes.Send(tx, w, f, codes.Recipient(w, identifier, ident, known), ident.ID, loginCode, known && ident.State == identity.StateActive)
		if err != nil {
			return nil, err
		}
		if err := f.MoveTo(flow.SentEmail); err != nil {
			return nil, err
		}
		f.Active, f.Messages = "code", []flow.Message{ui.InfoLoginCodeSent}
		cf := s.render(tx, *f)
		return &Result{Body: api.LoginSubmitResult{ContinueFlow: &cf}, RateLimit: headers}, nil
	}
	return nil, apierr.Invalid("Send identifier to get a code, or code to use one.", apierr.Field("body", "one of identifier and code is required"))
}

// passkeyLogin signs in with a discoverable credential and no identifier: one step, aal2
// (REQ-LOGIN-011). A failed ceremony is the same 401 _001 as a wrong password.
func (s *Service) passkeyLogin(tx *store.Tx, w *tenant.World, req request.Request, f *flow.Flow, response string) (*Result, error) {
	if s.Passkeys == nil || f.WebAuthnSession == nil {
		return nil, notEnabled("webauthn")
	}
	used, err := s.Passkeys.FinishLogin(passkey.Ceremony{Session: f.WebAuthnSession}, response, func(h []byte) (identity.Identity, bool) {
		return tx.Identity(string(h))
	})
	if err != nil {
		if err := s.beginAssertion(w, f, nil); err != nil {
			return nil, err
		}
		return nil, s.invalidCredentials(tx, f)
	}
	ident, _ := tx.Identity(used.ID)
	if ident.Locked(tx.Now) {
		return nil, s.locked(tx, f, ident)
	}
	if ident.State != identity.StateActive {
		return nil, apierr.New(apierr.AccountDisabled, "This account is disabled.")
	}
	ident.WebAuthn = used.WebAuthn // the new signature counter
	ident.FailedSecondFactors = 0  // a completed aal2 sign-in
	_ = tx.PutIdentity(ident)
	f.Active = "webauthn"
	m := strong(w, "webauthn", tx.Now)
	if f.SessionID != "" {
		return s.reauthenticate(tx, f, ident, m, nil)
	}
	return s.done(tx, f, auth.Issue(tx, w.IDs, ident, m, req, s.SessionLifetime, false), ident, nil), nil
}

// reauthenticate adds m to the session a refresh or aal2 flow upgrades (REQ-STEPUP-003); the
// flow must be completed by that session's own identity.
func (s *Service) reauthenticate(tx *store.Tx, f *flow.Flow, ident identity.Identity, m session.Method, headers http.Header) (*Result, error) {
	ses, ok := tx.Session(f.SessionID)
	if !ok || !ses.Active(tx.Now) || ses.IdentityID != ident.ID {
		return nil, s.invalidCredentials(tx, f)
	}
	ses.Authenticate(m)
	tx.PutSession(ses)
	return s.done(tx, f, ses, ident, headers), nil
}

// strong is a completed method that brings aal2 — unless the aal-not-raised fault is on.
func strong(w *tenant.World, method string, at time.Time) session.Method {
	m := auth.Method(method, session.AAL2, at)
	if !w.Rules.RaiseAAL {
		m.AAL = session.AAL1
	}
	return m
}

// done consumes the flow and answers the session (REQ-FLOW-004).
func (s *Service) done(tx *store.Tx, f *flow.Flow, ses session.Session, ident identity.Identity, headers http.Header) *Result {
	f.Consumed = true
	out := auth.Session(ses, ident, true)
	res := &Result{Body: api.LoginSubmitResult{Session: &out}, SessionToken: ses.Token, SessionExpires: ses.ExpiresAt, RateLimit: headers}
	if f.ReturnTo != "" {
		rt := f.ReturnTo
		res.Body.ReturnTo = &rt
	}
	return res
}

// countFailure records a failed credential; the LockoutAfter-th locks the identity (REQ-LOGIN-004).
func (s *Service) countFailure(tx *store.Tx, f *flow.Flow, ident *identity.Identity) error {
	ident.FailedPasswords++
	if ident.FailedPasswords >= s.Policy.LockoutAfter {
		ident.FailedPasswords = 0
		ident.LockedUntil = tx.Now.Add(s.Policy.LockoutFor)
		_ = tx.PutIdentity(*ident)
		return s.locked(tx, f, *ident)
	}
	_ = tx.PutIdentity(*ident)
	return nil
}

// countSecondFactorFailure records a wrong second-factor code on the identity's own counter
// (REQ-SEC-001) and returns the attempts left. The last one (answered 423 _002, like the last
// wrong password) consumes the flow, whose next submit answers 400 _009, and locks the second
// factor in every flow until the lock ends.
func (s *Service) countSecondFactorFailure(tx *store.Tx, f *flow.Flow, ident *identity.Identity) int {
	ident.FailedSecondFactors++
	remaining := max(s.Policy.SecondFactorAttempts-ident.FailedSecondFactors, 0)
	if remaining == 0 {
		ident.FailedSecondFactors = 0
		ident.SecondFactorLockedUntil = tx.Now.Add(s.Policy.SecondFactorLockFor)
		f.Consumed = true
	}
	_ = tx.PutIdentity(*ident)
	return remaining
}

// locked is 423 _002 until the later of the password lock and the second-factor lock ends.
func (s *Service) locked(tx *store.Tx, f *flow.Flow, ident identity.Identity) *apierr.Error {
	f.Messages = []flow.Message{ui.ErrLocked}
	e := apierr.New(apierr.AccountLocked, "The account is temporarily locked. Try again later.")
	until := ident.LockedUntil
	if ident.SecondFactorLockedUntil.After(until) {
		until = ident.SecondFactorLockedUntil
	}
	return e.RetryAt(tx.Now, until)
}

// invalidCredentials is the one answer for an unknown identifier and a wrong password
// (REQ-LOGIN-003): the same code, message and re-rendered flow.
func (s *Service) invalidCredentials(tx *store.Tx, f *flow.Flow) *apierr.Error {
	f.Messages = []flow.Message{ui.ErrCredentials}
	e := apierr.New(apierr.InvalidCredentials, "The provided credentials are invalid.")
	e.ContinueFlow = ui.AsFlow(s.render(tx, *f))
	return e
}
