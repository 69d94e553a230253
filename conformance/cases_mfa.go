package conformance

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

var secondFactorGroups = []string{"totp", "lookup_secret", "webauthn"}

// mfaAccount is a new identity of the case's own with a TOTP secret and recovery codes: seeded
// when the target can seed, otherwise made through the API as a person would — signed up, then
// recovery codes confirmed and TOTP enrolled in settings. Either way no other case shares it,
// so its codes, lockouts and rate limits are the case's alone.
func (t *T) mfaAccount() (*Account, string, []string) {
	if t.target.Seeder != nil {
		secret := newTOTPSecret()
		codes := make([]string, 12)
		for i := range codes {
			codes[i] = strings.ToLower(randomHex(4))
		}
		acc := t.Seed(IdentitySpec{EmailVerified: true, TOTPSecret: secret, LookupSecrets: codes})
		return acc, secret, codes
	}
	acc := t.Register(t.API())
	a := t.WithToken(acc.Token)
	f := a.MustCreateFlow("settings", nil)
	secret := f.textNode("totp_secret_key")
	if secret == "" {
		t.Skipf("needs --control (seeding) or TOTP enrolment in settings to make an MFA identity, and the settings flow shows no totp_secret_key")
	}
	shown := t.expectSaved(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_regenerate": true}), "making an MFA identity: generating recovery codes")
	if shown == nil {
		t.Fatalf("making an MFA identity through settings failed")
	}
	codes := shown.lookupCodes()
	t.expectSaved(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_confirm": true}), "making an MFA identity: confirming recovery codes")
	fresh := a.GetFlow("settings", f.ID)
	if t.expectSaved(a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, fresh, "issued_at")}), "making an MFA identity: enrolling TOTP") == nil {
		t.Fatalf("making an MFA identity through settings failed")
	}
	return acc, secret, codes
}

// secondStep signs in with the password and expects the aal2 step (REQ-LOGIN-002).
func (t *T) secondStep(a *Agent, acc *Account) (*Flow, *Response) {
	f, r := t.PasswordLogin(a, acc, nil)
	t.RequireStatus(r, 200, "the first factor of an MFA identity")
	cf := flowOf(r.Get("continue_flow"))
	if cf == nil || r.Get("session") != nil {
		t.fatalAt(r.Seq, "the first factor of an MFA identity must answer continue_flow and no session (REQ-LOGIN-002), got %s", r.Body)
	}
	t.checkAt(r.Seq, cf.ID == f.ID, "the aal2 step must be the same flow")
	return cf, r
}

