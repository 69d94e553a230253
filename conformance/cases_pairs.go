package conformance

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/avnology/idflows/openapi/contract"
)

// Cases that reach the documented (status, code) pairs of the flows the other cases reach for
// login and registration only: recovery, verification and settings answer the same transport,
// CSRF, return_to and expiry errors, each in its own operation.

func init() {
	register(
		Case{ID: "errors.transport.every-submit", Title: "Every flow's submit answers 413 over 1 MiB, 415 for an undeclared media type and 404 for an unknown flow",
			Profile: ProfileSecurity, Requirements: []string{"submitRecoveryFlow", "submitVerificationFlow", "submitSettingsFlow", "REQ-ERR-005"},
			Run: func(t *T) {
				signedIn := t.WithToken(t.Register(t.API()).Token)
				big := append(append([]byte(`{"method":"code","body":{"email":"`), bytes.Repeat([]byte("a"), 1<<20+1)...), []byte(`"}}`)...)
				for _, kind := range []string{"recovery", "verification", "settings"} {
					f := signedIn.MustCreateFlow(kind, nil)
					path := flowPath(kind) + "/" + f.ID + ":submit"
					t.ExpectError(signedIn.Do(Request{Method: http.MethodPost, Path: path, Body: big, Deliberate: true}), 413, "AVNOLOGY_AUTH_902", "a "+kind+" submit over 1 MiB")
					t.ExpectError(signedIn.Do(Request{Method: http.MethodPost, Path: path, Body: []byte("method=code"), ContentType: "text/plain", Deliberate: true}),
						415, "AVNOLOGY_AUTH_902", "a text/plain "+kind+" submit")
					unknown := &Flow{Type: kind, ID: randomFlowID(), CSRF: f.CSRF}
					body := map[string]any{"email": uniqueEmail("unknown")}
					method := "code"
					if kind == "settings" {
						method, body = "profile", map[string]any{"traits": map[string]any{"email": uniqueEmail("unknown")}}
					}
					t.ExpectError(signedIn.Submit(unknown, method, body), 404, "AVNOLOGY_AUTH_901", "a "+kind+" submit to an unknown flow")
				}
			}},
		Case{ID: "security.csrf.code-flows", Title: "A recovery or verification submit without its CSRF token answers 403 _015",
			Profile: ProfileSecurity, Requirements: []string{"submitRecoveryFlow", "submitVerificationFlow", "REQ-CSRF-002"},
			Run: func(t *T) {
				a := t.API()
				for _, kind := range []string{"recovery", "verification"} {
					f := a.MustCreateFlow(kind, nil)
					t.ExpectError(a.Submit(f, "code", map[string]any{"email": uniqueEmail("csrf"), "csrf_token": nil}), 403, "AVNOLOGY_AUTH_015", "a "+kind+" submit without csrf_token")
				}
			}},
		Case{ID: "flows.return-to.every-flow", Title: "A foreign return_to answers 400 _016 when any flow is created",
			Profile: ProfileCore, Requirements: []string{"createRecoveryFlow", "createVerificationFlow", "createSettingsFlow", "REQ-FLOW-006"},
			Run: func(t *T) {
				signedIn := t.WithToken(t.Register(t.API()).Token)
				q := url.Values{"return_to": {"https://evil.example.net/steal"}}
				for _, kind := range []string{"recovery", "verification", "settings"} {
					t.ExpectError(signedIn.Get(flowPath(kind), q), 400, "AVNOLOGY_AUTH_016", "a "+kind+" flow with a foreign return_to")
				}
			}},
		Case{ID: "flows.expired.code-flows", Title: "After 60 minutes a recovery or verification flow answers 400 _009",
			Profile: ProfileRecovery, Requirements: []string{"getRecoveryFlow", "getVerificationFlow", "submitVerificationFlow", "REQ-FLOW-003"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				a := t.API()
				rec, ver := a.MustCreateFlow("recovery", nil), a.MustCreateFlow("verification", nil)
				t.Advance(61 * time.Minute)
				t.ExpectError(a.GetFlow("recovery", rec.ID), 400, "AVNOLOGY_AUTH_009", "getting an expired recovery flow")
				t.ExpectError(a.GetFlow("verification", ver.ID), 400, "AVNOLOGY_AUTH_009", "getting an expired verification flow")
				t.ExpectError(a.Submit(ver, "code", map[string]any{"email": uniqueEmail("late")}), 400, "AVNOLOGY_AUTH_009", "submitting an expired verification flow")
			}},
		Case{ID: "registration.code.expired", Title: "A sign-up code older than 15 minutes answers 400 _020",
			Profile: ProfileRecovery, Requirements: []string{"submitRegistrationFlow", "REQ-LIMIT-002"}, Needs: []Capability{NeedInbox, NeedClock},
			Run: func(t *T) {
				a := t.API()
				email := uniqueEmail("signup")
				f := a.MustCreateFlow("registration", nil)
				t.sendCode(a, f, "traits", map[string]any{"email": email})
				t.Advance(16 * time.Minute)
				t.ExpectError(a.Submit(f, "code", map[string]any{"code": t.lastCode(email)}), 400, "AVNOLOGY_AUTH_020", "a 16-minute-old sign-up code")
			}},
		Case{ID: "settings.session-required", Title: "Getting or submitting a settings flow without a valid session answers 401 _005",
			Profile: ProfileCore, Requirements: []string{"getSettingsFlow", "submitSettingsFlow", "REQ-SET-001", "REQ-SES-002"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				f := a.MustCreateFlow("settings", nil)
				anonymous := t.API()
				t.ExpectError(anonymous.GetFlow("settings", f.ID), 401, "AVNOLOGY_AUTH_005", "getting a settings flow without a session")
				t.ExpectError(anonymous.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": acc.Email}}), 401, "AVNOLOGY_AUTH_005", "submitting a settings flow without a session")
			}},
		Case{ID: "settings.profile.duplicate-email", Title: "Changing the email to another account's answers 409 _012 with the flow",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "REQ-SET-004", "REQ-REG-003"},
			Run: func(t *T) {
				other := t.Register(t.API())
				a := t.WithToken(t.Register(t.API()).Token)
				f := a.MustCreateFlow("settings", nil)
				r := a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": other.Email}})
				if t.ExpectError(r, 409, "AVNOLOGY_AUTH_012", "taking another account's email") {
					t.checkAt(r.Seq, flowOf(r.Get("continue_flow")) != nil, "the 409 should carry the flow as continue_flow (REQ-ERR-008)")
				}
			}},
		Case{ID: "settings.password-breached", Title: "A new password on the breach list answers 400 _010",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "REQ-SET-005", "REQ-REG-004"},
			Run: func(t *T) {
				a := t.WithToken(t.Register(t.API()).Token)
				f := a.MustCreateFlow("settings", nil)
				t.ExpectError(a.Submit(f, "password", map[string]any{"password": "password123"}), 400, "AVNOLOGY_AUTH_010", "a breached new password")
			}},
		Case{ID: "limits.code-sends.every-flow", Title: "More than 5 verification or sign-up code sends to one address in 15 minutes answer 429 _021",
			Profile: ProfileRecovery, Requirements: []string{"submitVerificationFlow", "submitRegistrationFlow", "REQ-REC-005", "REQ-ERR-006"},
			Run: func(t *T) {
				a := t.API()
				address := uniqueEmail("sends")
				sends := []struct {
					kind string
					body map[string]any
				}{{"verification", map[string]any{"email": address}}, {"registration", map[string]any{"traits": map[string]any{"email": uniqueEmail("signup-sends")}}}}
				for _, s := range sends {
					f := a.MustCreateFlow(s.kind, nil)
					var last *Response
					for range 6 {
						last = a.Submit(f, "code", s.body)
						if last.Status != http.StatusOK {
							break
						}
					}
					if t.ExpectError(last, 429, "AVNOLOGY_AUTH_021", "the sixth "+s.kind+" code send to one address") {
						t.checkAt(last.Seq, last.Header.Get("Retry-After") != "", "a 429 must say Retry-After (REQ-ERR-006)")
					}
				}
			}},
		Case{ID: "social.callback.expired-flow", Title: "A callback for a flow that expired meanwhile answers 400 _009",
			Profile: ProfileSocial, Requirements: []string{"completeOidcFlow", "REQ-OIDC-002"}, Needs: []Capability{NeedSocial, NeedClock},
			Run: func(t *T) {
				a := t.Browser()
				_, callback := socialAuthorize(t, a, "login", nil, SocialAccount{Email: uniqueEmail("slow"), EmailVerified: true})
				t.Advance(31 * time.Minute)
				t.ExpectError(a.Do(callback), 400, "AVNOLOGY_AUTH_009", "a callback after the login flow expired")
			}},
	)
}

