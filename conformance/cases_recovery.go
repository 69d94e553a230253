package conformance

import (
	"slices"
	"strings"
	"time"
)

// sendCode submits step 1 of a code flow and expects the flow back in sent_email.
func (t *T) sendCode(a *Agent, f *Flow, field string, value any) *Response {
	r := a.Submit(f, "code", map[string]any{field: value})
	if t.ExpectStatus(r, 200, "asking for a code") {
		cf := flowOf(r.Get("continue_flow"))
		t.checkAt(r.Seq, cf != nil && cf.ID == f.ID && cf.State == "sent_email", "step 1 must answer the same flow in sent_email")
	}
	return r
}

// withCode runs both steps of a code flow of kind as a: it asks for a code for address (in
// field), then submits the newest code that reached address. It returns the flow and the
// answer to the code.
func (t *T) withCode(a *Agent, kind, field, address string) (*Flow, *Response) {
	f := a.MustCreateFlow(kind, nil)
	t.sendCode(a, f, field, address)
	return f, a.Submit(f, "code", map[string]any{"code": t.lastCode(address)})
}

// lastCode is the newest code sent to address; the case ends without one.
func (t *T) lastCode(address string) string {
	codes := t.Codes(address)
	if len(codes) == 0 {
		t.Fatalf("no code reached the inbox of %s", address)
	}
	return codes[len(codes)-1]
}

// expiredCodeCase checks that a one-time code of a flow kind older than 15 minutes answers
// 400 with the kind's expiry code (REQ-LIMIT-002).
func expiredCodeCase(kind, field, code string, reqs ...string) Case {
	return Case{ID: kind + ".code.expired", Title: "A " + kind + " code older than 15 minutes answers 400 " + code[len(code)-4:],
		Profile: ProfileRecovery, Requirements: append([]string{"submit" + upperFirst(kind) + "Flow", "REQ-LIMIT-002"}, reqs...), Needs: []Capability{NeedInbox, NeedClock},
		Run: func(t *T) {
			acc := t.Register(t.API())
			a := t.API()
			f := a.MustCreateFlow(kind, nil)
			t.sendCode(a, f, field, acc.Email)
			t.Advance(16 * time.Minute)
			t.ExpectError(a.Submit(f, "code", map[string]any{"code": t.lastCode(acc.Email)}), 400, code, "a 16-minute-old "+kind+" code")
		}}
}

// freshCodeFlowCase checks a new recovery or verification flow: show_form, 60 minutes, an
// email input; it can be fetched, and an unknown id cannot.
func freshCodeFlowCase(kind, req string) Case {
	return Case{ID: kind + ".create.fresh", Title: "A new " + kind + " flow is in show_form, lives 60 minutes and asks for an email",
		Profile: ProfileRecovery, Requirements: []string{"create" + upperFirst(kind) + "Flow", "get" + upperFirst(kind) + "Flow", req, "REQ-FLOW-008"},
		Run: func(t *T) {
			a := t.Browser()
			f, r := a.CreateFlow(kind, nil)
			t.RequireStatus(r, 200, "creating a "+kind+" flow")
			t.checkFreshFlow(r, f, kind, "show_form", 60*time.Minute)
			t.checkAt(r.Seq, f.HasInput("email"), "a %s flow must ask for email", kind)
			t.ExpectStatus(a.GetFlow(kind, f.ID), 200, "getting the "+kind+" flow")
			t.ExpectError(a.GetFlow(kind, randomFlowID()), 404, "AVNOLOGY_AUTH_901", "getting an unknown "+kind+" flow")
		}}
}

// expectWrongCode checks a wrong one-time code's error and its attempts_remaining (REQ-ERR-004).
func (t *T) expectWrongCode(r *Response, code, why string) {
	if t.ExpectError(r, 400, code, why) {
		_, ok := r.Get("error.details.attempts_remaining").(float64)
		t.checkAt(r.Seq, ok, "%s: %s must carry details.attempts_remaining (REQ-ERR-004)", why, code)
	}
}

func wrongCode(code string) string {
	b := []byte(code)
	b[5] = '0' + (b[5]-'0'+1)%10
	return string(b)
}

