// Package callback is the social provider's callback (D11): the browser comes back with a
// code and the state a login or registration flow sent; the code is exchanged for a verified ID
// token and the flow completes — the linked identity signs in (a second factor still asked
// for), a new one is created, or, when the provider's email already has an account, nothing is
// merged and the flow comes back with a message (REQ-OIDC-001 … REQ-OIDC-003).
package callback

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/authserver"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/login"
	"github.com/avnology/idflows/mockserver/internal/registration"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// Service completes flows from the provider's callback.
type Service struct {
	Providers    social.Providers
	Login        *login.Service
	Registration *registration.Service
	// UIURL is where a browser continues a flow that is not finished ({UIURL}/login?flow=…),
	// and goes after a sign-in whose flow has no return_to.
	UIURL string
	// OAuth carries on the authorization a flow's login_challenge belongs to.
	OAuth *authserver.Server
}

// Result is where the browser goes next, with the session a completed flow produced.
type Result struct {
	Location string
	kernel.Effects
}

// Complete handles GET /v1/flows/oidc/callback/{provider}?code&state.
func (s *Service) Complete(ctx context.Context, w *tenant.World, req request.Request, provider, code, state string) (Result, error) {
	p, ok := s.Providers[provider]
	if !ok {
		return Result{}, unknownState()
	}
	var f flow.Flow
	err := w.Store.Read(ctx, func(tx *store.Tx) (err error) {
		f, err = bound(tx, w, req, provider, state)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	claims, err := p.Exchange(ctx, code, f.OIDCVerifier, f.OIDCNonce, w.Rules.CheckSocialNonce) // outside the lock: a provider may be slow
	if err != nil {
		return Result{}, apierr.Invalid("The social sign-in failed.", apierr.Field("query.code", err.Error()))
	}
	if claims.Email == "" {
		return Result{}, apierr.Invalid("The provider shared no email address.", apierr.Field("query.code", "the ID token has no email claim"))
	}
	var (
		o    kernel.Outcome
		done flow.Flow
	)
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		cur, err := bound(tx, w, req, provider, state) // still bound: not completed by a concurrent callback
		if err != nil {
			return err
		}
		st := &kernel.Step{Tx: tx, World: w, Req: req, Flow: &cur}
		cur.OIDCState, cur.OIDCNonce, cur.OIDCVerifier = "", "", "" // a state is used once
		cur.ClearMessages()
		if o, err = s.complete(st, provider, claims); err != nil {
			o, err = refused(st, err)
		}
		if err == nil {
			err = kernel.Apply(st.Flow, o)
		}
		done = cur
		tx.PutFlow(cur)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	res := Result{Effects: kernel.Done[struct{}]{Flow: done, Outcome: o}.Effects()}
	oauth, err := s.OAuth.Continue(ctx, w, done.LoginChallenge, o.Session, o.Identity) // "Sign in with Avnology" carries on
	if err != nil {
		return Result{}, err
	}
	switch {
	case oauth != nil:
		res.Location = oauth.Url
	case o.Session == nil: // not merged, or a second factor is due: the flow goes on in the UI
		res.Location = s.UIURL + "/" + string(done.Type) + "?flow=" + url.QueryEscape(done.ID)
	case done.ReturnTo != "":
		res.Location = done.ReturnTo
	default:
		res.Location = s.UIURL + "/"
	}
	return res, nil
}

// complete signs the provider account's identity in, or creates one, or — the email taken by
// an account the provider is not linked to — sends the flow back with a message.
func (s *Service) complete(st *kernel.Step, provider string, c social.Claims) (kernel.Outcome, error) {
	tx, now := st.Tx, st.Tx.Now
	link := identity.SocialLink{Provider: provider, Subject: c.Subject}
	if st.Flow.Type == flow.Settings {
		return s.link(st, link)
	}
	m := auth.Method("oidc", session.AAL1, now)
	if ident, ok := tx.IdentityBySocial(link); ok {
		if ident.State != identity.StateActive {
			return kernel.Outcome{}, apierr.Invalid("This account is disabled.", apierr.Field("query.code", "the linked account is disabled"))
		}
		if st.Flow.Type == flow.Registration { // a linked account signs in, whichever button it used
			return s.signIn(st, ident, m)
		}
		return s.Login.SignIn(st, ident, m)
	}
	if owner, taken := tx.IdentityByIdentifier(c.Email); taken {
		if !st.World.Rules.KeepSocialApart { // the social-merge deviation
			owner.Social = append(slices.Clone(owner.Social), link)
			if err := tx.PutIdentity(owner); err != nil {
				return kernel.Outcome{}, err
			}
			return s.Login.SignIn(st, owner, m)
		}
		st.Flow.Messages = []flow.Message{ui.InfoLinkFromSettings(provider, c.Email)}
		return kernel.Outcome{To: st.Flow.State()}, nil
	}
	first, last, _ := strings.Cut(strings.TrimSpace(c.Name), " ")
	ident := identity.Identity{
		ID: "usr_" + ids.UUID(st.World.IDs), State: identity.StateActive, CreatedAt: now, UpdatedAt: now,
		Traits:        identity.Traits{Email: c.Email, Name: identity.Name{First: first, Last: strings.TrimSpace(last)}},
		EmailVerified: c.EmailVerified, Social: []identity.SocialLink{link},
	}
	if c.EmailVerified {
		ident.VerifiedAt = now
	}
	return s.Registration.SignUp(st, ident, m)
}

// link adds the provider account to the settings flow's identity — the signed-in caller's — unless
// it is another identity's (REQ-SET-010, provisional).
func (s *Service) link(st *kernel.Step, l identity.SocialLink) (kernel.Outcome, error) {
	_, ident, e := auth.Resolve(st.Tx, st.Req, false)
	if e != nil || ident.ID != st.Flow.IdentityID {
		return kernel.Outcome{}, unknownState() // only the flow's own identity finishes its link
	}
	if other, taken := st.Tx.IdentityBySocial(l); taken {
		if other.ID != ident.ID {
			st.Flow.Messages = []flow.Message{ui.ErrSocialTaken(l.Provider)}
			return kernel.Outcome{To: st.Flow.State()}, nil
		}
	} else {
		ident.Social = append(slices.Clone(ident.Social), l)
		ident.UpdatedAt = st.Tx.Now
		if err := st.Tx.PutIdentity(ident); err != nil {
			return kernel.Outcome{}, err
		}
	}
	st.Flow.Messages = []flow.Message{ui.InfoSaved}
	return kernel.Outcome{To: flow.Success}, nil
}

// signIn signs a linked identity in from a registration flow: a session at aal1 — or, for an
// identity with a second factor, the flow back with 4000005, for the person to sign in with a
// login flow, which has the second-factor step a registration flow lacks.
func (s *Service) signIn(st *kernel.Step, ident identity.Identity, m session.Method) (kernel.Outcome, error) {
	if ident.HasSecondFactor() {
		st.Flow.Messages = []flow.Message{ui.ErrAccountExists}
		return kernel.Outcome{To: st.Flow.State()}, nil
	}
	ses := auth.Issue(st.Tx, st.World.IDs, ident, m, st.Req, s.Login.SessionLifetime, false)
	st.Flow.Active = "oidc"
	return kernel.Outcome{Session: &ses, Identity: ident}, nil
}

// refused brings a refusal the callback has no status of its own for — not a member of the
// flow's organization (_302), an organization closed to registration (_304), a disabled
// account — back on the flow as a message, like an unmerged account.
func refused(st *kernel.Step, err error) (kernel.Outcome, error) {
	var e *apierr.Error
	if !errors.As(err, &e) || e.Status != http.StatusForbidden {
		return kernel.Outcome{}, err
	}
	st.Flow.Messages = []flow.Message{ui.ErrRefused(string(e.Code), e.Message)}
	return kernel.Outcome{To: st.Flow.State()}, nil
}

// bound finds the flow a callback's state names, bound to this browser: an unknown state, one
// already used, another provider's, or one another browser started is 404 _901
// (REQ-OIDC-002); an expired flow is 400 _009.
func bound(tx *store.Tx, w *tenant.World, req request.Request, provider, state string) (flow.Flow, error) {
	id, secret, _ := strings.Cut(state, ".")
	f, ok := tx.Flow(id)
	thisBrowser := req.CSRFCookie != "" && subtle.ConstantTimeCompare([]byte(req.CSRFCookie), []byte(f.CSRFToken)) == 1
	if !ok || f.Consumed || f.OIDCState == "" || f.OIDCProvider != provider ||
		subtle.ConstantTimeCompare([]byte(f.OIDCState), []byte(secret)) != 1 ||
		!thisBrowser && w.Rules.BindSocialState {
		return flow.Flow{}, unknownState()
	}
	return kernel.Usable(tx, w, f.Type, id)
}

func unknownState() error {
	return apierr.New(apierr.NotFound, "No social sign-in is in progress with this state in this browser.")
}
