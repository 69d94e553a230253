package conformance

import (
	"net/http"
	"net/url"
	"strings"
)

func init() {
	register(
		Case{ID: "social.login.redirect", Title: "oidc answers a redirect to the provider's authorize URL",
			Profile: ProfileSocial, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-012"}, Needs: []Capability{NeedOIDC},
			Run: func(t *T) {
				a := t.Browser()
				f := a.MustCreateFlow("login", nil)
				t.Check(contains(f.Groups(), "oidc"), "the login flow offers no oidc group")
				r := a.Submit(f, "oidc", map[string]any{"provider": t.target.OIDCProvider})
				t.RequireStatus(r, 200, "choosing the provider")
				t.checkAt(r.Seq, r.Str("redirect.reason") == "oidc", "redirect.reason is %q, want oidc", r.Str("redirect.reason"))
				u, err := url.Parse(r.Str("redirect.url"))
				t.checkAt(r.Seq, err == nil && u.IsAbs() && u.Query().Get("state") != "", "redirect.url %q must be an absolute authorize URL with a state", r.Str("redirect.url"))
			}},
		Case{ID: "social.callback.unknown-state", Title: "The provider callback with an unknown state answers 404 _901",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-002"},
			Run: func(t *T) {
				r := t.Browser().Do(Request{Method: http.MethodGet, Path: "/v1/flows/oidc/callback/google", Query: url.Values{"state": {randomHex(16)}, "code": {randomHex(8)}}})
				t.ExpectError(r, 404, "AVNOLOGY_AUTH_901", "a callback nobody started")
			}},
		Case{ID: "social.callback.missing-parameters", Title: "The provider callback without code or state answers 400 _902",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-ERR-003"},
			Run: func(t *T) {
				r := t.Browser().Do(Request{Method: http.MethodGet, Path: "/v1/flows/oidc/callback/google", Deliberate: true})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a callback without parameters")
			}},
	)
}

// socialAuthorize starts a social sign-in in a flow of kind in browser a (or, with link, links
// the provider from a settings flow) and completes it at the provider with account. It returns
// the flow and the browser's request for the callback the provider sent it to.
func socialAuthorize(t *T, a *Agent, kind string, query url.Values, account SocialAccount) (*Flow, Request) {
	f := a.MustCreateFlow(kind, query)
	body := map[string]any{"provider": t.target.OIDCProvider}
	if kind == "settings" {
		body = map[string]any{"link": t.target.OIDCProvider}
	}
	r := a.Submit(f, "oidc", body)
	t.RequireStatus(r, 200, "choosing the provider")
	t.checkAt(r.Seq, r.Str("redirect.reason") == "oidc", "redirect.reason is %q, want oidc", r.Str("redirect.reason"))
	cb, err := t.target.Social.Authorize(t.Context(), t.scope, r.Str("redirect.url"), account)
	if err != nil {
		t.Fatalf("at the provider: %v", err)
	}
	return f, t.callbackRequest(cb)
}

// socialSignIn is socialAuthorize and the browser's callback, answered.
func socialSignIn(t *T, a *Agent, kind string, query url.Values, account SocialAccount) (*Flow, *Response, Request) {
	f, req := socialAuthorize(t, a, kind, query, account)
	return f, a.Do(req), req
}

// callbackRequest is the browser's request for the callback URL a provider redirected to.
func (t *T) callbackRequest(callback string) Request {
	req := t.getOf(callback)
	if !strings.HasPrefix(req.Path, "/v1/flows/oidc/callback/") {
		t.Fatalf("the provider sent the browser to %q, not to the target's callback", redactURL(callback))
	}
	return req
}

