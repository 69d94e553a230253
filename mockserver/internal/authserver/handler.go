package authserver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	oa "github.com/avnology/idflows/gen/oauth2"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Call is what the mock's middleware knows of a request: its tenant's world, its credentials
// and its body, read once.
type Call struct {
	World *tenant.World
	Req   request.Request
	Body  []byte
}

// Worlds finds a tenant's world by name: a code is redeemed by an app's backend, which does
// not say which tenant it is in.
type Worlds func(name string) (*tenant.World, error)

// Operation is the OAuth contract's operation id of a request, for the journal ("" for none).
func Operation(r *http.Request) string {
	switch {
	case r.URL.Path == "/.well-known/openid-configuration":
		return "getOpenIDConfiguration"
	case r.URL.Path == "/.well-known/jwks.json":
		return "getJSONWebKeySet"
	case r.URL.Path == "/oauth2/auth":
		return "authorizeOAuth2"
	case r.URL.Path == "/oauth2/token":
		return "exchangeOAuth2Token"
	case r.URL.Path == "/oauth2/consent" && r.Method == http.MethodPost:
		return "decideOAuth2Consent"
	case r.URL.Path == "/oauth2/consent":
		return "getOAuth2Consent"
	}
	return ""
}

// Serve answers one request to the server's endpoints; log takes what the answer cannot
// show (a store that failed).
func (s *Server) Serve(w http.ResponseWriter, r *http.Request, c Call, worlds Worlds, log *slog.Logger) {
	h := &handling{s: s, w: w, r: r, c: c, worlds: worlds, log: log}
	switch op := Operation(r); {
	case op == "getOpenIDConfiguration" && r.Method == http.MethodGet:
		h.discovery()
	case op == "getJSONWebKeySet" && r.Method == http.MethodGet:
		h.keys()
	case op == "authorizeOAuth2" && r.Method == http.MethodGet:
		h.authorize()
	case op == "exchangeOAuth2Token" && r.Method == http.MethodPost:
		h.token()
	case op == "getOAuth2Consent" && r.Method == http.MethodGet:
		h.consent()
	case op == "decideOAuth2Consent":
		h.decide()
	case op != "":
		w.Header().Set("Allow", map[bool]string{true: "POST", false: "GET"}[op == "exchangeOAuth2Token"])
		h.fail(http.StatusMethodNotAllowed, oa.InvalidRequest, "the method "+r.Method+" is not allowed here")
	default:
		h.fail(http.StatusNotFound, oa.InvalidRequest, "no such endpoint")
	}
}

type handling struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	c      Call
	worlds Worlds
	log    *slog.Logger
}

func (h *handling) ctx() context.Context { return h.r.Context() }

// fail answers an RFC 6749 §5.2 error itself.
func (h *handling) fail(status int, code oa.OAuth2ErrorError, description string) {
	if status == http.StatusUnauthorized && code == oa.InvalidClient {
		h.w.Header().Set("WWW-Authenticate", `Basic realm="oauth2"`)
	}
	h.json(status, oa.OAuth2Error{Error: code, ErrorDescription: &description})
}

// unavailable answers a store that failed, and logs why.
func (h *handling) unavailable(err error) {
	h.log.WarnContext(h.ctx(), "oauth2", "error", err)
	h.w.Header().Set("Retry-After", "1")
	h.fail(http.StatusServiceUnavailable, oa.TemporarilyUnavailable, "the authorization server is temporarily unavailable")
}

func (h *handling) json(status int, v any) {
	h.w.Header().Set("Content-Type", "application/json")
	h.w.Header().Set("Cache-Control", "no-store")
	h.w.WriteHeader(status)
	_ = json.NewEncoder(h.w).Encode(v)
}

func (h *handling) redirect(to string) {
	h.w.Header().Set("Location", to)
	h.w.WriteHeader(http.StatusSeeOther)
}

// backURL is the app's redirect URI with query values (code or error) and the state
// (REQ-OAUTH-003).
func (h *handling) backURL(a authorization, values url.Values) string {
	if a.State != "" {
		values.Set("state", a.State)
	}
	values.Set("iss", h.s.cfg.Issuer) // RFC 9207: which server answered
	return withQuery(a.RedirectURI, values)
}

func (h *handling) errorURL(a authorization, code oa.OAuth2ErrorError, description string) string {
	return h.backURL(a, url.Values{"error": {string(code)}, "error_description": {description}})
}

func (h *handling) backWithError(a authorization, code oa.OAuth2ErrorError, description string) {
	h.redirect(h.errorURL(a, code, description))
}