func init() {
	register(
		expiredCodeCase("recovery", "email", "AVNOLOGY_AUTH_019", "REQ-REC-003"),
		expiredCodeCase("verification", "email", "AVNOLOGY_AUTH_020", "REQ-VER-004"),
		expiredCodeCase("login", "identifier", "AVNOLOGY_AUTH_020", "REQ-LOGIN-008"),
		freshCodeFlowCase("recovery", "REQ-REC-001"),
		freshCodeFlowCase("verification", "REQ-VER-001"),
		Case{ID: "recovery.send.uniform", Title: "Known and unknown addresses get the same sent_email answer; only the known one gets a code",
			Profile: ProfileRecovery, Requirements: []string{"submitRecoveryFlow", "REQ-REC-002"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				known := t.sendCode(a, a.MustCreateFlow("recovery", nil), "email", acc.Email)
				ghost := uniqueEmail("ghost")
				unknown := t.sendCode(a, a.MustCreateFlow("recovery", nil), "email", ghost)
				t.Check(known.Status == unknown.Status && slices.Equal(flowOf(known.Get("continue_flow")).Messages(), flowOf(unknown.Get("continue_flow")).Messages()),
					"known and unknown addresses must get the same answer (REQ-REC-002)")
				t.Check(len(t.Codes(acc.Email)) == 1, "the known address got %d codes, want 1", len(t.Codes(acc.Email)))
				t.Check(len(t.Codes(ghost)) == 0, "an unknown address got a code")
			}},
		Case{ID: "recovery.code.success", Title: "The right code answers a privileged recovery session and a settings flow for it",
			Profile: ProfileRecovery, Requirements: []string{"submitRecoveryFlow", "REQ-REC-004", "REQ-CSRF-004"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				b := t.Browser()
				f := b.MustCreateFlow("recovery", nil)
				t.sendCode(b, f, "email", acc.Email)
				r := b.Submit(f, "code", map[string]any{"code": t.lastCode(acc.Email)})
				t.RequireStatus(r, 200, "submitting the right code")
				t.checkAt(r.Seq, strings.HasPrefix(r.Str("session.token"), "avnl_ses_recovery_"), "a recovery session token must start avnl_ses_recovery_ (REQ-REC-004)")
				t.checkAt(r.Seq, r.Str("session.identity_id") == acc.IdentityID, "the recovery session belongs to %q, want %q", r.Str("session.identity_id"), acc.IdentityID)
				t.checkAt(r.Seq, r.Str("continue_flow.type") == "settings", "continue_flow must be a settings flow, is %q", r.Str("continue_flow.type"))
				if issued, err1 := time.Parse(time.RFC3339, r.Str("session.issued_at")); err1 == nil {
					if exp, err2 := time.Parse(time.RFC3339, r.Str("session.expires_at")); err2 == nil {
						t.checkAt(r.Seq, exp.Sub(issued) <= 15*time.Minute+2*time.Second, "a recovery session lives %s, want 15 minutes (REQ-REC-004)", exp.Sub(issued))
					}
				}
				t.expectCookie(r, "avnl_session", "REQ-CSRF-004")
				t.ExpectError(b.Submit(f, "code", map[string]any{"code": t.lastCode(acc.Email)}), 400, "AVNOLOGY_AUTH_009", "using the recovery flow again")
			}},
		Case{ID: "recovery.code.wrong", Title: "A wrong code answers 400 _018 with attempts_remaining; the fifth leaves the flow unusable",
			Profile: ProfileRecovery, Requirements: []string{"submitRecoveryFlow", "REQ-REC-003", "REQ-LIMIT-002", "REQ-ERR-004"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("recovery", nil)
				t.sendCode(a, f, "email", acc.Email)
				bad := wrongCode(t.lastCode(acc.Email))
				for i := 1; i <= 5; i++ {
					r := a.Submit(f, "code", map[string]any{"code": bad})
					if t.ExpectError(r, 400, "AVNOLOGY_AUTH_018", "a wrong recovery code") {
						t.checkAt(r.Seq, r.Get("error.details.attempts_remaining") == float64(5-i), "attempts_remaining is %v after %d wrong codes, want %d", r.Get("error.details.attempts_remaining"), i, 5-i)
					}
				}
				t.ExpectError(a.Submit(f, "code", map[string]any{"code": t.lastCode(acc.Email)}), 400, "AVNOLOGY_AUTH_009", "the right code after five wrong ones")
			}},
		Case{ID: "recovery.rate-limit", Title: "More than 5 code sends to one address in 15 minutes answer 429 _021",
			Profile: ProfileRecovery, Requirements: []string{"submitRecoveryFlow", "REQ-REC-005", "REQ-ERR-006"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				var last *Response
				for i := 1; i <= 6; i++ {
					last = a.Submit(a.MustCreateFlow("recovery", nil), "code", map[string]any{"email": acc.Email})
					if i <= 5 && !t.ExpectStatus(last, 200, "a code send within the limit") {
						return
					}
				}
				if t.ExpectError(last, 429, "AVNOLOGY_AUTH_021", "the sixth send in 15 minutes") {
					t.checkRetryAfter(last, time.Second, 15*time.Minute)
					t.checkRateLimitHeaders(last)
				}
			}},
		Case{ID: "verification.code.success", Title: "The right code passes the challenge with message 1080002 and verifies the address",
			Profile: ProfileRecovery, Requirements: []string{"submitVerificationFlow", "getSession", "REQ-VER-002", "REQ-VER-003"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				_, r := t.withCode(t.API(), "verification", "email", acc.Email)
				t.RequireStatus(r, 200, "submitting the right code")
				cf := flowOf(r.Get("continue_flow"))
				t.checkAt(r.Seq, cf != nil && cf.State == "passed_challenge", "the flow must be in passed_challenge (REQ-VER-003)")
				if cf != nil {
					t.checkAt(r.Seq, slices.Contains(cf.Messages(), "1080002"), "want message 1080002, have %v (REQ-VER-003)", cf.Messages())
				}
				who := t.WithToken(acc.Token).Get("/v1/sessions/whoami", nil)
				t.checkAt(who.Seq, who.Get("identity.email_verified") == true, "the address must now be verified (REQ-VER-003)")
			}},
		Case{ID: "verification.code.wrong", Title: "A wrong verification code answers 400 _007 with attempts_remaining",
			Profile: ProfileRecovery, Requirements: []string{"submitVerificationFlow", "REQ-VER-004", "REQ-ERR-004"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("verification", nil)
				t.sendCode(a, f, "email", acc.Email)
				t.expectWrongCode(a.Submit(f, "code", map[string]any{"code": wrongCode(t.lastCode(acc.Email))}), "AVNOLOGY_AUTH_007", "a wrong verification code")
			}},
		Case{ID: "login.code.success", Title: "Code login: step 1 answers sent_email, the emailed code signs in at aal1",
			Profile: ProfileRecovery, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-008"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				t.sendCode(a, f, "identifier", acc.Email)
				r := a.Submit(f, "code", map[string]any{"code": t.lastCode(acc.Email), "identifier": acc.Email})
				t.RequireStatus(r, 200, "submitting the emailed code")
				t.checkSession(r, "session", "aal1", "code")
			}},
		Case{ID: "registration.code.success", Title: "Passwordless sign-up: traits, then the emailed code, create the identity signed in",
			Profile: ProfileRecovery, Requirements: []string{"submitRegistrationFlow", "REQ-LIMIT-002"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				email := uniqueEmail("passwordless")
				t.sendCode(a, f, "traits", map[string]any{"email": email})
				r := a.Submit(f, "code", map[string]any{"code": t.lastCode(email)})
				t.RequireStatus(r, 200, "submitting the emailed code")
				t.checkSession(r, "session", "aal1", "code")
			}},
		Case{ID: "registration.code.wrong", Title: "A wrong sign-up code answers 400 _008 with attempts_remaining",
			Profile: ProfileRecovery, Requirements: []string{"submitRegistrationFlow", "REQ-LIMIT-002", "REQ-ERR-004"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				a := t.API()
				f := a.MustCreateFlow("registration", nil)
				email := uniqueEmail("passwordless")
				t.sendCode(a, f, "traits", map[string]any{"email": email})
				t.expectWrongCode(a.Submit(f, "code", map[string]any{"code": wrongCode(t.lastCode(email))}), "AVNOLOGY_AUTH_008", "a wrong sign-up code")
			}},
		Case{ID: "login.code.uniform", Title: "Code login answers sent_email for an unknown address too, and sends it nothing",
			Profile: ProfileRecovery, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-008"}, Needs: []Capability{NeedInbox},
			Run: func(t *T) {
				a := t.API()
				ghost := uniqueEmail("ghost")
				t.sendCode(a, a.MustCreateFlow("login", nil), "identifier", ghost)
				t.Check(len(t.Codes(ghost)) == 0, "an unknown address got a login code")
				f := a.MustCreateFlow("login", nil)
				t.ExpectError(a.Submit(f, "code", map[string]any{}), 400, "AVNOLOGY_AUTH_902", "a code submit with neither identifier nor code")
			}},
	)
}