func init() {
	register(
		Case{ID: "social.login.complete", Title: "A completed social sign-in sets the session cookie and sends the browser to return_to; its state is used once",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-001", "REQ-OIDC-002"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				a := t.Browser()
				allowed := t.target.BaseURL + "/after-social"
				account := SocialAccount{Email: uniqueEmail("social"), Name: "Ada Lovelace", EmailVerified: true}
				_, r, callback := socialSignIn(t, a, "login", url.Values{"return_to": {allowed}}, account)
				if t.ExpectStatus(r, 303, "the callback") {
					t.checkAt(r.Seq, r.Header.Get("Location") == allowed, "the callback sends the browser to %q, want return_to %q", r.Header.Get("Location"), allowed)
				}
				t.Check(a.Cookie("avnl_session") != "", "the callback sets no avnl_session cookie")
				me := a.Get("/v1/sessions/whoami", nil)
				if t.ExpectStatus(me, 200, "whoami after the social sign-in") {
					t.checkAt(me.Seq, me.Str("identity.traits.email") == account.Email, "signed in as %q, want the provider account %q", me.Str("identity.traits.email"), account.Email)
				}
				t.ExpectError(a.Do(callback), 404, "AVNOLOGY_AUTH_901", "the same callback again (a used state)")
			}},
		Case{ID: "social.callback.other-browser", Title: "A callback is bound to the browser that started the sign-in",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-004"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				_, callback := socialAuthorize(t, t.Browser(), "login", nil, SocialAccount{Email: uniqueEmail("social"), EmailVerified: true})
				other := t.Browser()
				t.ExpectError(other.Do(callback), 404, "AVNOLOGY_AUTH_901", "the callback in another browser")
				t.Check(other.Cookie("avnl_session") == "", "another browser got a session")
			}},
		Case{ID: "social.settings.link-unlink", Title: "Settings link a provider account, which then signs the identity in, and unlink it; never the last way in",
			Profile: ProfileSocial, Requirements: []string{"submitSettingsFlow", "completeOidcFlow", "REQ-OIDC-005"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.Browser()
				t.PasswordLogin(a, acc, nil) // a fresh, privileged session, in the cookie jar
				personal := SocialAccount{Email: uniqueEmail("linked"), EmailVerified: true}
				_, linked, _ := socialSignIn(t, a, "settings", nil, personal)
				t.ExpectStatus(linked, 303, "the link's callback")

				other := t.Browser()
				_, r2, _ := socialSignIn(t, other, "login", nil, personal)
				if t.ExpectStatus(r2, 303, "signing in with the linked account") {
					me := other.Get("/v1/sessions/whoami", nil)
					t.checkAt(me.Seq, me.Str("identity.email") == acc.Email, "the linked provider account signs in %q, want %q", me.Str("identity.email"), acc.Email)
				}
				f := a.MustCreateFlow("settings", nil)
				t.ExpectStatus(a.Submit(f, "oidc", map[string]any{"unlink": t.target.OIDCProvider}), 200, "unlinking (a password remains)")

				only := t.Browser()
				_, r3, _ := socialSignIn(t, only, "registration", nil, SocialAccount{Email: uniqueEmail("only-social"), EmailVerified: true})
				t.RequireStatus(r3, 303, "signing up with the provider")
				sf := only.MustCreateFlow("settings", nil)
				t.ExpectError(only.Submit(sf, "oidc", map[string]any{"unlink": t.target.OIDCProvider}), 400, "AVNOLOGY_AUTH_902", "unlinking the only way to sign in")
			}},
		Case{ID: "social.callback.nonce-mismatch", Title: "An ID token for another sign-in's nonce is refused: 400 _902 and no session",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-006"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				a := t.Browser()
				_, r, _ := socialSignIn(t, a, "login", nil, SocialAccount{Email: uniqueEmail("hostile"), EmailVerified: true, LieAboutNonce: true})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a callback whose ID token carries another nonce")
				t.Check(a.Cookie("avnl_session") == "", "a token for another sign-in signed the browser in")
			}},
		Case{ID: "social.callback.no-open-redirect", Title: "The callback sends the browser only where the flow says, never to a URL in its own query",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-006"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				a := t.Browser()
				allowed := t.target.BaseURL + "/after-social"
				_, req := socialAuthorize(t, a, "login", url.Values{"return_to": {allowed}}, SocialAccount{Email: uniqueEmail("redirect"), EmailVerified: true})
				req.Query.Set("return_to", "https://evil.example.net/phish")
				back := a.Do(req)
				if t.ExpectStatus(back, 303, "the callback with a return_to of its own") {
					t.checkAt(back.Seq, back.Header.Get("Location") == allowed, "the callback sent the browser to %q, want the flow's return_to %q", back.Header.Get("Location"), allowed)
				}
			}},
		Case{ID: "social.login.not-merged", Title: "A provider email that has a password account is not merged: no session, the flow asks to sign in and link",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-003"}, Needs: []Capability{NeedSocial},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.Browser()
				f, r, _ := socialSignIn(t, a, "login", nil, SocialAccount{Email: acc.Email, EmailVerified: true})
				t.ExpectStatus(r, 303, "the callback")
				t.Check(a.Cookie("avnl_session") == "", "the callback signed the browser in: the accounts were merged")
				t.ExpectError(a.Get("/v1/sessions/whoami", nil), 401, "AVNOLOGY_AUTH_005", "whoami after an unmerged social sign-in")
				back := a.Get("/v1/flows/login/"+f.ID, nil)
				if t.ExpectStatus(back, 200, "the login flow the browser is sent back to") {
					t.checkAt(back.Seq, len(flowOf(back.JSON()).Messages()) > 0, "the login flow carries no message asking to sign in and link")
				}
			}},
	)
}
