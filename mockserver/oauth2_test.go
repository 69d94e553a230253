package mockserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

const demoRedirect = "http://localhost:3000/callback"

// relyingParty is the third-party app: a real OpenID Connect client library configured from
// the mock's discovery document.
type relyingParty struct {
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
	ctx      context.Context
}

func newRelyingParty(t *testing.T, srv *mockservertest.Server, clientID, secret string) *relyingParty {
	ctx := oidc.ClientContext(t.Context(), srv.Client())
	provider, err := oidc.NewProvider(ctx, srv.URL)
	require.NoError(t, err, "discovery")
	return &relyingParty{ctx: ctx, verifier: provider.Verifier(&oidc.Config{ClientID: clientID, Now: srv.Clock().Now}), // the app on the mock's time
		cfg: oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: demoRedirect,
			Scopes: []string{oidc.ScopeOpenID, "email", "profile", "offline_access"}}}
}

// noFollow answers each redirect instead of following it, keeping cookies.
func noFollow(srv *mockservertest.Server) *http.Client {
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

func fetch(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// signInFor runs the login UI's part of an authorization through the API: the login flow the
// login_challenge names, signed in as jane, and the redirect it answers beside the session.
func signInFor(t *testing.T, b *browser, loginPage string) (redirect, token string) {
	t.Helper()
	u, err := url.Parse(loginPage)
	require.NoError(t, err)
	challenge := u.Query().Get("login_challenge")
	require.NotEmpty(t, challenge, "the authorization sends the browser to the login UI with a login_challenge: %s", loginPage)
	f, csrf := b.flow("login", "login_challenge="+url.QueryEscape(challenge))
	assert.Equal(t, challenge, f.str("oauth2_login_challenge"))
	r := b.submit("login", f.str("id"), "password", map[string]any{"identifier": "jane@acme.com", "password": "Secure-Passw0rd!", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, "oauth2_consent", r.str("redirect", "reason"))
	require.NotEmpty(t, r.str("session", "token"), "the session is answered beside the redirect")
	return r.str("redirect", "url"), r.str("session", "token")
}

// "Sign in with Avnology" from end to end with a real OIDC client: PKCE, state and nonce,
// consent, a verified ID token, a code used once, refresh tokens that rotate.
func TestSignInWithAvnology(t *testing.T) {
	srv := mockservertest.NewServer(t)
	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	c := noFollow(srv)
	pkce := oauth2.GenerateVerifier()
	auth := rp.cfg.AuthCodeURL("st-123", oauth2.S256ChallengeOption(pkce), oidc.Nonce("n-456"))

	resp := fetch(t, c, auth)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	b := newBrowser(t, srv)
	next, token := signInFor(t, b, resp.Header.Get("Location"))

	resp = fetch(t, c, next)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	consentPage, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "/ui/consent", consentPage.Path, "a third-party app asks for consent")
	challenge := consentPage.Query().Get("consent_challenge")

	assert.Equal(t, http.StatusUnauthorized, fetch(t, &http.Client{}, srv.URL+"/oauth2/consent?consent_challenge="+url.QueryEscape(challenge)).StatusCode,
		"only the session that signed in may see the consent")
	b.token = token
	shown := b.do(http.MethodGet, "/oauth2/consent?consent_challenge="+url.QueryEscape(challenge), nil)
	require.Equal(t, http.StatusOK, shown.status, "%s", shown.raw)
	assert.Equal(t, "Demo App", shown.str("client", "client_name"))
	decided := b.do(http.MethodPost, "/oauth2/consent", map[string]any{"consent_challenge": challenge, "accept": true})
	require.Equal(t, http.StatusOK, decided.status, "%s", decided.raw)
	back, err := url.Parse(decided.str("redirect", "url"))
	require.NoError(t, err)
	assert.Equal(t, "st-123", back.Query().Get("state"))
	code := back.Query().Get("code")
	require.True(t, strings.HasPrefix(code, "auth_code_"), "the code %q", code)
	again, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/oauth2/consent",
		strings.NewReader(`{"consent_challenge":"`+challenge+`","accept":true}`))
	require.NoError(t, err)
	again.Header.Set("Content-Type", "application/json")
	again.Header.Set("Authorization", "Bearer "+token)
	resp, err = http.DefaultClient.Do(again)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a consent is answered once")

	_, err = rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	require.ErrorContains(t, err, "invalid_grant", "another verifier")

	// The code was spent by that try: a fresh authorization, this time in the same browser, which
	// is signed in already, so no login page.
	resp = fetch(t, c, rp.cfg.AuthCodeURL("st-2", oauth2.S256ChallengeOption(pkce), oidc.Nonce("n-2")))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Location"), "/ui/login?login_challenge=", "the API session is not the browser's cookie")

	tok, code2 := authorizeAndConsent(t, srv, rp, pkce)
	idToken, err := rp.verifier.Verify(rp.ctx, tok.Extra("id_token").(string))
	require.NoError(t, err, "the ID token verifies with the JWKS")
	var claims struct {
		Email, Nonce, ACR string
		EmailVerified     bool `json:"email_verified"`
	}
	require.NoError(t, idToken.Claims(&claims))
	assert.Equal(t, "jane@acme.com", claims.Email)
	assert.True(t, claims.EmailVerified)
	assert.Equal(t, "n-pkce", claims.Nonce)
	assert.Equal(t, "usr_00000000-0000-4000-8000-000000000001", idToken.Subject)
	assert.Equal(t, 900, int(tok.ExpiresIn))
	assert.True(t, strings.HasPrefix(tok.RefreshToken, "rt_"))

	_, err = rp.cfg.Exchange(rp.ctx, code2, oauth2.VerifierOption(pkce))
	require.ErrorContains(t, err, "invalid_grant", "a code is used once")
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	require.ErrorContains(t, err, "invalid_grant", "a replayed code ends the refresh tokens it gave")
}

// authorizeAndConsent runs an authorization to its tokens.
func authorizeAndConsent(t *testing.T, srv *mockservertest.Server, rp *relyingParty, pkce string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, string) {
	t.Helper()
	c := noFollow(srv)
	resp := fetch(t, c, rp.cfg.AuthCodeURL("st-pkce", append(opts, oauth2.S256ChallengeOption(pkce), oidc.Nonce("n-pkce"))...))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	b := newBrowser(t, srv)
	next, token := signInFor(t, b, resp.Header.Get("Location"))
	resp = fetch(t, c, next)
	consentPage, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	b.token = token
	decided := b.do(http.MethodPost, "/oauth2/consent", map[string]any{"consent_challenge": consentPage.Query().Get("consent_challenge"), "accept": true})
	require.Equal(t, http.StatusOK, decided.status, "%s", decided.raw)
	back, err := url.Parse(decided.str("redirect", "url"))
	require.NoError(t, err)
	code := back.Query().Get("code")
	tok, err := rp.cfg.Exchange(rp.ctx, code, oauth2.VerifierOption(pkce))
	require.NoError(t, err)
	return tok, code
}

// Refresh tokens rotate; the one replaced, presented again, ends the family.
func TestRefreshTokensRotate(t *testing.T) {
	srv := mockservertest.NewServer(t)
	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	tok, _ := authorizeAndConsent(t, srv, rp, oauth2.GenerateVerifier())
	first := tok.RefreshToken
	next, err := rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: first}).Token()
	require.NoError(t, err)
	require.NotEqual(t, first, next.RefreshToken)
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: first}).Token()
	require.ErrorContains(t, err, "invalid_grant")
	_, err = rp.cfg.TokenSource(rp.ctx, &oauth2.Token{RefreshToken: next.RefreshToken}).Token()
	require.ErrorContains(t, err, "invalid_grant", "the family ended with the replay")
}

