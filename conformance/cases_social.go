package conformance

import (
	"net/http"
	"net/url"
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
