// Package login is the login flow: creation with its session rules, the password first factor
// with lockout and rate limits, and the TOTP and lookup-secret second factors.
package login

import (
	"cmp"
	"context"
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
	"github.com/avnology/idflows/mockserver/internal/limit"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/store"
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
	// Social are the social providers of the oidc method (D11).
	Social social.Providers
	// OAuth is the authorization server a flow's login_challenge belongs to (REQ-OAUTH-004).
	OAuth *authserver.Server

	once sync.Once
	typ  *kernel.Type[Fields, ui.SecondFactors]
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
	asked, err := s.OAuth.ForFlow(ctx, w, p.LoginChallenge)
	if err != nil {
		return Created{}, err
	}
	p.OrganizationID = cmp.Or(p.OrganizationID, asked.OrganizationID)
	var (
		out    Created
		f      flow.Flow
		second ui.SecondFactors
	)
	// Without a session credential the flow offers a passkey login to anyone: its ceremony
	// (a challenge, options JSON) is started before taking the tenant's lock.
	var anyone flow.Flow
	signedOut := req.SessionToken() == ""
	if signedOut {
		if err := s.Passkeys.StartLogin(w.IDs, &anyone, nil); err != nil {
			return out, err
		}
	}
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		ses, hasSession := auth.Peek(tx, req)
		if hasSession && p.LoginChallenge != "" { // the authorization asked for a new sign-in (REQ-OAUTH-009)
			p.Refresh = p.Refresh || asked.Reauthenticate || !asked.AAL2
			if asked.AAL2 {
				p.AAL = "aal2"
			}
		}
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
		if !hasSession && asked.LoginHint != "" {
			f.SetValue("identifier", asked.LoginHint)
		}
		if signedOut {
			f.WebAuthnOptions, f.WebAuthnSession = anyone.WebAuthnOptions, anyone.WebAuthnSession
		} else if err := s.Passkeys.StartLogin(w.IDs, &f, awaited); err != nil {
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

// secondFactors are the second factors the flow's awaited identity can use.
func secondFactors(tx *store.Tx, f flow.Flow) ui.SecondFactors {
	ident, ok := tx.Identity(f.IdentityID)
	if !ok {
		return ui.SecondFactors{}
	}
	return ui.SecondFactors{TOTP: ident.TOTPSecret != "", LookupSecret: len(ident.LookupSecrets) > 0, WebAuthn: len(ident.WebAuthn) > 0}
}

// Get returns a login flow (REQ-FLOW-003, REQ-FLOW-005).
func (s *Service) Get(ctx context.Context, w *tenant.World, id string) (api.LoginFlow, error) {
	var (
		f      flow.Flow
		second ui.SecondFactors
	)
	err := w.Store.Read(ctx, func(tx *store.Tx) error {
		var err error
		if f, err = kernel.Usable(tx, w, flow.Login, id); err != nil {
			return err
		}
		if f.WebAuthnOptions == "" && f.IdentityID == "" { // a flow offered in place of an expired one
			if err := s.Passkeys.StartLogin(w.IDs, &f, nil); err != nil {
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

// Result is a submit's outcome.
type Result struct {
	Body api.LoginSubmitResult
	kernel.Effects
}

// Command is a login submit, decoded once from the validated request.
type Command = kernel.Command[Fields]

// Fields are the body fields of every login method (D4); a method reads its own.
type Fields struct {
	CSRFToken     string `json:"csrf_token"`
	Identifier    string `json:"identifier"`
	Password      string `json:"password"`
	TOTPCode      string `json:"totp_code"`
	LookupSecret  string `json:"lookup_secret"`
	WebAuthnLogin string `json:"webauthn_login"`
	Code          string `json:"code"`
	Provider      string `json:"provider"`

	checked *checked // set by Submit for the password method
}

// CSRF is the token the form carried.
func (f Fields) CSRF() string { return f.CSRFToken }

// checked is a password verified before the submit takes the tenant's lock: Argon2id costs
// about a millisecond and a MiB, and doing it under the lock would serialise every sign-in of
// the tenant. It is only a verdict on one hash; the submit uses it if the identity still has
// that hash, and counts, locks out and signs in under the lock as always.
type checked struct {
	hash string
	ok   bool
}

// Submit runs one login method against a flow.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (Result, error) {
	if cmd.Method == "password" {
		cmd.Body.checked = s.check(ctx, w, cmd.Body.Identifier, cmd.Body.Password)
	}
	if err := s.Social.Prepare(ctx, cmd.Method, cmd.Body.Provider); err != nil {
		return Result{}, err
	}
	d, err := kernel.Run(ctx, s.flowType(), w, req, id, cmd)
	if err != nil {
		return Result{}, err
	}
	res := Result{Effects: d.Effects(), Body: api.LoginSubmitResult{Redirect: d.Redirect()}}
	if res.Body.Redirect == nil {
		if res.Body.Redirect, err = s.OAuth.Continue(ctx, w, d.Flow.LoginChallenge, d.Outcome.Session, d.Outcome.Identity); err != nil {
			return Result{}, err
		}
	}
	if res.Body.Session, res.Body.ReturnTo = d.SignedIn(); res.Body.Session == nil && res.Body.Redirect == nil {
		cf := s.Render.Login(d.Flow, d.View) // the flow goes on: a code was sent, or a second factor is due
		res.Body.ContinueFlow = &cf
	}
	return res, nil
}

// flowType declares the login flow to the kernel: its methods, and which step offers which —
// first factors until one succeeded for an identity with a second factor, then second factors
// only (REQ-LOGIN-002, REQ-SEC-004).
func (s *Service) flowType() *kernel.Type[Fields, ui.SecondFactors] {
	s.once.Do(func() {
		// A flow offers what its UI shows: first factors, or — once a code was sent — that
		// code only, or second factors once a first factor asked for one.
		first := func(f *flow.Flow) bool { return !awaitsSecondFactor(f) && f.State() != flow.SentEmail }
		code := func(f *flow.Flow) bool { return !awaitsSecondFactor(f) }
		webauthn := func(f *flow.Flow) bool { return awaitsSecondFactor(f) || f.State() != flow.SentEmail }
		s.typ = &kernel.Type[Fields, ui.SecondFactors]{
			Flow: flow.Login,
			Methods: map[string]kernel.Method[Fields]{
				"password":      {Run: s.password, Offered: first},
				"code":          {Run: s.code, Offered: code},
				"totp":          {Run: s.totp, Offered: awaitsSecondFactor},
				"lookup_secret": {Run: s.lookupSecret, Offered: awaitsSecondFactor},
				"webauthn":      {Run: s.webauthn, Offered: webauthn},
				"oidc":          {Run: func(st *kernel.Step, b Fields) (kernel.Outcome, error) { return s.Social.Start(st, b.Provider) }, Offered: first},
			},
			Load:   kernel.LoadUsable(flow.Login),
			View:   func(st *kernel.Step) ui.SecondFactors { return secondFactors(st.Tx, *st.Flow) },
			Render: func(f flow.Flow, v ui.SecondFactors) *api.Flow { return ui.AsFlow(s.Render.Login(f, v)) },
		}
	})
	return s.typ
}

// awaitsSecondFactor reports whether the flow completed a first factor and waits for a second.
func awaitsSecondFactor(f *flow.Flow) bool { return f.RequestedAAL == "aal2" && f.IdentityID != "" }

// check verifies password against the hash of the identity identifier names — or, for an
// unknown identifier, against DummyHash, so that both take as long (REQ-LOGIN-003) — outside
// the lock. A submit that will be refused before verifying (rate limited, locked) is not
// verified, so refused attempts cost no hashing.
func (s *Service) check(ctx context.Context, w *tenant.World, identifier, password string) *checked {
	var (
		hash    string
		refused bool
	)
	err := w.Store.Read(ctx, func(tx *store.Tx) error {
		ident, found := tx.IdentityByIdentifier(identifier)
		hash = s.DummyHash
		if found {
			hash = ident.PasswordHash
		}
		refused = found && ident.Locked(tx.Now) || tx.Spent(loginLimitKey(identifier), s.Policy.SubmitsPerMin)
		return nil
	})
	if err != nil || refused {
		return nil
	}
	return &checked{hash: hash, ok: identity.Verify(hash, password)}
}

// verify is b's password checked against hash, with the verdict reached outside the lock when
// it was for this very hash.
func (b Fields) verify(hash string) bool {
	if b.checked != nil && b.checked.hash == hash {
		return b.checked.ok
	}
	return identity.Verify(hash, b.Password)
}

func loginLimitKey(identifier string) string { return "login:" + identity.NormalizeEmail(identifier) }

// password is the first factor (REQ-LOGIN-002 … REQ-LOGIN-005, REQ-LOGIN-007).
func (s *Service) password(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	tx, f := st.Tx, st.Flow
	f.SetValue("identifier", b.Identifier)
	headers, over := limit.Hit(tx, loginLimitKey(b.Identifier), s.Policy.SubmitsPerMin, time.Minute, "Too many login attempts. Try again later.")
	if over != nil {
		return kernel.Outcome{}, over
	}
	ident, found := tx.IdentityByIdentifier(b.Identifier)
	if found && ident.Locked(tx.Now) {
		return kernel.Outcome{}, s.locked(tx, f, ident)
	}
	if !found {
		b.verify(s.DummyHash)
	}
	if !found || !b.verify(ident.PasswordHash) {
		if found {
			if err := s.countFailure(tx, f, &ident); err != nil {
				return kernel.Outcome{}, err
			}
		}
		e := invalidCredentials(f)
		if !found && !st.World.Rules.UniformCredentialError {
			e.Message = "No account exists with this identifier."
		}
		return kernel.Outcome{}, e
	}
	if ident.State != identity.StateActive {
		return kernel.Outcome{}, disabled()
	}
	ident.FailedPasswords = 0 // never FailedSecondFactors: a password is not a second factor (REQ-SEC-001)
	if !st.World.Rules.KeepSecondFactorCount {
		ident.FailedSecondFactors = 0
	}
	_ = tx.PutIdentity(ident)
	o, err := s.firstFactor(st, ident, auth.Method("password", session.AAL1, tx.Now), true)
	o.RateLimit = headers
	return o, err
}

// loginCode is the email a code login sends (D9).
var loginCode = codes.Steps{
	Message: codes.Message{Template: "login_code", Subject: "Your sign-in code", Text: "Your sign-in code is %s. It expires in 15 minutes."},
	Sent:    ui.InfoLoginCodeSent,
	Errors:  codes.Errors{Wrong: apierr.InvalidCode, Expired: apierr.CodeExpired, Invalid: ui.ErrCodeInvalid},
	Asks:    "identifier",
}

// code signs in with an emailed code (REQ-LOGIN-008): step 1 sends it — answering the same
// sent_email flow whether or not the account exists —, step 2 checks it and signs in at aal1.
func (s *Service) code(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	tx, f := st.Tx, st.Flow
	switch {
	case b.Code != "":
		if err := loginCode.Check(st, b.Code); err != nil {
			return kernel.Outcome{}, err
		}
		ident, _ := tx.Identity(f.CodeIdentityID)
		if ident.Locked(tx.Now) {
			return kernel.Outcome{}, s.locked(tx, f, ident)
		}
		if ident.State != identity.StateActive {
			return kernel.Outcome{}, disabled()
		}
		return s.firstFactor(st, ident, auth.Method("code", session.AAL1, tx.Now), st.World.Rules.CodeLoginAsksSecond)
	case b.Identifier != "":
		f.SetValue("identifier", b.Identifier)
		ident, known := tx.IdentityByIdentifier(b.Identifier)
		return loginCode.Send(st, codes.Recipient(st.World, b.Identifier, ident, known), ident.ID, known && ident.State == identity.StateActive)
	}
	return kernel.Outcome{}, loginCode.Missing()
}

// SignIn completes a first factor m of ident in a login flow — the social callback's way in:
// see firstFactor; a second factor is always asked for.
func (s *Service) SignIn(st *kernel.Step, ident identity.Identity, m session.Method) (kernel.Outcome, error) {
	return s.firstFactor(st, ident, m, true)
}

// firstFactor completes a first factor m of ident: it refreshes the session a refresh or aal2
// flow upgrades, or — for an identity with a second factor, when asked — awaits it in the same
// flow, back in choose_method at requested_aal aal2 with only second-factor groups
// (REQ-LOGIN-002, REQ-SEC-004); no session exists before that step. Otherwise it signs in.
func (s *Service) firstFactor(st *kernel.Step, ident identity.Identity, m session.Method, askSecond bool) (kernel.Outcome, error) {
	f := st.Flow
	if err := member(st.World, f, ident); err != nil {
		return kernel.Outcome{}, err
	}
	f.Active = m.Method
	switch {
	case f.SessionID != "":
		return s.reauthenticate(st, ident, m)
	case askSecond && ident.HasSecondFactor():
		f.IdentityID, f.RequestedAAL, f.FirstFactor, f.FirstFactorAt = ident.ID, "aal2", m.Method, st.Tx.Now
		if err := s.Passkeys.StartLogin(st.World.IDs, f, &ident); err != nil {
			return kernel.Outcome{}, err
		}
		f.Messages = []flow.Message{ui.LabelSecondStep}
		return kernel.Outcome{To: flow.ChooseMethod}, nil
	}
	return signedIn(ident, auth.Issue(st.Tx, st.World.IDs, ident, m, st.Req, s.SessionLifetime, false)), nil
}

// factor names a second factor: its login method, its name in the session's
// authentication_methods, and the node a wrong one is shown on.
type factor struct{ method, amr, field string }

// The second factors (REQ-LOGIN-009, REQ-LOGIN-010): each checks its own credential; the
// attempt rule, the lockout and the sign-in are secondFactor's.
var (
	totpFactor     = factor{"totp", "totp", "totp_code"}
	lookupFactor   = factor{"lookup_secret", "recovery_code", "lookup_secret"}
	webauthnFactor = factor{"webauthn", "webauthn", "webauthn_login"}
)

func (s *Service) totp(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return s.secondFactor(st, totpFactor, func(ident *identity.Identity) (bool, error) {
		if ident.TOTPSecret == "" {
			return false, kernel.NotOffered("totp")
		}
		last := ident.TOTPLastStep
		if !st.World.Rules.RefuseTOTPReplay {
			last = 0
		}
		step, good := identity.MatchTOTP(ident.TOTPSecret, b.TOTPCode, st.Tx.Now, last)
		if good {
			ident.TOTPLastStep = step
		}
		return good, nil
	})
}

func (s *Service) lookupSecret(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	return s.secondFactor(st, lookupFactor, func(ident *identity.Identity) (good bool, err error) {
		if len(ident.LookupSecrets) == 0 {
			return false, kernel.NotOffered("lookup_secret")
		}
		ident.LookupSecrets, good = identity.UseLookupSecret(ident.LookupSecrets, b.LookupSecret)
		return good, nil
	})
}

// webauthn is a security key as the awaited second factor, or else a passkey login.
func (s *Service) webauthn(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	if !awaitsSecondFactor(st.Flow) {
		return s.passkeyLogin(st, b.WebAuthnLogin)
	}
	return s.secondFactor(st, webauthnFactor, func(ident *identity.Identity) (bool, error) {
		if len(ident.WebAuthn) == 0 || s.Passkeys == nil {
			return false, kernel.NotOffered("webauthn")
		}
		used, err := s.Passkeys.FinishLogin(passkey.Ceremony{Session: st.Flow.WebAuthnSession}, b.WebAuthnLogin, func(h []byte) (identity.Identity, bool) {
			return *ident, string(h) == ident.ID
		})
		if err == nil && used.ID == ident.ID {
			ident.WebAuthn = used.WebAuthn // the new signature counter
			return true, nil
		}
		return false, s.Passkeys.StartLogin(st.World.IDs, st.Flow, ident) // a fresh challenge for the next try
	})
}

// secondFactor is the aal2 step of the identity the flow awaits: check verifies the submitted
// credential. Wrong ones count on the identity (REQ-SEC-001); the last allowed one locks the
// second factor and consumes the flow.
func (s *Service) secondFactor(st *kernel.Step, fa factor, check func(*identity.Identity) (bool, error)) (kernel.Outcome, error) {
	tx, f := st.Tx, st.Flow
	ident, ok := tx.Identity(f.IdentityID)
	if !ok {
		return kernel.Outcome{}, kernel.NotOffered(fa.method)
	}
	if ident.Locked(tx.Now) || ident.SecondFactorLocked(tx.Now) {
		return kernel.Outcome{}, s.locked(tx, f, ident)
	}
	good, err := check(&ident)
	if err != nil {
		return kernel.Outcome{}, err
	}
	if !good {
		remaining := s.countSecondFactorFailure(tx, f, &ident)
		if remaining == 0 {
			return kernel.Outcome{}, s.locked(tx, f, ident)
		}
		f.AddFieldMessage(fa.field, ui.ErrCodeInvalid)
		e := apierr.New(apierr.InvalidCode, "The code is invalid or has already been used.")
		e.Details.AttemptsRemaining = &remaining
		return kernel.Outcome{}, e
	}
	ident.FailedPasswords, ident.FailedSecondFactors = 0, 0 // a completed aal2 sign-in
	_ = tx.PutIdentity(ident)
	f.Active = fa.method
	second := strong(st.World, fa.amr, tx.Now)
	ses, ok := tx.Session(f.SessionID)
	if !ok || !ses.Active(tx.Now) || ses.IdentityID != ident.ID {
		ses = auth.Issue(tx, st.World.IDs, ident, auth.Method(f.FirstFactor, session.AAL1, f.FirstFactorAt), st.Req, s.SessionLifetime, false)
	}
	ses.Authenticate(second)
	tx.PutSession(ses)
	return signedIn(ident, ses), nil
}

// passkeyLogin signs in with a discoverable credential and no identifier: one step, aal2
// (REQ-LOGIN-011). A failed ceremony is the same 401 _001 as a wrong password.
func (s *Service) passkeyLogin(st *kernel.Step, response string) (kernel.Outcome, error) {
	tx, f := st.Tx, st.Flow
	if s.Passkeys == nil || f.WebAuthnSession == nil {
		return kernel.Outcome{}, kernel.NotOffered("webauthn")
	}
	used, err := s.Passkeys.FinishLogin(passkey.Ceremony{Session: f.WebAuthnSession}, response, func(h []byte) (identity.Identity, bool) {
		return tx.Identity(string(h))
	})
	if err != nil {
		if err := s.Passkeys.StartLogin(st.World.IDs, f, nil); err != nil {
			return kernel.Outcome{}, err
		}
		return kernel.Outcome{}, invalidCredentials(f)
	}
	ident, _ := tx.Identity(used.ID)
	if ident.Locked(tx.Now) {
		return kernel.Outcome{}, s.locked(tx, f, ident)
	}
	if ident.State != identity.StateActive {
		return kernel.Outcome{}, disabled()
	}
	if err := member(st.World, f, ident); err != nil {
		return kernel.Outcome{}, err
	}
	ident.WebAuthn = used.WebAuthn // the new signature counter
	ident.FailedSecondFactors = 0  // a completed aal2 sign-in
	_ = tx.PutIdentity(ident)
	f.Active = "webauthn"
	m := strong(st.World, "webauthn", tx.Now)
	if f.SessionID != "" {
		return s.reauthenticate(st, ident, m)
	}
	return signedIn(ident, auth.Issue(tx, st.World.IDs, ident, m, st.Req, s.SessionLifetime, false)), nil
}

// reauthenticate adds m to the session a refresh or aal2 flow upgrades (REQ-STEPUP-003); the
// flow must be completed by that session's own identity.
func (s *Service) reauthenticate(st *kernel.Step, ident identity.Identity, m session.Method) (kernel.Outcome, error) {
	ses, ok := st.Tx.Session(st.Flow.SessionID)
	if !ok || !ses.Active(st.Tx.Now) || ses.IdentityID != ident.ID {
		return kernel.Outcome{}, invalidCredentials(st.Flow)
	}
	ses.Authenticate(m)
	st.Tx.PutSession(ses)
	return signedIn(ident, ses), nil
}

// strong is a completed method that brings aal2 — unless the aal-not-raised deviation is on.
func strong(w *tenant.World, method string, at time.Time) session.Method {
	m := auth.Method(method, session.AAL2, at)
	if !w.Rules.RaiseAAL {
		m.AAL = session.AAL1
	}
	return m
}

// signedIn is the outcome that answers the session; the kernel consumes the flow (REQ-FLOW-004).
func signedIn(ident identity.Identity, ses session.Session) kernel.Outcome {
	return kernel.Outcome{Session: &ses, Identity: ident}
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
func invalidCredentials(f *flow.Flow) *apierr.Error {
	f.Messages = []flow.Message{ui.ErrCredentials}
	return apierr.New(apierr.InvalidCredentials, "The provided credentials are invalid.")
}

// member refuses an identity that is not a member of the organization a login flow is
// restricted to (403 _302): it proved who it is, but may not sign in here.
func member(w *tenant.World, f *flow.Flow, ident identity.Identity) error {
	if f.OrganizationID == "" || ident.MemberOf(f.OrganizationID) || !w.Rules.EnforceOrganizations {
		return nil
	}
	return apierr.New(apierr.NotAMember, "This account is not a member of the organization.")
}

func disabled() *apierr.Error { return apierr.New(apierr.AccountDisabled, "This account is disabled.") }