// The authorization endpoint never redirects to a URI the client did not register, and sends
// every other error back to the app with the state.
func TestAuthorizationErrors(t *testing.T) {
	srv := mockservertest.NewServer(t)
	c := noFollow(srv)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	q := func(mod func(url.Values)) string {
		v := url.Values{"response_type": {"code"}, "client_id": {"cli_demo_app"}, "redirect_uri": {demoRedirect}, "scope": {"openid"},
			"state": {"s"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
		mod(v)
		return srv.URL + "/oauth2/auth?" + v.Encode()
	}
	for name, mod := range map[string]func(url.Values){
		"unknown client":          func(v url.Values) { v.Set("client_id", "cli_nobody") },
		"unregistered redirect":   func(v url.Values) { v.Set("redirect_uri", "https://evil.example/callback") },
		"a redirect's near miss":  func(v url.Values) { v.Set("redirect_uri", demoRedirect+"/") },
		"no redirect_uri at all!": func(v url.Values) { v.Del("redirect_uri") },
	} {
		resp := fetch(t, c, q(mod))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		assert.Empty(t, resp.Header.Get("Location"), "%s: never redirected", name)
		var e struct{ Error string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		assert.NotEmpty(t, e.Error, name)
	}
	for name, tc := range map[string]struct {
		mod  func(url.Values)
		want string
	}{
		"no PKCE":          {func(v url.Values) { v.Del("code_challenge") }, "invalid_request"},
		"plain PKCE":       {func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request"},
		"token flow":       {func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type"},
		"unknown scope":    {func(v url.Values) { v.Set("scope", "openid admin") }, "invalid_scope"},
		"prompt=none":      {func(v url.Values) { v.Set("prompt", "none") }, "login_required"},
		"negative max_age": {func(v url.Values) { v.Set("max_age", "-1") }, "invalid_request"},
	} {
		resp := fetch(t, c, q(tc.mod))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, name)
		back, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "localhost:3000", back.Host, name)
		assert.Equal(t, tc.want, back.Query().Get("error"), name)
		assert.Equal(t, "s", back.Query().Get("state"), name)
	}
	b := newBrowser(t, srv)
	r := b.do(http.MethodGet, "/v1/flows/login?login_challenge=lc_made-up", nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "AVNOLOGY_AUTH_902", r.code())
}

// With the pkce-not-verified deviation a code is exchanged whatever the verifier.
func TestPKCENotVerifiedDeviation(t *testing.T) {
	srv := mockservertest.NewServer(t, mockservertest.WithDeviation(mockserver.DeviationPKCENotVerified))
	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	pkce := oauth2.GenerateVerifier()
	c := noFollow(srv)
	resp := fetch(t, c, rp.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
	b := newBrowser(t, srv)
	next, token := signInFor(t, b, resp.Header.Get("Location"))
	consentPage, err := url.Parse(fetch(t, c, next).Header.Get("Location"))
	require.NoError(t, err)
	b.token = token
	decided := b.do(http.MethodPost, "/oauth2/consent", map[string]any{"consent_challenge": consentPage.Query().Get("consent_challenge"), "accept": true})
	back, err := url.Parse(decided.str("redirect", "url"))
	require.NoError(t, err)
	_, err = rp.cfg.Exchange(rp.ctx, back.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	assert.NoError(t, err, "the deviation skips PKCE")
}

// A client registered through the control plane signs people in; a confidential one must
// authenticate at the token endpoint, and first-party ones skip consent.
func TestRegisteredConfidentialClient(t *testing.T) {
	srv := mockservertest.NewServer(t)
	ctl := newBrowser(t, srv)
	r := ctl.do(http.MethodPost, "/_mock/oauth2/clients", map[string]any{"client_id": "cli_backend", "client_secret": "a-secret-of-sixteen+",
		"redirect_uris": []string{demoRedirect}, "first_party": true})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)
	assert.Equal(t, true, r.get("confidential"))
	assert.NotContains(t, string(r.raw), "a-secret-of-sixteen+", "a secret is never shown")
	list := ctl.do(http.MethodGet, "/_mock/oauth2/clients", nil)
	assert.Contains(t, string(list.raw), `"cli_backend"`)
	assert.Contains(t, string(list.raw), `"cli_demo_app"`)
	bad := ctl.do(http.MethodPost, "/_mock/oauth2/clients", map[string]any{"client_id": "cli_x", "redirect_uris": []string{"http://x.example/cb#frag"}})
	assert.Equal(t, http.StatusBadRequest, bad.status)

	rp := newRelyingParty(t, srv, "cli_backend", "a-secret-of-sixteen+")
	pkce := oauth2.GenerateVerifier()
	c := noFollow(srv)
	resp := fetch(t, c, rp.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(pkce)))
	next, _ := signInFor(t, newBrowser(t, srv), resp.Header.Get("Location"))
	back, err := url.Parse(fetch(t, c, next).Header.Get("Location"))
	require.NoError(t, err)
	require.NotEmpty(t, back.Query().Get("code"), "a first-party app gets its code without consent: %s", back)
	wrong := rp.cfg
	wrong.ClientSecret = "not-the-secret-at-all"
	_, err = wrong.Exchange(rp.ctx, back.Query().Get("code"), oauth2.VerifierOption(pkce))
	require.ErrorContains(t, err, "invalid_client")
}

// A social sign-in finishes an authorization like a password does: the provider's callback
// sends the browser on to /oauth2/auth with a login verifier.
func TestSocialSignInCarriesTheAuthorizationOn(t *testing.T) {
	srv := mockservertest.NewServer(t)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	b := &browser{t: t, srv: srv, client: c}
	r := b.do(http.MethodPost, "/_mock/social/google/accounts", map[string]any{"email": "sam@example.com", "email_verified": true, "next": true})
	require.Less(t, r.status, 300, "%s", r.raw)

	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	resp := fetch(t, c, rp.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	f, csrf := b.flow("login", "login_challenge="+url.QueryEscape(u.Query().Get("login_challenge")))
	started := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "google", "csrf_token": csrf})
	require.Equal(t, "oidc", started.str("redirect", "reason"), "%s", started.raw)
	callback := fetch(t, c, started.str("redirect", "url")).Header.Get("Location") // the provider, with the next account
	require.Contains(t, callback, "/v1/flows/oidc/callback/google")
	next := fetch(t, c, callback).Header.Get("Location")
	assert.Contains(t, next, srv.URL+"/oauth2/auth?login_verifier=", "the callback carries the authorization on")
}

// A sign-in for an organization names it in the access token, as documented (org_id, org_name).
func TestAccessTokenNamesTheOrganization(t *testing.T) {
	srv := mockservertest.NewServer(t)
	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	tok, _ := authorizeAndConsent(t, srv, rp, oauth2.GenerateVerifier(), oauth2.SetAuthURLParam("organization_id", "org_acme"))
	access, err := rp.verifier.Verify(rp.ctx, tok.AccessToken)
	require.NoError(t, err)
	var claims struct {
		OrgID   string `json:"org_id"`
		OrgName string `json:"org_name"`
		Scope   string
	}
	require.NoError(t, access.Claims(&claims))
	assert.Equal(t, "org_acme", claims.OrgID)
	assert.Equal(t, "Acme", claims.OrgName)
	assert.Contains(t, claims.Scope, "openid")
}

// A login verifier lives as long as a flow: a browser that comes back to /oauth2/auth with one
// after that, by the tenant's clock, is told it expired.
func TestALoginVerifierExpires(t *testing.T) {
	srv := mockservertest.NewServer(t)
	rp := newRelyingParty(t, srv, "cli_demo_app", "")
	c := noFollow(srv)
	resp := fetch(t, c, rp.cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	next, _ := signInFor(t, newBrowser(t, srv), resp.Header.Get("Location"))
	srv.Clock().Advance(31 * time.Minute)
	late := fetch(t, c, next)
	assert.Equal(t, http.StatusBadRequest, late.StatusCode)
	assert.Empty(t, late.Header.Get("Location"))
}
