package conformance

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func init() {
	register(
		Case{ID: "registration.create.fresh", Title: "A new registration flow is in show_form, lives 30 minutes and offers the password method",
			Profile: ProfileCore, Requirements: []string{"createRegistrationFlow", "REQ-REG-001", "REQ-FLOW-001", "REQ-FLOW-002", "REQ-FLOW-008", "REQ-CSRF-001"},
			Run: func(t *T) {
				b := t.Browser()
				f, r := b.CreateFlow("registration", nil)
				t.RequireStatus(r, http.StatusOK, "creating a registration flow")
				t.checkFreshFlow(r, f, "registration", "show_form", 30*time.Minute)
				t.checkAt(r.Seq, f.HasInput("traits.email") && f.HasInput("password"), "a registration flow must offer traits.email and password (REQ-REG-001)")
				t.expectCSRFCookie(r)
			}},
		Case{ID: "registration.get.current", Title: "Getting a registration flow returns it; an unknown id answers 404 _901",
			Profile: ProfileCore, Requirements: []string{"getRegistrationFlow", "submitRegistrationFlow", "REQ-FLOW-005"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				r := a.GetFlow("registration", f.ID)
				t.ExpectStatus(r, 200, "getting the flow just created")
				t.ExpectError(a.GetFlow("registration", randomFlowID()), 404, "AVNOLOGY_AUTH_901", "getting an unknown flow")
				f.ID = randomFlowID()
				t.ExpectError(a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("x")}, "password": newPassword()}), 404, "AVNOLOGY_AUTH_901", "submitting to an unknown flow")
			}},
		Case{ID: "registration.password.success", Title: "Valid traits and a good password create an unverified identity signed in at aal1",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "REQ-REG-002", "REQ-CSRF-004"},
			Run: func(t *T) {
				b := t.Browser()
				f := b.MustCreateFlow("registration", nil)
				email := uniqueEmail("new")
				r := b.Submit(f, "password", map[string]any{"traits": map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}}, "password": newPassword()})
				t.RequireStatus(r, 200, "registering")
				t.checkSession(r, "session", "aal1", "password")
				t.checkAt(r.Seq, r.Str("session.identity.email") == email, "the new identity's email is %q, want %q", r.Str("session.identity.email"), email)
				t.checkAt(r.Seq, r.Get("session.identity.email_verified") == false, "a new identity's email must be unverified (REQ-REG-002)")
				t.checkAt(r.Seq, r.Str("session.token") != "", "a registration session must carry its token")
				t.expectCookie(r, "avnl_session", "REQ-CSRF-004")
			}},
		Case{ID: "registration.duplicate-email", Title: "An email that already has an identity answers 409 _012 with message 4000005",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "REQ-REG-003"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": strings.ToUpper(acc.Email[:1]) + acc.Email[1:]}, "password": newPassword()})
				if t.ExpectError(r, 409, "AVNOLOGY_AUTH_012", "registering an existing email (case differs)") {
					cf := flowOf(r.Get("continue_flow"))
					t.checkAt(r.Seq, cf != nil && cf.ID == f.ID, "the 409 must carry the flow as continue_flow")
					if cf != nil {
						t.checkAt(r.Seq, slices.Contains(cf.Messages(), "4000005"), "continue_flow must carry message 4000005, has %v", cf.Messages())
					}
				}
			}},
		Case{ID: "registration.password-policy", Title: "A short password, or one containing the identifier, answers 400 _011 with a reason",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "REQ-REG-004", "REQ-ERR-004"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				email := uniqueEmail("policy")
				for why, pw := range map[string]string{"7 characters": "Ab1!xyz", "the identifier inside": "x" + email + "1!"} {
					r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": email}, "password": pw})
					if t.ExpectError(r, 400, "AVNOLOGY_AUTH_011", "a password with "+why) {
						t.checkAt(r.Seq, r.Str("error.details.reason") != "", "a _011 must carry details.reason (REQ-ERR-004)")
					}
				}
			}},
		Case{ID: "registration.password-breached", Title: "A password on the breach list answers 400 _010",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "REQ-REG-004"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("breach")}, "password": "password123"})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_010", "a password from every breach list")
			}},
		Case{ID: "registration.create.with-session", Title: "Creating a registration flow while signed in answers 400 _017",
			Profile: ProfileCore, Requirements: []string{"createRegistrationFlow", "REQ-REG-005"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				t.ExpectError(t.WithToken(acc.Token).Get("/v1/flows/registration", nil), 400, "AVNOLOGY_AUTH_017", "a registration flow for a signed-in client")
			}},
		Case{ID: "registration.flow.consumed", Title: "A registration flow that produced a session cannot be used again",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "getRegistrationFlow", "REQ-FLOW-004"},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("once")}, "password": newPassword()})
				t.RequireStatus(r, 200, "registering")
				again := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("twice")}, "password": newPassword()})
				t.ExpectError(again, 400, "AVNOLOGY_AUTH_009", "submitting a consumed registration flow")
				t.ExpectError(a.GetFlow("registration", f.ID), 400, "AVNOLOGY_AUTH_009", "getting a consumed registration flow")
			}},
		Case{ID: "registration.flow.expired", Title: "After 30 minutes a registration flow answers 400 _009",
			Profile: ProfileCore, Requirements: []string{"submitRegistrationFlow", "getRegistrationFlow", "REQ-FLOW-003"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				t.Advance(31 * time.Minute)
				r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": uniqueEmail("late")}, "password": newPassword()})
				t.ExpectError(r, 400, "AVNOLOGY_AUTH_009", "submitting an expired registration flow")
				t.ExpectError(a.GetFlow("registration", f.ID), 400, "AVNOLOGY_AUTH_009", "getting an expired registration flow")
			}},
	)
}
