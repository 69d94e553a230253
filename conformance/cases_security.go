package conformance

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The security rules of a reference implementation (REQ-SEC-*, contract 1.1): rules a real
// identity provider keeps, each one a case that a deployment breaking it fails.

// lookAlike is address with the first "i" of its domain replaced by "İ" (U+0130), which Unicode
// lower-casing folds back to "i": another address that only looks the same.
func lookAlike(address string) string {
	local, domain, _ := strings.Cut(address, "@")
	return local + "@" + strings.Replace(domain, "i", "İ", 1)
}

// noStore reports whether a Cache-Control header value forbids storing the answer.
func noStore(h string) bool {
	for _, d := range strings.Split(h, ",") {
		if strings.EqualFold(strings.TrimSpace(d), "no-store") {
			return true
		}
	}
	return false
}

func nested(depth int) []byte {
	return []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
}

func init() {
	register(
		Case{ID: "mfa.login.second-factor-lockout", Title: "Wrong second-factor codes count on their own: a correct password does not reset them, the fifth locks the factor 15 minutes",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-SEC-001", "REQ-SEC-007", "REQ-LOGIN-010"},
			Run: func(t *T) {
				acc, secret, _ := t.mfaAccount()
				a := t.API()
				wrong := func(f *Flow) *Response { return a.Submit(f, "totp", map[string]any{"totp_code": "000000"}) }
				first, _ := t.secondStep(a, acc)
				for _, left := range []float64{4, 3} {
					r := wrong(first)
					if !t.ExpectError(r, 400, "AVNOLOGY_AUTH_008", "a wrong TOTP code") {
						return
					}
					t.checkAt(r.Seq, r.Get("error.details.attempts_remaining") == left, "attempts_remaining is %v, want %v", r.Get("error.details.attempts_remaining"), left)
				}
				second, _ := t.secondStep(a, acc) // the right password again
				r := wrong(second)
				if t.ExpectError(r, 400, "AVNOLOGY_AUTH_008", "a wrong TOTP code after signing in with the password again") {
					t.checkAt(r.Seq, r.Get("error.details.attempts_remaining") == float64(2),
						"attempts_remaining is %v, want 2: a correct password must not reset the count of wrong second-factor codes (REQ-SEC-001)", r.Get("error.details.attempts_remaining"))
				}
				wrong(second)
				last := wrong(second)
				if !t.ExpectError(last, 423, "AVNOLOGY_AUTH_002", "the fifth wrong second-factor code (REQ-SEC-001)") {
					return
				}
				t.checkRetryAfter(last, 15*time.Minute-lockSlack, 15*time.Minute)
				t.ExpectError(a.GetFlow("login", second.ID), 400, "AVNOLOGY_AUTH_009", "the flow after the fifth wrong code (REQ-SEC-001)")
				third, r3 := t.secondStep(a, acc)
				locked := a.Submit(third, "totp", map[string]any{"totp_code": t.totpCode(secret, r3, "continue_flow.issued_at")})
				t.ExpectError(locked, 423, "AVNOLOGY_AUTH_002", "the right code while the second factor is locked (REQ-SEC-001)")
			}},
		Case{ID: "mfa.settings.enrolment-attempts", Title: "TOTP enrolment allows five wrong codes; then the next code is refused, right or wrong",
			Profile: ProfileMFA, Requirements: []string{"submitSettingsFlow", "REQ-SEC-001", "REQ-SET-006"},
			Run: func(t *T) {
				_, a, f := t.settingsFor()
				secret := f.textNode("totp_secret_key")
				if !t.Check(secret != "", "the settings flow shows no totp_secret_key text node (REQ-SET-006)") {
					return
				}
				for left := 4.0; left >= 0; left-- {
					r := a.Submit(f, "totp", map[string]any{"totp_code": "000000"})
					if !t.ExpectError(r, 400, "AVNOLOGY_AUTH_008", "a wrong enrolment code") {
						return
					}
					t.checkAt(r.Seq, r.Get("error.details.attempts_remaining") == left, "attempts_remaining is %v, want %v", r.Get("error.details.attempts_remaining"), left)
				}
				fresh := a.GetFlow("settings", f.ID)
				r := a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, fresh, "issued_at")})
				if t.ExpectError(r, 400, "AVNOLOGY_AUTH_009", "the right code after attempts_remaining reached 0 (REQ-SEC-001)") {
					t.checkAt(r.Seq, r.Str("error.details.use_flow_id") != "", "the refusal should offer a fresh flow in details.use_flow_id (REQ-SEC-001)")
				}
			}},
		Case{ID: "security.addresses.ascii-only", Title: "Addresses match after ASCII lower-casing only; a look-alike address reaches no account, and codes go to the stored address",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRecoveryFlow", "REQ-SEC-002", "REQ-LOGIN-003"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.RegisterAs(t.API(), "victim-"+randomHex(5)+"@inbox.example.com")
				fake := lookAlike(acc.Email)
				_, r := t.PasswordLogin(t.API(), &Account{Email: strings.ToUpper(acc.Email), Password: acc.Password}, nil)
				t.ExpectStatus(r, 200, "signing in with the address in ASCII capitals (REQ-SEC-002)")
				_, r = t.PasswordLogin(t.API(), &Account{Email: fake, Password: acc.Password}, nil)
				t.ExpectError(r, 401, "AVNOLOGY_AUTH_001", "signing in with a look-alike address "+fake+" (REQ-SEC-002)")

				a := t.API()
				rf := a.MustCreateFlow("recovery", nil)
				sent := a.Submit(rf, "code", map[string]any{"email": fake})
				t.checkAt(sent.Seq, sent.Status == 200 || sent.Status == 400 && sent.Code() == "AVNOLOGY_AUTH_902", "recovery for a look-alike address answered %s, want 200 sent_email (or 400 _902)", sent)
				lf := a.MustCreateFlow("login", nil)
				a.Submit(lf, "code", map[string]any{"identifier": fake})
				if codes := t.Codes(fake); !t.checkAt(sent.Seq, len(codes) == 0, "a code was sent to the look-alike address %s (REQ-SEC-002)", fake) {
					done := a.Submit(lf, "code", map[string]any{"code": codes[len(codes)-1]})
					t.checkAt(done.Seq, done.Str("session.identity_id") != acc.IdentityID, "the look-alike address signed in as %s (REQ-SEC-002)", acc.Email)
				}
				t.checkAt(sent.Seq, len(t.Codes(acc.Email)) == 0, "asking for a look-alike address sent a code to %s (REQ-SEC-002)", acc.Email)

				upper := strings.ToUpper(acc.Email)
				t.sendCode(a, a.MustCreateFlow("recovery", nil), "email", upper)
				t.checkAt(sent.Seq, len(t.Codes(upper)) == 0, "the code went to the string typed, %s, not to the stored address (REQ-SEC-002)", upper)
				t.checkAt(sent.Seq, len(t.Codes(acc.Email)) == 1, "the code must go to the stored address %s (REQ-SEC-002)", acc.Email)
			}},
		Case{ID: "recovery.session.keeps-second-factor", Title: "A recovery session sets a password but cannot remove or replace a second factor: 403 _102 asking for aal2",
			Profile: ProfileRecovery, Requirements: []string{"submitRecoveryFlow", "submitSettingsFlow", "REQ-SEC-003", "REQ-REC-004"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc, _, _ := t.mfaAccount()
				_, done := t.withCode(t.API(), "recovery", "email", acc.Email)
				t.RequireStatus(done, 200, "recovering with the right code")
				sf := flowOf(done.Get("continue_flow"))
				if !t.checkAt(done.Seq, sf != nil && sf.Type == "settings", "a recovery must continue with a settings flow (REQ-REC-004)") {
					return
				}
				rs := t.WithToken(done.Str("session.token"))
				for _, change := range []struct {
					method string
					body   map[string]any
				}{
					{"totp", map[string]any{"totp_unlink": true}},
					{"lookup_secret", map[string]any{"lookup_secret_disable": true}},
					{"lookup_secret", map[string]any{"lookup_secret_regenerate": true}},
				} {
					r := rs.Submit(sf, change.method, change.body)
					if t.ExpectError(r, 403, "AVNOLOGY_AUTH_102", "a recovery session removing or replacing "+change.method+" (REQ-SEC-003)") {
						u, err := url.Parse(r.Str("error.details.login_url"))
						t.checkAt(r.Seq, err == nil && u.Query().Get("aal") == "aal2", "details.login_url %q must carry aal=aal2 (REQ-SEC-003)", r.Str("error.details.login_url"))
						t.checkAt(r.Seq, r.Str("error.details.required_aal") == "aal2", "details.required_aal is %q, want aal2", r.Str("error.details.required_aal"))
					}
				}
				acc.Password = newPassword()
				t.expectSaved(rs.Submit(sf, "password", map[string]any{"password": acc.Password}), "a recovery session setting a new password")
				t.secondStep(t.API(), acc) // the second factor is still asked for
			}},
		Case{ID: "mfa.login.code-second-factor", Title: "A code login of an identity with a second factor continues to the aal2 step; no session before it",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-SEC-004", "REQ-LOGIN-008", "REQ-LOGIN-009"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc, secret, _ := t.mfaAccount()
				a := t.API()
				_, r := t.withCode(a, "login", "identifier", acc.Email)
				t.RequireStatus(r, 200, "the right login code")
				cf := flowOf(r.Get("continue_flow"))
				if !t.checkAt(r.Seq, cf != nil && r.Get("session") == nil, "a code login of an MFA identity must answer continue_flow and no session (REQ-SEC-004), got %s", r.Body) {
					return
				}
				t.checkAt(r.Seq, cf.Data["requested_aal"] == "aal2" && cf.State == "choose_method", "the second step is %v in %q, want aal2 in choose_method (REQ-SEC-004)", cf.Data["requested_aal"], cf.State)
				done := a.Submit(cf, "totp", map[string]any{"totp_code": t.totpCode(secret, r, "continue_flow.issued_at")})
				t.RequireStatus(done, 200, "the TOTP code after the login code")
				t.checkSession(done, "session", "aal2", "code", "totp")
			}},
		Case{ID: "security.cache.no-store", Title: "Answers carrying a session token, a CSRF token or a one-time secret have Cache-Control: no-store",
			Profile: ProfileSecurity, Requirements: []string{"createLoginFlow", "createRegistrationFlow", "createSettingsFlow", "createRecoveryFlow", "createVerificationFlow", "getLoginFlow", "submitLoginFlow", "submitSettingsFlow", "REQ-SEC-005"},
			Run: func(t *T) {
				check := func(r *Response, what string) {
					t.checkAt(r.Seq, noStore(r.Header.Get("Cache-Control")), "%s carries a secret but Cache-Control is %q, want no-store (REQ-SEC-005)", what, r.Header.Get("Cache-Control"))
				}
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				for _, kind := range []string{"login", "registration", "recovery", "verification"} {
					_, r := t.API().CreateFlow(kind, nil)
					check(r, "a new "+kind+" flow (its csrf_token)")
				}
				sf, r := a.CreateFlow("settings", nil)
				check(r, "a new settings flow (its csrf_token and TOTP secret)")
				lf := t.API().MustCreateFlow("login", nil)
				check(t.API().GetFlow("login", lf.ID), "a login flow fetched again")
				check(t.API().Submit(lf, "password", map[string]any{"identifier": acc.Email, "password": acc.Password + "x"}), "a failed login with continue_flow")
				check(t.API().Submit(lf, "password", map[string]any{"identifier": acc.Email, "password": acc.Password}), "a login's session token")
				if sf != nil {
					check(a.Submit(sf, "lookup_secret", map[string]any{"lookup_secret_regenerate": true}), "lookup secrets shown once")
				}
			}},
		Case{ID: "security.input.nesting", Title: "JSON nested deeper than 64 levels answers 400 _902, promptly",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-SEC-006", "REQ-ERR-003"},
			Run: func(t *T) {
				a := t.API()
				for _, kind := range []string{"login", "registration"} {
					f := a.MustCreateFlow(kind, nil)
					path := flowPath(kind) + "/" + f.ID + ":submit"
					r := a.Do(Request{Method: http.MethodPost, Path: path, Body: nested(10_000), Deliberate: true})
					t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a "+kind+" submit of arrays nested 10,000 deep (20 KB)")
					// A bounded validator answers in milliseconds; one that copies values per
					// level spends seconds to minutes (and gigabytes) on this body.
					t.checkAt(r.Seq, r.Elapsed < 5*time.Second, "the answer took %s: validation cost is not linear in the body size (REQ-SEC-006)", r.Elapsed.Round(time.Millisecond))
					body := []byte(`{"method":"password","body":{"csrf_token":"` + f.CSRF + `","password":"x","identifier":` + string(nested(65)) + `}}`)
					r = a.Do(Request{Method: http.MethodPost, Path: path, Body: body, Deliberate: true})
					t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a "+kind+" submit with a field nested 65 deep")
				}
			}},
		Case{ID: "sessions.whoami.reflects-settings", Title: "whoami shows the identity as it is now: changed traits, an email no longer verified",
			Profile: ProfileCore, Requirements: []string{"getSession", "submitSettingsFlow", "REQ-SES-009", "REQ-SET-004"},
			Run: func(t *T) {
				_, a, f := t.settingsFor()
				email := uniqueEmail("moved")
				saved := t.expectSaved(a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": email, "name": map[string]any{"first": "Renamed", "last": "Person"}}}), "changing the name and email")
				if saved == nil {
					return
				}
				who := a.Get("/v1/sessions/whoami", nil)
				if t.ExpectStatus(who, 200, "whoami after the change") {
					t.checkAt(who.Seq, who.Str("identity.email") == email, "whoami shows email %q, want the new %q (REQ-SES-009)", who.Str("identity.email"), email)
					t.checkAt(who.Seq, who.Str("identity.first_name") == "Renamed", "whoami shows first_name %q, want Renamed (REQ-SES-009)", who.Str("identity.first_name"))
					t.checkAt(who.Seq, who.Get("identity.email_verified") == false, "a changed email must show as not verified (REQ-SES-009, REQ-SET-004)")
				}
			}},
	)
}

