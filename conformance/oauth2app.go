package conformance

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// oauthApp is the suite playing a third-party app that offers "Sign in with Avnology": a real
// OpenID Connect relying party (golang.org/x/oauth2 and coreos/go-oidc) configured from the
// target's discovery document. Every request the libraries make goes through the suite, so it
// is judged by the contract and kept, redacted, as evidence.
type oauthApp struct {
	t        *T
	app      OAuth2App
	cfg      oauth2.Config
	provider *oidc.Provider
	ctx      context.Context // carries the suite's client to the libraries
	clock    *serverClock
}

// serverClock is the time of the target's last answer (its Date): the app judges a token's
// expiry by the clock that issued it, which a test may have moved.
type serverClock struct{ last time.Time }

func (c *serverClock) now() time.Time {
	if c.last.IsZero() {
		return time.Now()
	}
	return c.last
}

// oauthApp makes the case's app (SKIPPED without one) and reads the target's discovery
// document.
func (t *T) oauthApp() *oauthApp {
	t.Need(NeedOAuth2)
	app, err := t.target.OAuth2.App(t.ctx, t.scope)
	if err != nil {
		t.suiteError("the suite's OAuth app: %v", err)
	}
	o := &oauthApp{t: t, app: app, clock: &serverClock{}}
	o.ctx = oidc.ClientContext(t.ctx, &http.Client{Transport: &throughSuite{a: t.API(), clock: o.clock}})
	issuer := strings.TrimRight(t.target.BaseURL, "/")
	if o.provider, err = oidc.NewProvider(o.ctx, issuer); err != nil {
		t.Fatalf("the discovery document at %s/.well-known/openid-configuration: %v (REQ-OAUTH-007)", issuer, err)
	}
	o.cfg = oauth2.Config{ClientID: app.ClientID, ClientSecret: app.ClientSecret, RedirectURL: app.RedirectURI,
		Endpoint: o.provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile", "offline_access"}}
	return o
}

// verifier checks tokens' signatures with the target's JWKS, and their iss, aud and expiry.
func (o *oauthApp) verifier() *oidc.IDTokenVerifier {
	return o.provider.Verifier(&oidc.Config{ClientID: o.app.ClientID, Now: o.clock.now, SupportedSigningAlgs: []string{oidc.RS256}})
}

// authorization is one the app started: its PKCE verifier, state and nonce.
type authorization struct {
	pkce, state, nonce string
}

// authorize sends browser b to the authorization endpoint with the app's request, changed by
// edit (nil: as a relying party sends it); the answer is the 303 (or an error).
func (o *oauthApp) authorize(b *Agent, edit func(url.Values)) (authorization, *Response) {
	az := authorization{pkce: oauth2.GenerateVerifier(), state: "st-" + randomHex(8), nonce: "n-" + randomHex(8)}
	req := o.t.getOf(o.cfg.AuthCodeURL(az.state, oauth2.S256ChallengeOption(az.pkce), oidc.Nonce(az.nonce)))
	if edit != nil {
		edit(req.Query)
		req.Deliberate = true
	}
	return az, b.Do(req)
}

// loginChallenge is the login_challenge an authorization sent the browser to the login UI
// with (REQ-OAUTH-004); the case ends without one.
func (o *oauthApp) loginChallenge(r *Response) string {
	t := o.t
	t.RequireStatus(r, http.StatusSeeOther, "the authorization request")
	u, err := url.Parse(r.Header.Get("Location"))
	lc := ""
	if err == nil {
		lc = u.Query().Get("login_challenge")
	}
	if lc == "" {
		t.fatalAt(r.Seq, "the authorization sent the browser to %q, want the login UI with a login_challenge (REQ-OAUTH-004)", redactURL(r.Header.Get("Location")))
	}
	return lc
}

// signIn is the login UI's part: a login flow made with the challenge, signed in as acc; the
// answer carries the session and a redirect to carry the authorization on.
func (o *oauthApp) signIn(b *Agent, r *Response, acc *Account) *Response {
	t := o.t
	lc := o.loginChallenge(r)
	f := b.MustCreateFlow("login", url.Values{"login_challenge": {lc}})
	t.Check(f.Data["oauth2_login_challenge"] == lc, "the login flow must echo oauth2_login_challenge")
	done := b.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
	t.RequireStatus(done, http.StatusOK, "signing in for the authorization")
	t.checkAt(done.Seq, done.Str("redirect.reason") == "oauth2_consent" && done.Str("redirect.url") != "",
		"a completed flow with a login_challenge must answer redirect with reason oauth2_consent, got %q (REQ-OAUTH-004)", done.Str("redirect.reason"))
	t.checkAt(done.Seq, done.Str("session.id") != "", "the session must be answered beside the redirect (REQ-OAUTH-004)")
	acc.Token = done.Str("session.token")
	return done
}

// follow sends browser b where an answer's redirect (or Location) points on the target.
func (o *oauthApp) follow(b *Agent, to string) *Response { return b.Do(o.t.getOf(to)) }

// consentChallenge is the consent_challenge a 303 sent the browser to the consent UI with, or
// "" when it went straight back to the app (a first-party app: consent implied).
func (o *oauthApp) consentChallenge(r *Response) string {
	t := o.t
	t.RequireStatus(r, http.StatusSeeOther, "carrying the authorization on after sign-in")
	to := r.Header.Get("Location")
	u, err := url.Parse(to)
	switch {
	case err == nil && u.Query().Get("consent_challenge") != "":
		return u.Query().Get("consent_challenge")
	case strings.HasPrefix(to, o.app.RedirectURI):
		return ""
	}
	t.fatalAt(r.Seq, "after sign-in the browser went to %q, want the consent UI with a consent_challenge, or the app (REQ-OAUTH-004)", redactURL(to))
	return ""
}

// thirdParty is the consent challenge of an authorization that asks for consent; the case is
// SKIPPED when the app the suite plays is first-party.
func (o *oauthApp) thirdParty(r *Response) string {
	cc := o.consentChallenge(r)
	if cc == "" {
		o.t.Skipf("the app the suite plays (%s) is first-party: it is never asked for consent", o.app.ClientID)
	}
	return cc
}

// decide answers a consent as the signed-in person (who holds token).
func (o *oauthApp) decide(token, challenge string, accept bool) *Response {
	return o.t.WithToken(token).Do(Request{Method: http.MethodPost, Path: "/oauth2/consent",
		JSON: map[string]any{"consent_challenge": challenge, "accept": accept}})
}

// back is where an answer sends the browser back to the app: its query, checked to be the
// app's redirect URI with the authorization's state (REQ-OAUTH-003).
func (o *oauthApp) back(r *Response, to string, az authorization) url.Values {
	t := o.t
	u, err := url.Parse(to)
	if err != nil || !strings.HasPrefix(to, o.app.RedirectURI) {
		t.fatalAt(r.Seq, "the browser was sent to %q, want the app's redirect URI %s", redactURL(to), o.app.RedirectURI)
	}
	q := u.Query()
	t.checkAt(r.Seq, q.Get("state") == az.state, "the redirect back carries state %q, want %q (REQ-OAUTH-003)", q.Get("state"), az.state)
	return q
}

// code runs an authorization for acc from the start to the code the app gets back, allowing
// the app when it asks for consent.
func (o *oauthApp) code(acc *Account) (authorization, string) {
	b := o.t.Browser()
	az, r := o.authorize(b, nil)
	done := o.signIn(b, r, acc)
	next := o.follow(b, done.Str("redirect.url"))
	answer, to := next, next.Header.Get("Location")
	if cc := o.consentChallenge(next); cc != "" {
		answer = o.decide(acc.Token, cc, true)
		o.t.RequireStatus(answer, http.StatusOK, "allowing the app")
		to = answer.Str("redirect.url")
	}
	q := o.back(answer, to, az)
	if q.Get("code") == "" {
		o.t.fatalAt(answer.Seq, "the browser was sent back to the app without a code (REQ-OAUTH-004, -005)")
	}
	return az, q.Get("code")
}

// tokens runs an authorization for a new account to the tokens the app redeems its code for.
func (o *oauthApp) tokens() (authorization, string, *oauth2.Token) {
	az, code := o.code(o.t.Register(o.t.API()))
	tok, err := o.exchange(code, az.pkce)
	if err != nil {
		o.t.Fatalf("exchanging the code: %v", err)
	}
	return az, code, tok
}

// exchange redeems a code at the token endpoint as the app does.
func (o *oauthApp) exchange(code, pkce string) (*oauth2.Token, error) {
	return o.cfg.Exchange(o.ctx, code, oauth2.VerifierOption(pkce))
}

// refresh asks for new tokens with a refresh token, as the app's library does.
func (o *oauthApp) refresh(rt string) (*oauth2.Token, error) {
	return o.cfg.TokenSource(o.ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

// refreshScoped asks for new tokens for a scope: a request the library does not make.
func (o *oauthApp) refreshScoped(rt, scope string) *Response {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {scope}, "client_id": {o.app.ClientID}}
	if o.app.ClientSecret != "" {
		form.Set("client_secret", o.app.ClientSecret)
	}
	return o.t.API().Do(Request{Method: http.MethodPost, Path: o.t.getOf(o.provider.Endpoint().TokenURL).Path, Body: []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded"})
}

// getOf is a browser's GET of a URL on the target (a redirect's, a link's): its path relative
// to the target's base and its query; the case ends for a URL elsewhere.
func (t *T) getOf(raw string) Request {
	u, err := url.Parse(raw)
	if err != nil || u.Host != t.e.base.Host || !strings.HasPrefix(u.Path, t.e.base.Path) {
		t.Fatalf("%q is not on the target %s", redactURL(raw), t.e.base.Redacted())
	}
	return Request{Method: http.MethodGet, Path: strings.TrimPrefix(u.Path, t.e.base.Path), Query: u.Query()}
}

// throughSuite is an http.RoundTripper that sends a library's requests as the suite's own
// (judged, kept as evidence) and keeps the server's clock.
type throughSuite struct {
	a     *Agent
	clock *serverClock
}

func (ts *throughSuite) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20)); err != nil {
			return nil, err
		}
		_ = r.Body.Close()
	}
	t := ts.a.t
	if r.URL.Host != t.e.base.Host || !strings.HasPrefix(r.URL.Path, t.e.base.Path) {
		return nil, fmt.Errorf("the provider's endpoint %s is not on the target", redactURL(r.URL.String()))
	}
	header := r.Header.Clone()
	header.Del("Content-Type") // given as ContentType
	resp := ts.a.Do(Request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, t.e.base.Path), Query: r.URL.Query(), Header: header,
		Body: body, ContentType: r.Header.Get("Content-Type")})
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil && resp.Operation == "exchangeOAuth2Token" {
		ts.clock.last = d // the clock that issued the tokens
	}
	return &http.Response{Status: fmt.Sprintf("%d %s", resp.Status, http.StatusText(resp.Status)), StatusCode: resp.Status,
		Header: resp.Header, Body: io.NopCloser(bytes.NewReader(resp.Body)), ContentLength: int64(len(resp.Body)), Request: r,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}, nil
}