// Every documented pair, forced through the target's control plane: the answer is the pair's
// envelope with the details its code carries (the judge of every exchange checks those).
func init() {
	derive(func(c *contract.Contract) {
		reqs := []string{"REQ-ERR-001", "REQ-ERR-004", "REQ-ERR-006"}
		for _, op := range c.Operations() {
			if _, ok := sampleRequest(op); ok && len(op.Pairs) > 0 {
				reqs = append(reqs, op.ID)
			}
		}
		register(Case{ID: "control.forced.every-pair", Title: "Every documented (status, code) pair of every operation, forced, answers its envelope",
			Profile: ProfileControl, Requirements: reqs, Needs: []Capability{NeedFaults},
			Run: func(t *T) {
				a := t.API()
				for _, op := range c.Operations() {
					req, ok := sampleRequest(op)
					if !ok {
						continue
					}
					for _, p := range op.Pairs { // a code listed at several statuses is forced at each
						if err := t.target.Faults.Force(t.Context(), t.scope, op.ID, p); err != nil {
							t.suiteError("forcing %s on %s: %v", p, op.ID, err)
							return
						}
						t.ExpectError(a.Do(req), p.Status, p.Code, fmt.Sprintf("%s forced to answer %s", op.ID, p))
					}
				}
			}})
	})
}

