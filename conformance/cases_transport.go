package conformance

import (
	"bytes"
	"net/http"
)

func init() {
	register(
		Case{ID: "errors.unknown-route", Title: "A path outside the contract answers 404 _901 in the error envelope",
			Profile: ProfileSecurity, Requirements: []string{"REQ-ERR-001", "REQ-ERR-002"},
			Run: func(t *T) {
				r := t.API().Do(Request{Method: http.MethodGet, Path: "/v1/flows/teleport", Deliberate: true})
				t.ExpectError(r, 404, "AVNOLOGY_AUTH_901", "an unknown route")
			}},
		Case{ID: "errors.method-not-allowed", Title: "A known path with an unsupported method answers 405 _902",
			Profile: ProfileSecurity, Requirements: []string{"REQ-ERR-001"},
			Run: func(t *T) {
				r := t.API().Do(Request{Method: http.MethodPut, Path: "/v1/flows/login", JSON: map[string]any{}, Deliberate: true})
				t.ExpectError(r, 405, "AVNOLOGY_AUTH_902", "PUT on the login flow collection")
			}},
		Case{ID: "errors.payload-too-large", Title: "A submit body over 1 MiB answers 413 _902",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-ERR-001"},
			Run: func(t *T) {
				a := t.API()
				big := append(append([]byte(`{"method":"password","body":{"password":"`), bytes.Repeat([]byte("a"), 1<<20+1)...), []byte(`"}}`)...)
				for _, kind := range []string{"login", "registration"} {
					f := a.MustCreateFlow(kind, nil)
					r := a.Do(Request{Method: http.MethodPost, Path: flowPath(kind) + "/" + f.ID + ":submit", Body: big, Deliberate: true})
					t.ExpectError(r, 413, "AVNOLOGY_AUTH_902", "a "+kind+" submit over 1 MiB")
				}
			}},
		Case{ID: "errors.unsupported-media-type", Title: "A submit body of a media type the contract does not declare answers 415 _902",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-ERR-005"},
			Run: func(t *T) {
				a := t.API()
				for _, kind := range []string{"login", "registration"} {
					f := a.MustCreateFlow(kind, nil)
					r := a.Do(Request{Method: http.MethodPost, Path: flowPath(kind) + "/" + f.ID + ":submit", Body: []byte("method=password&identifier=a"), ContentType: "text/plain", Deliberate: true})
					t.ExpectError(r, 415, "AVNOLOGY_AUTH_902", "a text/plain "+kind+" submit")
				}
			}},
		Case{ID: "security.cors.foreign-origin", Title: "A page of an unconfigured origin may not read answers with credentials, nor pass a preflight",
			Profile: ProfileSecurity, Requirements: []string{"createLoginFlow", "REQ-CSRF-005"},
			Run: func(t *T) {
				const foreign = "https://evil.example.net"
				check := func(r *Response, what string) {
					allow, creds := r.Header.Get("Access-Control-Allow-Origin"), r.Header.Get("Access-Control-Allow-Credentials")
					t.checkAt(r.Seq, allow != foreign && allow != "null", "%s: Access-Control-Allow-Origin reflects the foreign origin %s (REQ-CSRF-005)", what, foreign)
					t.checkAt(r.Seq, creds != "true", "%s: Access-Control-Allow-Credentials is true for an unconfigured origin (REQ-CSRF-005)", what)
				}
				check(t.Browser().Do(Request{Method: http.MethodGet, Path: "/v1/flows/login", Header: http.Header{"Origin": {foreign}}}), "a cross-origin GET")
				pre := t.Browser().Do(Request{Method: http.MethodOptions, Path: "/v1/sessions/whoami", Deliberate: true, Header: http.Header{
					"Origin": {foreign}, "Access-Control-Request-Method": {"GET"}, "Access-Control-Request-Headers": {"authorization"}}})
				check(pre, "a preflight")
			}},
		Case{ID: "security.csrf.missing", Title: "A submit without csrf_token answers 403 _015",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-CSRF-002"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				t.ExpectError(a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password, "csrf_token": nil}), 403, "AVNOLOGY_AUTH_015", "a login submit without csrf_token")
				t.ExpectError(a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password, "csrf_token": ""}), 403, "AVNOLOGY_AUTH_015", "a login submit with an empty csrf_token")
				rf := a.MustCreateFlow("registration", nil)
				t.ExpectError(a.Submit(rf, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("c")}, "password": newPassword(), "csrf_token": nil}), 403, "AVNOLOGY_AUTH_015", "a registration submit without csrf_token")
			}},
		Case{ID: "security.csrf.wrong", Title: "A submit with another token answers 403 _015 and signs nobody in",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-CSRF-002"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				r := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password, "csrf_token": "forged-" + randomHex(8)})
				t.ExpectError(r, 403, "AVNOLOGY_AUTH_015", "a login submit with a forged token")
				t.checkAt(r.Seq, r.Get("session") == nil, "a forged submit must not sign in")
				rf := a.MustCreateFlow("registration", nil)
				t.ExpectError(a.Submit(rf, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("c")}, "password": newPassword(), "csrf_token": "forged-" + randomHex(8)}), 403, "AVNOLOGY_AUTH_015", "a registration submit with a forged token")
			}},
		Case{ID: "security.csrf.cookie-mismatch", Title: "A submit whose avnl_csrf cookie differs from the flow's token answers 403 _015",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-CSRF-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				victim, attacker := t.Browser(), t.Browser()
				f := victim.MustCreateFlow("login", nil)
				attacker.MustCreateFlow("login", nil) // the attacker's own avnl_csrf
				if !t.Check(attacker.Cookie("avnl_csrf") != "" && attacker.Cookie("avnl_csrf") != victim.Cookie("avnl_csrf"), "two browsers must get different avnl_csrf cookies") {
					return
				}
				r := attacker.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				t.ExpectError(r, 403, "AVNOLOGY_AUTH_015", "the flow's token with another browser's avnl_csrf cookie")
			}},
		Case{ID: "security.csrf.one-token-per-browser", Title: "A browser's flows share its avnl_csrf token and each can be submitted",
			Profile: ProfileSecurity, Requirements: []string{"createLoginFlow", "submitLoginFlow", "REQ-CSRF-001"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				b := t.Browser()
				first := b.MustCreateFlow("login", nil)
				second := b.MustCreateFlow("login", nil)
				t.Check(first.CSRF == second.CSRF, "two flows of one browser carry different tokens (REQ-CSRF-001)")
				t.Check(first.CSRF == b.Cookie("avnl_csrf"), "the flow's token differs from the avnl_csrf cookie (REQ-CSRF-001)")
				t.ExpectStatus(b.Submit(first, "password", map[string]any{"identifier": acc.Email, "password": acc.Password}), 200, "submitting the older of two open flows")
			}},
	)
}
