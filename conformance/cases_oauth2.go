package conformance

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// "Sign in with Avnology": the suite is a third-party app with a real OpenID Connect library.
var oauthOps = []string{"authorizeOAuth2", "exchangeOAuth2Token", "getOpenIDConfiguration", "getJSONWebKeySet"}

func init() {
	register(
		Case{ID: "oauth2.code.sign-in", Title: "An app signs a person in: login challenge, consent, a code, PKCE, and tokens its OIDC library verifies",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2},
			Requirements: append(slices.Clone(oauthOps), "createLoginFlow", "submitLoginFlow", "getOAuth2Consent", "decideOAuth2Consent",
				"REQ-OAUTH-003", "REQ-OAUTH-004", "REQ-OAUTH-005", "REQ-OAUTH-007"),
			Run: func(t *T) {
				o := t.oauthApp()
				acc := t.Register(t.API())
				b := t.Browser()
				az, r := o.authorize(b, nil)
				done := o.signIn(b, r, acc)
				next := o.follow(b, done.Str("redirect.url"))
				answer, to := next, next.Header.Get("Location")
				if cc := o.consentChallenge(next); cc != "" { // a first-party app is not asked
					shown := t.WithToken(acc.Token).Get("/oauth2/consent", url.Values{"consent_challenge": {cc}})
					if t.ExpectStatus(shown, http.StatusOK, "the consent the UI shows") {
						t.checkAt(shown.Seq, shown.Str("client.client_id") == o.app.ClientID, "the consent names client %q, want %q (REQ-OAUTH-005)", shown.Str("client.client_id"), o.app.ClientID)
						t.checkAt(shown.Seq, shown.Str("subject") == acc.IdentityID, "the consent is for %q, want %q", shown.Str("subject"), acc.IdentityID)
					}
					answer = o.decide(acc.Token, cc, true)
					t.RequireStatus(answer, http.StatusOK, "allowing the app")
					to = answer.Str("redirect.url")
				}
				q := o.back(answer, to, az)
				tok, err := o.exchange(q.Get("code"), az.pkce)
				if err != nil {
					t.Fatalf("exchanging the code: %v", err)
				}
				ex := t.lastSeq()
				t.checkAt(ex, tok.TokenType == "Bearer" && tok.ExpiresIn == 900, "token_type %q, expires_in %d, want Bearer and 900 (REQ-OAUTH-007)", tok.TokenType, tok.ExpiresIn)
				t.checkAt(ex, strings.HasPrefix(tok.RefreshToken, "rt_"), "the refresh token must start rt_ (REQ-OAUTH-007)")
				raw, _ := tok.Extra("id_token").(string)
				idt, err := o.verifier().Verify(t.ctx, raw)
				if !t.checkAt(ex, err == nil, "the ID token does not verify with the JWKS: %v (REQ-OAUTH-007)", err) {
					return
				}
				var claims struct {
					Nonce, Email, ACR string
					EmailVerified     *bool    `json:"email_verified"`
					AMR               []string `json:"amr"`
					AuthTime          int64    `json:"auth_time"`
				}
				if err := idt.Claims(&claims); err != nil {
					t.Fatalf("the ID token's claims: %v", err)
				}
				t.checkAt(ex, claims.Nonce == az.nonce, "the ID token's nonce is %q, want %q (REQ-OAUTH-003)", claims.Nonce, az.nonce)
				t.checkAt(ex, idt.Subject == acc.IdentityID, "the ID token's sub is %q, want the identity %q (REQ-OAUTH-007)", idt.Subject, acc.IdentityID)
				t.checkAt(ex, strings.EqualFold(claims.Email, acc.Email) && claims.EmailVerified != nil, "the ID token's email is %q, want %q with email_verified (REQ-OAUTH-007)", claims.Email, acc.Email)
				t.checkAt(ex, claims.AuthTime > 0 && claims.ACR != "" && len(claims.AMR) > 0, "the ID token lacks auth_time, acr or amr (REQ-OAUTH-007)")
				access, err := o.verifier().Verify(t.ctx, tok.AccessToken)
				if t.checkAt(ex, err == nil, "the access token does not verify with the JWKS: %v (REQ-OAUTH-007)", err) {
					var at struct {
						Scope string `json:"scope"`
					}
					_ = access.Claims(&at)
					t.checkAt(ex, strings.Contains(" "+at.Scope+" ", " openid "), "the access token's scope is %q (REQ-OAUTH-007)", at.Scope)
				}
				if jws, err := jose.ParseSignedCompact(tok.AccessToken, []jose.SignatureAlgorithm{jose.RS256}); t.checkAt(ex, err == nil, "the access token is no RS256 JWS: %v", err) {
					typ, _ := jws.Signatures[0].Protected.ExtraHeaders["typ"].(string)
					t.checkAt(ex, typ == "at+jwt", "the access token's typ is %q, want at+jwt (REQ-OAUTH-007)", typ)
				}
			}},
		Case{ID: "oauth2.pkce.required", Title: "PKCE is required: no challenge or a plain one goes back as invalid_request, a wrong verifier is invalid_grant",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2}, Requirements: []string{"authorizeOAuth2", "exchangeOAuth2Token", "REQ-OAUTH-002", "REQ-OAUTH-003"},
			Run: func(t *T) {
				o := t.oauthApp()
				for what, edit := range map[string]func(url.Values){
					"without code_challenge":           func(q url.Values) { q.Del("code_challenge"); q.Del("code_challenge_method") },
					"with code_challenge_method plain": func(q url.Values) { q.Set("code_challenge_method", "plain") },
				} {
					az, r := o.authorize(t.Browser(), edit)
					if t.ExpectStatus(r, http.StatusSeeOther, "an authorization "+what) {
						q := o.back(r, r.Header.Get("Location"), az)
						t.checkAt(r.Seq, q.Get("error") == "invalid_request", "an authorization %s went back with error %q, want invalid_request (REQ-OAUTH-002)", what, q.Get("error"))
					}
				}
				acc := t.Register(t.API())
				_, code := o.code(acc)
				_, err := o.exchange(code, oauth2.GenerateVerifier())
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"),
					"a code exchanged with another PKCE verifier answered %v, want invalid_grant (REQ-OAUTH-002)", err)
				_, code = o.code(acc)
				_, err = o.cfg.Exchange(o.ctx, code)
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"),
					"a code exchanged without a PKCE verifier answered %v, want invalid_grant (REQ-OAUTH-002)", err)
			}},
		Case{ID: "oauth2.redirect.unregistered", Title: "An unknown client or a redirect URI it did not register is answered 400, never redirected",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2}, Requirements: []string{"authorizeOAuth2", "REQ-OAUTH-001"},
			Run: func(t *T) {
				o := t.oauthApp()
				for what, edit := range map[string]func(url.Values){
					"an unregistered redirect_uri": func(q url.Values) { q.Set("redirect_uri", "https://attacker.idflows.invalid/steal") },
					"a redirect_uri one slash off": func(q url.Values) { q.Set("redirect_uri", o.app.RedirectURI+"/") },
					"an unknown client_id":         func(q url.Values) { q.Set("client_id", "cli_nobody_"+randomHex(4)) },
				} {
					_, r := o.authorize(t.Browser(), edit)
					t.checkAt(r.Seq, r.Status == http.StatusBadRequest && r.Header.Get("Location") == "",
						"an authorization with %s answered %d to %q, want 400 and no redirect (REQ-OAUTH-001)", what, r.Status, redactURL(r.Header.Get("Location")))
				}
			}},
		Case{ID: "oauth2.code.single-use", Title: "A code is redeemed once; presented again it is invalid_grant and its refresh token dies with it",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2}, Requirements: []string{"exchangeOAuth2Token", "REQ-OAUTH-006"},
			Run: func(t *T) {
				o := t.oauthApp()
				az, code, tok := o.tokens()
				_, err := o.exchange(code, az.pkce)
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"), "the code redeemed again answered %v, want invalid_grant (REQ-OAUTH-006)", err)
				_, err = o.refresh(tok.RefreshToken)
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"), "the refresh token of a replayed code answered %v, want invalid_grant (REQ-OAUTH-006)", err)
			}},
		Case{ID: "oauth2.consent.denied", Title: "Consent is the signed-in person's: denied it goes back as access_denied, and it is answered once",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2}, Requirements: []string{"getOAuth2Consent", "decideOAuth2Consent", "REQ-OAUTH-005", "REQ-OAUTH-003"},
			Run: func(t *T) {
				o := t.oauthApp()
				acc, other := t.Register(t.API()), t.Register(t.API())
				b := t.Browser()
				az, r := o.authorize(b, nil)
				done := o.signIn(b, r, acc)
				cc := o.thirdParty(o.follow(b, done.Str("redirect.url")))
				for who, agent := range map[string]*Agent{"no session": t.API(), "another person's session": t.WithToken(other.Token)} {
					r := agent.Do(Request{Method: http.MethodGet, Path: "/oauth2/consent", Query: url.Values{"consent_challenge": {cc}}})
					t.checkAt(r.Seq, r.Status == http.StatusUnauthorized, "the consent read with %s answered %d, want 401 login_required (REQ-OAUTH-005)", who, r.Status)
				}
				denied := o.decide(acc.Token, cc, false)
				if t.ExpectStatus(denied, http.StatusOK, "denying the app") {
					q := o.back(denied, denied.Str("redirect.url"), az)
					t.checkAt(denied.Seq, q.Get("error") == "access_denied" && q.Get("code") == "", "a denied consent went back with error %q, want access_denied and no code (REQ-OAUTH-005)", q.Get("error"))
				}
				again := o.decide(acc.Token, cc, true)
				t.checkAt(again.Seq, again.Status == http.StatusNotFound, "the consent answered again got %d, want 404 (REQ-OAUTH-005)", again.Status)
			}},
		Case{ID: "oauth2.refresh.rotates", Title: "Refresh tokens rotate, narrow but never widen the scope, and a replayed one ends its family",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2}, Requirements: []string{"exchangeOAuth2Token", "REQ-OAUTH-008"},
			Run: func(t *T) {
				o := t.oauthApp()
				_, _, tok := o.tokens()
				narrowed := o.refreshScoped(tok.RefreshToken, "openid email")
				if !t.ExpectStatus(narrowed, http.StatusOK, "a refresh narrowing the scope (REQ-OAUTH-008)") {
					return
				}
				next := narrowed.Str("refresh_token")
				t.checkAt(narrowed.Seq, next != "" && next != tok.RefreshToken, "a refresh must answer a new refresh token (REQ-OAUTH-008)")
				t.checkAt(narrowed.Seq, narrowed.Str("scope") == "openid email", "the narrowed scope is %q, want \"openid email\" (REQ-OAUTH-008)", narrowed.Str("scope"))
				wider := o.refreshScoped(next, "openid email profile")
				t.checkAt(wider.Seq, wider.Status == http.StatusBadRequest && wider.Str("error") == "invalid_scope",
					"a refresh widening the scope answered %d %q, want 400 invalid_scope (REQ-OAUTH-008)", wider.Status, wider.Str("error"))
				_, err := o.refresh(tok.RefreshToken)
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"), "a rotated refresh token presented again answered %v, want invalid_grant (REQ-OAUTH-008)", err)
				_, err = o.refresh(next)
				t.checkAt(t.lastSeq(), err != nil && strings.Contains(err.Error(), "invalid_grant"), "after a replay the family's newest refresh token answered %v, want invalid_grant (REQ-OAUTH-008)", err)
			}},
		Case{ID: "oauth2.max-age.reauthenticates", Title: "A browser signed in goes straight to consent; max_age and prompt=login make it sign in again",
			Profile: ProfileOAuth2, Needs: []Capability{NeedOAuth2},
			Requirements: []string{"authorizeOAuth2", "createLoginFlow", "REQ-OAUTH-009", "REQ-OAUTH-010"},
			Run: func(t *T) {
				o := t.oauthApp()
				acc := t.Register(t.API())
				b := t.Browser()
				t.SignIn(b, acc)
				_, r := o.authorize(b, nil)
				if t.ExpectStatus(r, http.StatusSeeOther, "an authorization in a signed-in browser") && strings.Contains(r.Header.Get("Location"), "login_challenge=") {
					t.Warnf("a browser whose session satisfies the authorization was sent to sign in again (REQ-OAUTH-010)")
				}
				for what, edit := range map[string]func(url.Values){
					"max_age=0":    func(q url.Values) { q.Set("max_age", "0") }, // OIDC Core §3.1.2.1: sign in again, whenever one did
					"prompt=login": func(q url.Values) { q.Set("prompt", "login") },
				} {
					_, r := o.authorize(b, edit)
					lc := o.loginChallenge(r)
					f := b.MustCreateFlow("login", url.Values{"login_challenge": {lc}})
					t.Check(f.Data["refresh"] == true, "with %s the login flow must be a refresh one, has refresh=%v (REQ-OAUTH-009)", what, f.Data["refresh"])
				}
				_, r = o.authorize(t.Browser(), func(q url.Values) { q.Set("prompt", "none") })
				if t.ExpectStatus(r, http.StatusSeeOther, "prompt=none without a session") {
					u, _ := url.Parse(r.Header.Get("Location"))
					t.checkAt(r.Seq, u != nil && u.Query().Get("error") == "login_required", "prompt=none without a session went to %q, want error=login_required (REQ-OAUTH-010)", redactURL(r.Header.Get("Location")))
				}
			}},
		Case{ID: "oauth2.challenge.unknown", Title: "A flow takes a login_challenge of a live authorization only",
			Profile: ProfileOAuth2, Requirements: []string{"createLoginFlow", "createRegistrationFlow", "REQ-OAUTH-004"},
			Run: func(t *T) {
				for _, kind := range []string{"login", "registration"} {
					r := t.API().Get(flowPath(kind), url.Values{"login_challenge": {"lc_" + randomHex(16)}})
					if t.ExpectError(r, http.StatusBadRequest, "AVNOLOGY_AUTH_902", "a "+kind+" flow with a made-up login_challenge") {
						t.checkAt(r.Seq, strings.Contains(string(r.Body), "login_challenge"), "the error must name login_challenge")
					}
				}
			}},
	)
}