// sampleRequest is a valid request of the operation, with the contract's own example values:
// path parameters from their examples, a submit's body from its first example.
func sampleRequest(op *contract.Operation) (Request, bool) {
	path := op.Path
	for _, p := range op.Op.Parameters {
		if p.Value.In != "path" {
			continue
		}
		ex, ok := p.Value.Example.(string)
		if !ok {
			return Request{}, false
		}
		path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", ex)
	}
	req := Request{Method: op.Method, Path: path}
	if op.ID == "completeOidcFlow" {
		req.Query = url.Values{"code": {"c0de"}, "state": {"st4te"}}
	}
	if op.Op.RequestBody != nil {
		variants := submitVariants(op.Op)
		if len(variants) == 0 {
			return Request{}, false
		}
		req.JSON = map[string]any{"method": variants[0].method, "body": variants[0].body}
	}
	return req, true
}

// formPost posts a flow's form as a plain HTML form does: form-encoded, navigating (Accept:
// text/html).
func formPost(a *Agent, f *Flow, form url.Values) *Response {
	if !form.Has("csrf_token") {
		form.Set("csrf_token", f.CSRF)
	}
	return a.Do(Request{Method: http.MethodPost, Path: flowPath(f.Type) + "/" + f.ID + ":submit", Body: []byte(form.Encode()),
		ContentType: "application/x-www-form-urlencoded", Header: http.Header{"Accept": {"text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}}})
}

func init() {
	register(
		Case{ID: "browser.form-post", Title: "A plain HTML form post signs in with a 303 to return_to, and comes back to the flow's UI after a wrong password",
			Profile: ProfileCore, Requirements: []string{"submitLoginFlow", "REQ-BROWSER-001"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.Browser()
				allowed := t.target.BaseURL + "/after-form"
				f := a.MustCreateFlow("login", url.Values{"return_to": {allowed}})
				wrong := formPost(a, f, url.Values{"method": {"password"}, "identifier": {acc.Email}, "password": {acc.Password + "x"}})
				if t.ExpectStatus(wrong, 303, "a wrong password, posted by a form") {
					loc, err := url.Parse(wrong.Header.Get("Location"))
					t.checkAt(wrong.Seq, err == nil && loc.Query().Get("flow") == f.ID, "a wrong password should send the browser to the flow's UI (?flow=%s), not to %q", f.ID, wrong.Header.Get("Location"))
				}
				right := formPost(a, f, url.Values{"method": {"password"}, "identifier": {acc.Email}, "password": {acc.Password}})
				if t.ExpectStatus(right, 303, "the right password, posted by a form") {
					t.checkAt(right.Seq, right.Header.Get("Location") == allowed, "a sign-in should send the browser to return_to %q, not %q", allowed, right.Header.Get("Location"))
				}
				t.Check(a.Cookie("avnl_session") != "", "a form sign-in must set the avnl_session cookie")
				t.ExpectStatus(a.Get("/v1/sessions/whoami", nil), 200, "whoami with the cookie of a form sign-in")
			}},
	)
}