func init() {
	register(
		Case{ID: "errors.odd-input", Title: "Odd but well-formed input — invalid UTF-8, NUL, lone surrogates, huge numbers — never gets a 5xx, and a 500 would show no internals",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-ERR-003", "REQ-ERR-007"},
			Run: func(t *T) {
				a := t.API()
				for _, kind := range []string{"login", "registration"} {
					f := a.MustCreateFlow(kind, nil)
					path := flowPath(kind) + "/" + f.ID + ":submit"
					for what, body := range map[string]string{
						"invalid UTF-8":    `{"method":"password","body":{"identifier":"` + "\xff\xfe" + `","password":"x","csrf_token":"` + f.CSRF + `"}}`,
						"a NUL byte":       `{"method":"password","body":{"identifier":"a\u0000b","password":"x","csrf_token":"` + f.CSRF + `"}}`,
						"a lone surrogate": `{"method":"password","body":{"identifier":"\ud800","password":"\udfff","csrf_token":"` + f.CSRF + `"}}`,
						"a huge number":    `{"method":"password","body":{"identifier":1e400,"password":"x","csrf_token":"` + f.CSRF + `"}}`,
						"a 2^64 integer":   `{"method":"password","body":{"identifier":"a","password":"x","csrf_token":18446744073709551616}}`,
						"a duplicate key":  `{"method":"password","method":"code","body":{"identifier":"a","password":"x","csrf_token":"` + f.CSRF + `"}}`,
					} {
						r := a.Do(Request{Method: http.MethodPost, Path: path, Body: []byte(body), Deliberate: true})
						t.checkAt(r.Seq, r.Status < 500, "a %s submit with %s answered %s: invalid input is a 4xx, never a 5xx (REQ-ERR-003)", kind, what, r)
					}
				}
			}},
		Case{ID: "errors.form-errors-continue-flow", Title: "An error about form input carries continue_flow, the flow re-rendered with the field's message",
			Profile: ProfileCore, Severity: SHOULD, Requirements: []string{"submitLoginFlow", "submitRegistrationFlow", "REQ-ERR-008"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				_, r := t.PasswordLogin(t.API(), &Account{Email: acc.Email, Password: acc.Password + "x"}, nil)
				if t.ExpectError(r, 401, "AVNOLOGY_AUTH_001", "a wrong password") {
					cf := flowOf(r.Get("continue_flow"))
					t.checkAt(r.Seq, cf != nil && cf.Type == "login", "a wrong password should answer continue_flow with the login flow (REQ-ERR-008)")
				}
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				r = a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("weak")}, "password": "short"})
				if t.ExpectError(r, 400, "AVNOLOGY_AUTH_011", "a password too short") {
					cf := flowOf(r.Get("continue_flow"))
					has := false
					if cf != nil {
						for _, n := range cf.Nodes() {
							attrs, _ := n["attributes"].(map[string]any)
							msgs, _ := n["messages"].([]any)
							has = has || attrs["name"] == "password" && len(msgs) > 0
						}
					}
					t.checkAt(r.Seq, has, "a weak password should answer continue_flow whose password node carries the message (REQ-ERR-008)")
				}
			}},
	)
}