func withQuery(base string, values url.Values) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	for k, v := range values {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (h *handling) discovery() {
	iss := h.s.cfg.Issuer
	list := func(v ...string) *[]string { return &v }
	h.json(http.StatusOK, oa.OpenIDConfiguration{
		Issuer: iss, AuthorizationEndpoint: iss + "/oauth2/auth", TokenEndpoint: iss + "/oauth2/token",
		JwksUri: iss + "/.well-known/jwks.json", ResponseTypesSupported: []string{"code"},
		SubjectTypesSupported: []string{"public"}, IdTokenSigningAlgValuesSupported: []string{"RS256"},
		GrantTypesSupported: list("authorization_code", "refresh_token"), ScopesSupported: list(knownScopes...),
		CodeChallengeMethodsSupported:     list("S256"),
		TokenEndpointAuthMethodsSupported: list("none", "client_secret_basic", "client_secret_post"),
		ClaimsSupported:                   list("iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "email", "email_verified", "name", "given_name", "family_name"),
		PromptValuesSupported:             list("none", "login", "consent"),
		AcrValuesSupported:                list("aal1", "aal2"),
	})
}

func (h *handling) keys() {
	sg, err := h.s.cfg.Key(h.ctx())
	if err != nil {
		h.unavailable(err)
		return
	}
	h.json(http.StatusOK, sg.jwks)
}

// authorize is GET /oauth2/auth: a new authorization, or one carried on by a login verifier.
func (h *handling) authorize() {
	q := h.r.URL.Query()
	if v := q.Get("login_verifier"); v != "" {
		var a authorization
		switch err := h.s.take(h.ctx(), kindVerifier, v, &a); {
		case errors.Is(err, errNotFound):
			h.fail(http.StatusBadRequest, oa.InvalidRequest, "the login_verifier is unknown or was used")
		case err != nil:
			h.unavailable(err)
		default:
			h.signedIn(a)
		}
		return
	}
	world := h.c.World
	client, known, err := h.s.client(h.ctx(), world.Name, q.Get("client_id"))
	switch {
	case err != nil:
		h.unavailable(err)
		return
	case !known: // REQ-OAUTH-001: never redirected
		h.fail(http.StatusBadRequest, oa.InvalidClient, "client_id is not a registered client")
		return
	case !slices.Contains(client.RedirectURIs, q.Get("redirect_uri")):
		h.fail(http.StatusBadRequest, oa.InvalidRequest, "redirect_uri is not one the client registered, exactly")
		return
	}
	now := world.Clock.Now()
	a := authorization{Tenant: world.Name, ClientID: client.ID, RedirectURI: q.Get("redirect_uri"), Scope: strings.Fields(q.Get("scope")),
		State: q.Get("state"), Nonce: q.Get("nonce"), Challenge: q.Get("code_challenge"), Prompt: q.Get("prompt"),
		ACR: q.Get("acr_values"), LoginHint: q.Get("login_hint"), OrgID: q.Get("organization_id"), Expires: now.Add(ChallengeLifetime)}
	if code, why := a.check(q, client); code != "" {
		h.backWithError(a, code, why)
		return
	}
	if maxAge := q.Get("max_age"); maxAge != "" {
		n, _ := strconv.ParseInt(maxAge, 10, 64) // checked
		a.MaxAge = &n
	}
	if h.satisfiedBySession(&a, now) {
		h.signedIn(a)
		return
	}
	if a.Prompt == "none" {
		h.backWithError(a, oa.LoginRequired, "no session satisfies the request, and prompt=none shows no page")
		return
	}
	challenge := token("lc_")
	if err := h.s.put(h.ctx(), kindLogin, challenge, a, now, a.Expires); err != nil {
		h.unavailable(err)
		return
	}
	h.redirect(h.s.cfg.UIURL + "/login?" + url.Values{"login_challenge": {challenge}}.Encode())
}

// check says what is wrong with an authorization request of a known client and redirect URI:
// the error to send back, or "".
func (a authorization) check(q url.Values, client Client) (oa.OAuth2ErrorError, string) {
	switch {
	case q.Get("response_type") != "code":
		return oa.UnsupportedResponseType, "response_type must be code"
	case a.Challenge == "": // REQ-OAUTH-002
		return oa.InvalidRequest, "code_challenge is required (PKCE, S256)"
	case q.Get("code_challenge_method") != "S256":
		return oa.InvalidRequest, "code_challenge_method must be S256"
	case len(a.Challenge) != 43 || strings.Trim(a.Challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return oa.InvalidRequest, "code_challenge must be 43 base64url characters"
	case len(a.State) > 512 || len(a.Nonce) > 512 || len(a.LoginHint) > 320 || len(a.ACR) > 64 || len(a.OrgID) > 128:
		return oa.InvalidRequest, "a parameter is too long"
	case a.Prompt != "" && a.Prompt != "none" && a.Prompt != "login" && a.Prompt != "consent":
		return oa.InvalidRequest, "prompt must be none, login or consent"
	}
	if v := q.Get("max_age"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
			return oa.InvalidRequest, "max_age must be a whole number of seconds"
		}
	}
	if len(a.Scope) == 0 || len(a.Scope) > 20 {
		return oa.InvalidScope, "scope must name between one and twenty scopes"
	}
	for _, sc := range a.Scope {
		if !slices.Contains(knownScopes, sc) || len(client.Scopes) > 0 && !slices.Contains(client.Scopes, sc) {
			return oa.InvalidScope, "the client may not ask for the scope " + sc
		}
	}
	return "", ""
}

// satisfiedBySession fills a with the browser's session when it satisfies the request: no
// prompt=login, signed in within max_age, at the assurance asked for (REQ-OAUTH-010).
func (h *handling) satisfiedBySession(a *authorization, now time.Time) bool {
	if a.Prompt == "login" || h.c.Req.SessionToken() == "" {
		return false
	}
	ses, ident, ok, err := h.caller()
	switch {
	case err != nil || !ok:
		return false
	case a.MaxAge != nil && (*a.MaxAge == 0 || now.Sub(ses.AuthenticatedAt) > time.Duration(*a.MaxAge)*time.Second): // 0: sign in again, always
		return false
	case wantsAAL2(a.ACR) && ses.AAL != "aal2":
		return false
	}
	a.sign(ses, ident)
	return true
}

// worldOf is the world a record names, and its time; ok is false once it answered.
func (h *handling) worldOf(name string) (world *tenant.World, now time.Time, ok bool) {
	world, err := h.worlds(name)
	if err != nil {
		h.unavailable(err)
		return nil, time.Time{}, false
	}
	return world, world.Clock.Now(), true
}

// caller is the request's active session and its identity; ok is false without one.
func (h *handling) caller() (ses session.Session, ident identity.Identity, ok bool, err error) {
	err = h.c.World.Store.Read(h.ctx(), func(tx *store.Tx) error {
		var refused *apierr.Error
		ses, ident, refused = auth.Resolve(tx, h.c.Req, false)
		ok = refused == nil
		return nil
	})
	return ses, ident, ok, err
}

func wantsAAL2(acr string) bool { return slices.Contains(strings.Fields(acr), "aal2") }

// sign records who signed in for the authorization.
func (a *authorization) sign(ses session.Session, ident identity.Identity) {
	a.IdentityID, a.SessionID, a.AuthTime, a.AAL = ident.ID, ses.ID, ses.AuthenticatedAt, ses.AAL
	a.AMR = a.AMR[:0]
	for _, m := range ses.Methods {
		if !slices.Contains(a.AMR, m.Method) {
			a.AMR = append(a.AMR, m.Method)
		}
	}
}

// signedIn carries a signed-in authorization on: to consent, or, for a first-party app,
// straight back with a code (REQ-OAUTH-004).
func (h *handling) signedIn(a authorization) {
	_, now, ok := h.worldOf(a.Tenant)
	if !ok {
		return
	}
	client, known, err := h.s.client(h.ctx(), a.Tenant, a.ClientID)
	switch {
	case err != nil:
		h.unavailable(err)
		return
	case !known:
		h.fail(http.StatusBadRequest, oa.InvalidClient, "the client is no longer registered")
		return
	}
	if now.After(a.Expires) { // a login verifier's authorization lives as long as a flow
		h.fail(http.StatusBadRequest, oa.InvalidRequest, "the login_verifier expired")
		return
	}
	if client.FirstParty && a.Prompt != "consent" {
		to, err := h.codeURL(a, a.Scope, now)
		if err != nil {
			h.unavailable(err)
			return
		}
		h.redirect(to)
		return
	}
	if a.Prompt == "none" {
		h.backWithError(a, oa.ConsentRequired, "the app needs consent, and prompt=none shows no page")
		return
	}
	a.Expires = now.Add(ChallengeLifetime)
	challenge := token("cc_")
	if err := h.s.put(h.ctx(), kindConsent, challenge, a, now, a.Expires); err != nil {
		h.unavailable(err)
		return
	}
	h.redirect(h.s.cfg.UIURL + "/consent?" + url.Values{"consent_challenge": {challenge}}.Encode())
}

// codeURL keeps a code for the scopes granted and says where it goes: back to the app.
func (h *handling) codeURL(a authorization, granted []string, now time.Time) (string, error) {
	a.Granted = granted
	a.Expires = now.Add(CodeLifetime)
	code := token("auth_code_")
	if err := h.s.put(h.ctx(), kindCode, code, a, now, a.Expires); err != nil {
		return "", err
	}
	return h.backURL(a, url.Values{"code": {code}}), nil
}

// consentFor finds the consent a request names and checks that the session that signed in for
// it asks (REQ-OAUTH-005); it has answered when ok is false.
func (h *handling) consentFor(challenge string) (authorization, bool) {
	var a authorization
	switch err := h.s.get(h.ctx(), kindConsent, challenge, &a); {
	case errors.Is(err, errNotFound), err == nil && (a.Tenant != h.c.World.Name || h.c.World.Clock.Now().After(a.Expires)):
		h.fail(http.StatusNotFound, oa.InvalidRequest, "the consent_challenge is unknown, expired or was answered")
		return a, false
	case err != nil:
		h.unavailable(err)
		return a, false
	}
	_, ident, signedIn, err := h.caller()
	if err != nil {
		h.unavailable(err)
		return a, false
	}
	if !signedIn || ident.ID != a.IdentityID {
		h.fail(http.StatusUnauthorized, oa.LoginRequired, "only the session that signed in for this authorization may answer its consent")
		return a, false
	}
	return a, true
}

// consent is GET /oauth2/consent.
func (h *handling) consent() {
	challenge := h.r.URL.Query().Get("consent_challenge")
	a, ok := h.consentFor(challenge)
	if !ok {
		return
	}
	client, _, err := h.s.client(h.ctx(), a.Tenant, a.ClientID)
	if err != nil {
		h.unavailable(err)
		return
	}
	summary := oa.OAuth2ClientSummary{ClientId: client.ID, ClientName: client.Name}
	if client.URI != "" {
		summary.ClientUri = &client.URI
	}
	h.json(http.StatusOK, oa.ConsentRequest{ConsentChallenge: challenge, Client: summary, RequestedScope: a.Scope,
		Subject: a.IdentityID, ExpiresAt: a.Expires.UTC()})
}

// decide is POST /oauth2/consent: JSON from a frontend, or a form from the consent page.
func (h *handling) decide() {
	var d oa.ConsentDecision
	mt, _, _ := mime.ParseMediaType(h.r.Header.Get("Content-Type"))
	form := mt == "application/x-www-form-urlencoded"
	switch {
	case form:
		values, err := url.ParseQuery(string(h.c.Body))
		if err != nil {
			h.fail(http.StatusBadRequest, oa.InvalidRequest, "the form could not be read")
			return
		}
		d.ConsentChallenge, d.Accept = values.Get("consent_challenge"), values.Get("accept") == "true"
		if scopes, ok := values["grant_scope"]; ok {
			d.GrantScope = &scopes
		}
	case mt == "application/json":
		if err := json.Unmarshal(h.c.Body, &d); err != nil {
			h.fail(http.StatusBadRequest, oa.InvalidRequest, "the body must be a ConsentDecision")
			return
		}
	default:
		h.fail(http.StatusBadRequest, oa.InvalidRequest, "send application/json or a form")
		return
	}
	a, ok := h.consentFor(d.ConsentChallenge)
	if !ok {
		return
	}
	granted := a.Scope
	if d.GrantScope != nil {
		granted = *d.GrantScope
		for _, sc := range granted {
			if !slices.Contains(a.Scope, sc) {
				h.fail(http.StatusBadRequest, oa.InvalidScope, "grant_scope may only narrow the scopes asked for")
				return
			}
		}
	}
	if err := h.s.take(h.ctx(), kindConsent, d.ConsentChallenge, &authorization{}); err != nil { // single use
		h.fail(http.StatusNotFound, oa.InvalidRequest, "the consent_challenge is unknown, expired or was answered")
		return
	}
	to := h.errorURL(a, oa.AccessDenied, "the person did not allow the app")
	if d.Accept {
		var err error
		if to, err = h.codeURL(a, granted, h.c.World.Clock.Now()); err != nil {
			h.unavailable(err)
			return
		}
	}
	if form {
		h.redirect(to)
		return
	}
	var out oa.ConsentResult
	out.Redirect.Url, out.Redirect.Reason = to, oa.ReturnTo
	h.json(http.StatusOK, out)
}

// pkceMatches checks an RFC 7636 S256 verifier against the challenge.
func pkceMatches(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// absolute reports whether u is an absolute URI without a fragment (RFC 6749 §3.1.2).
func absolute(u string) bool {
	p, err := url.Parse(u)
	return err == nil && p.IsAbs() && p.Host != "" && p.Fragment == ""
}
