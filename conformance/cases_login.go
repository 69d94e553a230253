package conformance

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

func init() {
	register(
		Case{ID: "login.create.fresh", Title: "A new login flow is in choose_method with one CSRF node, lives 30 minutes and sets avnl_csrf",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "REQ-LOGIN-001", "REQ-FLOW-001", "REQ-FLOW-002", "REQ-FLOW-008", "REQ-CSRF-001"},
			Run: func(t *T) {
				b := t.Browser()
				f, r := b.CreateFlow("login", nil)
				t.RequireStatus(r, http.StatusOK, "creating a login flow")
				t.checkFreshFlow(r, f, "login", "choose_method", 30*time.Minute)
				t.checkAt(r.Seq, r.Str("requested_aal") == "aal1", "a fresh login flow asks for %q, want aal1", r.Str("requested_aal"))
				t.checkAt(r.Seq, f.HasInput("identifier") && f.HasInput("password"), "a fresh login flow must offer identifier and password (REQ-LOGIN-001)")
				t.expectCSRFCookie(r)
			}},
		Case{ID: "login.get.current", Title: "Getting a login flow returns it as it is",
			Profile: ProfileCore, Requirements: []string{"getLoginFlow"},
			Run: func(t *T) {
				b := t.Browser()
				f := b.MustCreateFlow("login", nil)
				r := b.GetFlow("login", f.ID)
				t.RequireStatus(r, http.StatusOK, "getting the flow just created")
				t.checkAt(r.Seq, r.Str("id") == f.ID && r.Str("state") == f.State, "the flow came back as %s/%s, want %s/%s", r.Str("id"), r.Str("state"), f.ID, f.State)
			}},
		Case{ID: "login.get.unknown", Title: "An unknown login flow id answers 404 _901",
			Profile: ProfileCore, Requirements: []string{"getLoginFlow", "submitLoginFlow", "REQ-FLOW-005"},
			Run: func(t *T) {
				b := t.Browser()
				t.ExpectError(b.GetFlow("login", randomFlowID()), 404, "AVNOLOGY_AUTH_901", "getting an unknown flow")
				f := b.MustCreateFlow("login", nil)
				f.ID = randomFlowID()
				t.ExpectError(b.Submit(f, "password", map[string]any{"identifier": uniqueEmail("x"), "password": "whatever-123"}), 404, "AVNOLOGY_AUTH_901", "submitting to an unknown flow")
			}},
		Case{ID: "login.get.malformed-id", Title: "A flow id that is not a UUID answers 400 _902",
			Profile: ProfileCore, Requirements: []string{"getLoginFlow", "REQ-ERR-003"},
			Run: func(t *T) {
				r := t.Browser().Do(Request{Method: http.MethodGet, Path: "/v1/flows/login/not-a-uuid", Deliberate: true})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a malformed flow id")
			}},
		Case{ID: "login.password.success", Title: "The right password signs in at aal1 with a session token and cookie",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-002", "REQ-SES-001", "REQ-CSRF-004"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				b := t.Browser()
				r := t.SignIn(b, acc)
				t.checkSession(r, "session", "aal1", "password")
				t.checkAt(r.Seq, r.Str("session.identity.email") == acc.Email, "the session's identity is %q, want %q", r.Str("session.identity.email"), acc.Email)
				t.checkAt(r.Seq, r.Str("session.identity_id") == acc.IdentityID, "the session belongs to %q, want %q", r.Str("session.identity_id"), acc.IdentityID)
				t.expectCookie(r, "avnl_session", "REQ-CSRF-004")
			}},
		Case{ID: "login.password.invalid-credentials", Title: "A wrong password answers 401 _001",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				acc.Password += "-wrong"
				_, r := t.PasswordLogin(t.Browser(), acc, nil)
				t.ExpectError(r, 401, "AVNOLOGY_AUTH_001", "a wrong password")
			}},
		Case{ID: "login.password.unknown-identifier", Title: "An unknown identifier answers 401 _001",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-003"},
			Run: func(t *T) {
				_, r := t.PasswordLogin(t.Browser(), &Account{Email: uniqueEmail("nobody"), Password: newPassword()}, nil)
				t.ExpectError(r, 401, "AVNOLOGY_AUTH_001", "an unknown identifier")
			}},
		Case{ID: "login.password.disabled", Title: "A disabled identity's right password answers 403 _003",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-005"},
			Run: func(t *T) {
				acc := t.DisabledAccount()
				_, r := t.PasswordLogin(t.Browser(), acc, nil)
				t.ExpectError(r, 403, "AVNOLOGY_AUTH_003", "signing in to a disabled account")
			}},
		Case{ID: "login.flow.consumed", Title: "A login flow that produced a session cannot be used again",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "getLoginFlow", "REQ-FLOW-004"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f, r := t.PasswordLogin(a, acc, nil)
				t.RequireStatus(r, 200, "signing in")
				again := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				t.ExpectError(again, 400, "AVNOLOGY_AUTH_009", "submitting a consumed flow")
				t.ExpectError(a.GetFlow("login", f.ID), 400, "AVNOLOGY_AUTH_009", "getting a consumed flow")
			}},
		Case{ID: "login.flow.expired", Title: "After 30 minutes a login flow answers 400 _009 with a fresh flow to use",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "getLoginFlow", "REQ-FLOW-003", "REQ-ERR-004"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				t.Advance(31 * time.Minute)
				r := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				if t.ExpectError(r, 400, "AVNOLOGY_AUTH_009", "submitting an expired flow") {
					if id := r.Str("error.details.use_flow_id"); id != "" {
						t.ExpectStatus(a.GetFlow("login", id), 200, "getting the offered use_flow_id")
					} else {
						t.Warnf("an expired flow's _009 should offer details.use_flow_id (REQ-ERR-004)")
					}
				}
				t.ExpectError(a.GetFlow("login", f.ID), 400, "AVNOLOGY_AUTH_009", "getting an expired flow")
			}},
		Case{ID: "login.flow.alive-before-expiry", Title: "A login flow still works a minute before it expires",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-FLOW-002"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				t.Advance(29 * time.Minute)
				r := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				t.ExpectStatus(r, 200, "submitting 29 minutes into a 30-minute flow")
			}},
		Case{ID: "login.submit.method-not-offered", Title: "A second-factor method on a first-factor flow answers 400 _013",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-FLOW-009"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				t.ExpectError(a.Submit(f, "totp", map[string]any{"totp_code": "123456"}), 400, "AVNOLOGY_AUTH_013", "submitting totp to a fresh flow")
			}},
		Case{ID: "login.submit.flat-body", Title: "A flat submit body (fields beside method) answers 400 _902",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-FLOW-010"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				r := a.Do(Request{Method: http.MethodPost, Path: "/v1/flows/login/" + f.ID + ":submit", Deliberate: true,
					JSON: map[string]any{"method": "password", "identifier": uniqueEmail("flat"), "password": "whatever-123", "csrf_token": f.CSRF}})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", "a flat body")
			}},
		Case{ID: "login.create.with-session", Title: "Creating a login flow while signed in answers 400 _017",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "REQ-LOGIN-006"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				t.ExpectError(t.WithToken(acc.Token).Get("/v1/flows/login", nil), 400, "AVNOLOGY_AUTH_017", "a login flow for a signed-in client")
			}},
		Case{ID: "login.create.aal2-without-session", Title: "aal=aal2 without a session answers 401 _005",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "REQ-STEPUP-004"},
			Run: func(t *T) {
				t.ExpectError(t.API().Get("/v1/flows/login", url.Values{"aal": {"aal2"}}), 401, "AVNOLOGY_AUTH_005", "aal=aal2 without a session")
			}},
		Case{ID: "login.refresh.same-session", Title: "refresh=true re-authenticates the same session",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "submitLoginFlow", "REQ-STEPUP-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				f := a.MustCreateFlow("login", url.Values{"refresh": {"true"}})
				t.Check(f.Data["refresh"] == true, "a refresh flow must show refresh: true")
				r := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				t.RequireStatus(r, 200, "re-entering the password")
				t.checkAt(r.Seq, r.Str("session.id") == acc.SessionID, "refresh must upgrade the same session %q, got %q (REQ-STEPUP-003)", acc.SessionID, r.Str("session.id"))
				t.checkAt(r.Seq, len(sessionMethods(r, "session.")) >= 2, "the completed method must be added to authentication_methods, got %v", sessionMethods(r, "session."))
			}},
		Case{ID: "login.return-to.rejected", Title: "A return_to outside the allow-list answers 400 _016",
			Profile: ProfileSecurity, Requirements: []string{"createLoginFlow", "createRegistrationFlow", "REQ-FLOW-006"},
			Run: func(t *T) {
				q := url.Values{"return_to": {"https://evil.example.net/steal"}}
				t.ExpectError(t.API().Get("/v1/flows/login", q), 400, "AVNOLOGY_AUTH_016", "a login flow with a foreign return_to")
				t.ExpectError(t.API().Get("/v1/flows/registration", q), 400, "AVNOLOGY_AUTH_016", "a registration flow with a foreign return_to")
			}},
		Case{ID: "login.return-to.echoed", Title: "An allowed return_to is kept in the flow and returned beside the session",
			Profile: ProfileCore, Requirements: []string{"createLoginFlow", "submitLoginFlow", "REQ-FLOW-006"},
			Run: func(t *T) {
				allowed := t.target.BaseURL + "/after-login"
				acc := t.Register(t.API())
				a := t.API()
				f, r := t.PasswordLogin(a, acc, url.Values{"return_to": {allowed}})
				t.Check(f.Data["return_to"] == allowed, "the flow must keep return_to %q, has %v", allowed, f.Data["return_to"])
				if t.ExpectStatus(r, 200, "signing in") {
					t.checkAt(r.Seq, r.Str("return_to") == allowed, "return_to beside the session is %q, want %q", r.Str("return_to"), allowed)
				}
			}},
	)
	register(
		Case{ID: "security.enumeration.identical-answers", Title: "An unknown identifier and a wrong password get the identical answer",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				_, wrong := t.PasswordLogin(t.API(), &Account{Email: acc.Email, Password: acc.Password + "x"}, nil)
				_, unknown := t.PasswordLogin(t.API(), &Account{Email: uniqueEmail("ghost"), Password: acc.Password + "x"}, nil)
				t.Check(wrong.String() == unknown.String(), "wrong password answered %s, unknown identifier %s", wrong, unknown)
				for _, path := range []string{"error.message", "error.details.attempts_remaining", "error.details.retry_after"} {
					t.Check(lookupString(wrong, path) == lookupString(unknown, path), "%s differs: %q for a wrong password, %q for an unknown identifier", path, lookupString(wrong, path), lookupString(unknown, path))
				}
				t.Check(slices.Equal(sortedKeys(wrong.Get("error.details")), sortedKeys(unknown.Get("error.details"))), "error.details keys differ: %v vs %v", sortedKeys(wrong.Get("error.details")), sortedKeys(unknown.Get("error.details")))
				// Timing: medians of four alternating samples each (four wrong passwords stay under
				// the lockout), so one pause of a busy machine cannot make the verdict.
				ghost := &Account{Email: uniqueEmail("ghost"), Password: acc.Password + "x"}
				wrongTimes, unknownTimes := []time.Duration{wrong.Elapsed}, []time.Duration{unknown.Elapsed}
				for range 3 {
					_, w := t.PasswordLogin(t.API(), &Account{Email: acc.Email, Password: acc.Password + "x"}, nil)
					_, u := t.PasswordLogin(t.API(), ghost, nil)
					wrongTimes, unknownTimes = append(wrongTimes, w.Elapsed), append(unknownTimes, u.Elapsed)
				}
				w, u := median(wrongTimes), median(unknownTimes)
				if slow, fast := max(w, u), min(w, u); slow > 3*fast && slow-fast > 100*time.Millisecond {
					t.Reviewf("timing differs: a median of %s for a wrong password, %s for an unknown identifier (four samples each)", w, u)
				}
			}},
		Case{ID: "security.lockout", Title: "Five wrong passwords lock the account: 423 _002 with Retry-After, even for the right password",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-004", "REQ-ERR-006", "REQ-SEC-007"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				var last *Response
				for i := 1; i <= 5; i++ {
					last = a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password + "x"})
					if i < 5 {
						t.ExpectError(last, 401, "AVNOLOGY_AUTH_001", "a wrong password before the fifth")
					}
				}
				if t.ExpectError(last, 423, "AVNOLOGY_AUTH_002", "the fifth consecutive wrong password") {
					t.checkRetryAfter(last, 15*time.Minute-lockSlack, 15*time.Minute)
				}
				right := a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
				if t.ExpectError(right, 423, "AVNOLOGY_AUTH_002", "the right password while locked") {
					t.checkRetryAfter(right, 15*time.Minute-lockSlack, 15*time.Minute)
				}
			}},
		Case{ID: "security.lockout.expires", Title: "A lockout ends after 15 minutes",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-004"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				for range 5 {
					a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password + "x"})
				}
				t.Advance(16 * time.Minute)
				_, r := t.PasswordLogin(t.API(), acc, nil)
				t.ExpectStatus(r, 200, "the right password 16 minutes after the lockout")
			}},
		Case{ID: "security.rate-limit.login", Title: "More than 10 login submits for one identifier in a minute answer 429 _021",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-007", "REQ-ERR-006", "REQ-SEC-007", "REQ-LIMIT-001"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				who := uniqueEmail("flood")
				var last *Response
				for i := 1; i <= 11; i++ {
					last = a.Submit(f, "password", map[string]any{"identifier": who, "password": "not-the-password-1"})
					if i <= 10 && !t.ExpectError(last, 401, "AVNOLOGY_AUTH_001", "submit within the limit") {
						return
					}
				}
				if t.ExpectError(last, 429, "AVNOLOGY_AUTH_021", "the 11th submit within a minute") {
					t.checkRetryAfter(last, time.Second, time.Minute)
					t.checkRateLimitHeaders(last)
				}
			}},
		Case{ID: "security.rate-limit.headers", Title: "Rate-limited submits carry X-RateLimit-Limit, -Remaining and -Reset",
			Profile: ProfileSecurity, Requirements: []string{"submitLoginFlow", "REQ-LIMIT-001"},
			Run: func(t *T) {
				_, r := t.PasswordLogin(t.API(), t.Register(t.API()), nil)
				t.RequireStatus(r, 200, "signing in")
				t.checkRateLimitHeaders(r)
			}},
	)
}

// median of a few durations (the mean of the middle two for an even count).
func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// lockSlack is how much of a fresh lock's 15 minutes a case allows to have passed by the time
// it reads Retry-After: the exchange itself, and rounding (REQ-SEC-007: within 2 seconds).
const lockSlack = 3 * time.Second

func lookupString(r *Response, path string) string {
	v := r.Get(path)
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := jsonMarshal(v)
	return string(b)
}

func sortedKeys(v any) []string {
	m, _ := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