func init() {
	register(
		Case{ID: "mfa.login.second-step", Title: "A correct password of an MFA identity asks for aal2 on the same flow, offering only second factors",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "getLoginFlow", "REQ-LOGIN-002", "REQ-FLOW-007"},
			Run: func(t *T) {
				acc, _, _ := t.mfaAccount()
				a := t.API()
				f, r := t.secondStep(a, acc)
				t.checkAt(r.Seq, f.Data["requested_aal"] == "aal2", "the second step asks for %v, want aal2", f.Data["requested_aal"])
				t.checkAt(r.Seq, f.State == "choose_method", "the second step is in %q, want choose_method", f.State)
				for _, g := range f.Groups() {
					t.checkAt(r.Seq, slices.Contains(secondFactorGroups, g), "the second step offers group %q; only second factors may be offered (REQ-LOGIN-002)", g)
				}
				t.checkAt(r.Seq, f.HasInput("totp_code"), "the second step must offer totp_code")
				t.ExpectError(a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password}), 400, "AVNOLOGY_AUTH_013", "a password on the second step (REQ-FLOW-009)")
			}},
		Case{ID: "mfa.login.totp", Title: "A TOTP code completes the second step: a session at aal2 with password and totp",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-009", "REQ-SES-008"},
			Run: func(t *T) {
				acc, secret, _ := t.mfaAccount()
				a := t.API()
				f, r := t.secondStep(a, acc)
				done := a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, r, "continue_flow.issued_at")})
				t.RequireStatus(done, 200, "submitting the TOTP code")
				t.checkSession(done, "session", "aal2", "password", "totp")
				who := t.WithToken(done.Str("session.token")).Get("/v1/sessions/whoami", nil)
				t.checkAt(who.Seq, who.Str("authenticator_assurance_level") == "aal2", "whoami reports %q, want aal2 (REQ-SES-008)", who.Str("authenticator_assurance_level"))
			}},
		Case{ID: "mfa.login.totp-wrong", Title: "A wrong TOTP code answers 400 _008 with attempts_remaining",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-010", "REQ-ERR-004"},
			Run: func(t *T) {
				acc, secret, _ := t.mfaAccount()
				a := t.API()
				f, r := t.secondStep(a, acc)
				wrong := []byte(t.totpCode(secret, r, "continue_flow.issued_at"))
				wrong[0] = '0' + (wrong[0]-'0'+5)%10
				t.expectWrongCode(a.Submit(f, "totp", map[string]any{"totp_code": string(wrong)}), "AVNOLOGY_AUTH_008", "a wrong TOTP code")
			}},
		Case{ID: "mfa.login.totp-replay", Title: "A TOTP code that signed in once is refused the second time",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-010"},
			Run: func(t *T) {
				acc, secret, _ := t.mfaAccount()
				a := t.API()
				f, r := t.secondStep(a, acc)
				code := t.totpCode(secret, r, "continue_flow.issued_at")
				t.RequireStatus(a.Submit(f, "totp", map[string]any{"totp_code": code}), 200, "the first use of the code")
				f2, _ := t.secondStep(t.API(), acc)
				t.ExpectError(t.API().Submit(f2, "totp", map[string]any{"totp_code": code}), 400, "AVNOLOGY_AUTH_008", "the same TOTP code again")
			}},
		Case{ID: "mfa.login.lookup-secret", Title: "A lookup code completes the second step once, recorded as recovery_code",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-009", "REQ-LOGIN-010"},
			Run: func(t *T) {
				acc, _, codes := t.mfaAccount()
				a := t.API()
				f, _ := t.secondStep(a, acc)
				done := a.Submit(f, "lookup_secret", map[string]any{"lookup_secret": codes[3]})
				t.RequireStatus(done, 200, "submitting a lookup code")
				t.checkSession(done, "session", "aal2", "password", "recovery_code")
				f2, _ := t.secondStep(t.API(), acc)
				t.ExpectError(t.API().Submit(f2, "lookup_secret", map[string]any{"lookup_secret": codes[3]}), 400, "AVNOLOGY_AUTH_008", "a used lookup code")
			}},
		Case{ID: "mfa.login.totp-lockout", Title: "Wrong second-factor codes count toward the lockout",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-004", "REQ-LOGIN-010"},
			Run: func(t *T) {
				acc, _, _ := t.mfaAccount()
				a := t.API()
				f, _ := t.secondStep(a, acc)
				var last *Response
				for range 5 {
					last = a.Submit(f, "totp", map[string]any{"totp_code": "000000"})
					if last.Status != 400 {
						break
					}
				}
				t.ExpectError(last, 423, "AVNOLOGY_AUTH_002", "the fifth wrong code in a row")
			}},
		Case{ID: "mfa.stepup.aal2", Title: "After enrolling TOTP an aal1 session must step up: settings answer 403 _102 until aal=aal2 upgrades the same session",
			Profile: ProfileMFA, Requirements: []string{"createSettingsFlow", "submitSettingsFlow", "createLoginFlow", "submitLoginFlow", "REQ-STEPUP-001", "REQ-STEPUP-003", "REQ-SET-006"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				secret := f.textNode("totp_secret_key")
				if !t.Check(secret != "", "the settings flow shows no totp_secret_key text node (REQ-SET-006)") {
					return
				}
				fresh := a.GetFlow("settings", f.ID)
				t.expectSaved(a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, fresh, "issued_at")}), "enrolling TOTP")

				r := a.Get("/v1/flows/settings", nil)
				if t.ExpectError(r, 403, "AVNOLOGY_AUTH_102", "a settings flow for the aal1 session of an MFA identity") {
					t.checkAt(r.Seq, r.Str("error.details.required_aal") == "aal2", "details.required_aal is %q, want aal2", r.Str("error.details.required_aal"))
					u, err := url.Parse(r.Str("error.details.login_url"))
					t.checkAt(r.Seq, err == nil && u.Query().Get("aal") == "aal2", "details.login_url %q must carry aal=aal2", r.Str("error.details.login_url"))
				}
				t.Advance(31 * time.Second) // the enrolment used this time step's code; it cannot be replayed
				lf := a.MustCreateFlow("login", url.Values{"aal": {"aal2"}})
				lr := a.GetFlow("login", lf.ID)
				done := a.Submit(lf, "totp", map[string]any{"totp_code": t.totpCode(secret, lr, "issued_at")})
				if t.ExpectStatus(done, 200, "the aal2 step-up with TOTP") {
					t.checkAt(done.Seq, done.Str("session.id") == acc.SessionID, "the step-up must upgrade session %q, got %q (REQ-STEPUP-003)", acc.SessionID, done.Str("session.id"))
					t.checkSession(done, "session", "aal2")
				}
				t.ExpectStatus(a.Get("/v1/flows/settings", nil), 200, "a settings flow after stepping up")
			}},
		Case{ID: "mfa.settings.totp", Title: "TOTP enrolment shows a QR data URI and the secret, refuses a wrong code, refuses a second enrolment, and unlinks at aal2 only",
			Profile: ProfileMFA, Requirements: []string{"submitSettingsFlow", "createLoginFlow", "submitLoginFlow", "REQ-SET-006", "REQ-SEC-003"},
			Run: func(t *T) {
				_, a, f := t.settingsFor()
				t.Check(strings.HasPrefix(f.imgNode("totp_qr"), "data:image/"), "the totp_qr img node must be a data: URI, is %.40q", f.imgNode("totp_qr"))
				secret := f.textNode("totp_secret_key")
				t.Check(secret != "" && f.HasInput("totp_code"), "the flow must show the totp_secret_key text and a totp_code input")
				t.ExpectError(a.Submit(f, "totp", map[string]any{"totp_code": "000000"}), 400, "AVNOLOGY_AUTH_008", "enrolling with a wrong code")
				fresh := a.GetFlow("settings", f.ID)
				t.expectSaved(a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, fresh, "issued_at")}), "enrolling with the right code")
				fresh = a.GetFlow("settings", f.ID)
				t.ExpectError(a.Submit(f, "totp", map[string]any{"totp_code": t.totpCode(secret, fresh, "issued_at")}), 409, "AVNOLOGY_AUTH_014", "enrolling a second time")
				// Removing a second factor needs an aal2 session (REQ-SEC-003): this one is aal1.
				t.ExpectError(a.Submit(f, "totp", map[string]any{"totp_unlink": true}), 403, "AVNOLOGY_AUTH_102", "unlinking TOTP with an aal1 session")
				lf := a.MustCreateFlow("login", url.Values{"aal": {"aal2"}})
				lr := a.GetFlow("login", lf.ID)
				// The enrolment used this time step's code, which cannot be replayed; the next
				// step's code is within the ±1 step every verifier accepts.
				if !t.ExpectStatus(a.Submit(lf, "totp", map[string]any{"totp_code": t.totpCodeAt(secret, lr, "issued_at", 30*time.Second)}), 200, "stepping up to aal2 with TOTP") {
					return
				}
				f = a.MustCreateFlow("settings", nil)
				t.expectSaved(a.Submit(f, "totp", map[string]any{"totp_unlink": true}), "unlinking TOTP at aal2")
			}},
		Case{ID: "mfa.settings.lookup-secrets", Title: "Lookup secrets: reveal shows 12 codes, confirm activates them for sign-in, disable removes them",
			Profile: ProfileMFA, Requirements: []string{"submitSettingsFlow", "submitLoginFlow", "createLoginFlow", "REQ-SET-007", "REQ-LOGIN-009", "REQ-SEC-003"},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				shown := t.expectSaved(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_regenerate": true}), "generating lookup codes")
				if shown == nil {
					return
				}
				codes := shown.lookupCodes()
				if !t.Check(len(codes) == 12, "the flow shows %d lookup codes, want 12 (REQ-SET-007)", len(codes)) {
					return
				}
				t.expectSaved(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_confirm": true}), "confirming the codes")
				sf, _ := t.secondStep(t.API(), acc)
				t.ExpectStatus(t.API().Submit(sf, "lookup_secret", map[string]any{"lookup_secret": codes[0]}), 200, "signing in with a confirmed code")
				// Removing a second factor needs an aal2 session (REQ-SEC-003): this one is aal1.
				t.ExpectError(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_disable": true}), 403, "AVNOLOGY_AUTH_102", "disabling the codes with an aal1 session")
				lf := a.MustCreateFlow("login", url.Values{"aal": {"aal2"}})
				if !t.ExpectStatus(a.Submit(lf, "lookup_secret", map[string]any{"lookup_secret": codes[1]}), 200, "stepping up to aal2 with a code") {
					return
				}
				f = a.MustCreateFlow("settings", nil)
				t.expectSaved(a.Submit(f, "lookup_secret", map[string]any{"lookup_secret_disable": true}), "disabling the codes at aal2")
				_, r := t.PasswordLogin(t.API(), acc, nil)
				t.checkAt(r.Seq, r.Get("session") != nil, "after disabling the only second factor the password must sign in at once")
			}},
	)
}
