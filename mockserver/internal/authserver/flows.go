package authserver

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Requirement is what an authorization asks of the sign-in of a flow made with its login
// challenge (REQ-OAUTH-009).
type Requirement struct {
	// Reauthenticate: prompt=login or max_age; a browser that has a session signs in again.
	Reauthenticate bool
	AAL2           bool // acr_values=aal2
	LoginHint      string
	OrganizationID string
}

// Requires checks the login challenge a flow is made with: a live authorization of this
// tenant's, else 400 _902 on login_challenge (REQ-OAUTH-004).
func (s *Server) Requires(ctx context.Context, tenant, challenge string, now time.Time) (Requirement, error) {
	var a authorization
	err := s.get(ctx, kindLogin, challenge, &a)
	switch {
	case errors.Is(err, errNotFound), err == nil && (a.Tenant != tenant || now.After(a.Expires)):
		return Requirement{}, unknownChallenge()
	case err != nil:
		return Requirement{}, apierr.Unavailable()
	}
	return Requirement{Reauthenticate: a.Prompt == "login" || a.MaxAge != nil, AAL2: wantsAAL2(a.ACR),
		LoginHint: a.LoginHint, OrganizationID: a.OrgID}, nil
}

func unknownChallenge() error {
	return apierr.Invalid("The login challenge is unknown, expired or was used.",
		apierr.Field("query.login_challenge", "no live authorization has this login challenge"))
}

// SignedIn carries on the authorization of the login challenge a flow completed with the
// session it produced: the URL the browser goes to next, /oauth2/auth?login_verifier=…
// ("" when the authorization is gone, expired or already carried on).
func (s *Server) SignedIn(ctx context.Context, tenant, challenge string, ses session.Session, ident identity.Identity, now time.Time) (string, error) {
	var a authorization
	switch err := s.take(ctx, kindLogin, challenge, &a); {
	case errors.Is(err, errNotFound):
		return "", nil
	case err != nil:
		return "", apierr.Unavailable()
	case a.Tenant != tenant || now.After(a.Expires):
		return "", nil
	}
	a.sign(ses, ident)
	a.Expires = now.Add(ChallengeLifetime)
	verifier := token("lv_")
	if err := s.put(ctx, kindVerifier, verifier, a, now, a.Expires); err != nil {
		return "", apierr.Unavailable()
	}
	return s.cfg.Issuer + "/oauth2/auth?" + url.Values{"login_verifier": {verifier}}.Encode(), nil
}

// ForFlow is Requires for a flow being made in w: nothing asked when it has no challenge.
func (s *Server) ForFlow(ctx context.Context, w *tenant.World, challenge string) (Requirement, error) {
	if challenge == "" {
		return Requirement{}, nil
	}
	if s == nil { // a mock without the authorization server knows no challenge
		return Requirement{}, unknownChallenge()
	}
	return s.Requires(ctx, w.Name, challenge, w.Clock.Now())
}

// Continue is the redirect a completed flow answers beside its session when it was made with
// a login challenge (REQ-OAUTH-004), or nil.
func (s *Server) Continue(ctx context.Context, w *tenant.World, challenge string, ses *session.Session, ident identity.Identity) (*api.Redirect, error) {
	if s == nil || challenge == "" || ses == nil {
		return nil, nil
	}
	to, err := s.SignedIn(ctx, w.Name, challenge, *ses, ident, w.Clock.Now())
	if err != nil || to == "" {
		return nil, err
	}
	return &api.Redirect{Url: to, Reason: api.RedirectReasonOauth2Consent}, nil
}
