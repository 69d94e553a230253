package conformance

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// settingsFor signs a new account in and opens a settings flow for it.
func (t *T) settingsFor() (*Account, *Agent, *Flow) {
	acc := t.Register(t.API())
	a := t.WithToken(acc.Token)
	return acc, a, a.MustCreateFlow("settings", nil)
}

// expectSaved checks a successful settings submit (REQ-SET-003) and returns the flow.
func (t *T) expectSaved(r *Response, why string) *Flow {
	if !t.ExpectStatus(r, 200, why) {
		return nil
	}
	cf := flowOf(r.Get("continue_flow"))
	if !t.checkAt(r.Seq, cf != nil && cf.Type == "settings", "%s: want continue_flow with the settings flow", why) {
		return nil
	}
	t.checkAt(r.Seq, cf.State == "success", "%s: the settings flow is in %q, want success (REQ-SET-003)", why, cf.State)
	t.checkAt(r.Seq, slices.Contains(cf.Messages(), "1050001"), "%s: want message 1050001, have %v (REQ-SET-003)", why, cf.Messages())
	return cf
}

func init() {
	register(
		Case{ID: "settings.create.requires-session", Title: "Creating a settings flow without a valid session answers 401 _005",
			Profile: ProfileCore, Requirements: []string{"createSettingsFlow", "REQ-SET-001"},
			Run: func(t *T) {
				t.ExpectError(t.API().Get("/v1/flows/settings", nil), 401, "AVNOLOGY_AUTH_005", "no session")
				t.ExpectError(t.WithToken("avnl_ses_"+randomHex(16)).Get("/v1/flows/settings", nil), 401, "AVNOLOGY_AUTH_005", "an unknown token")
			}},
		Case{ID: "settings.create.fresh", Title: "A new settings flow is in show_form for the caller, lives 60 minutes and offers profile and password",
			Profile: ProfileCore, Requirements: []string{"createSettingsFlow", "getSettingsFlow", "REQ-FLOW-001", "REQ-FLOW-002", "REQ-FLOW-008"},
			Run: func(t *T) {
				acc := t.Register(t.API())
				a := t.WithToken(acc.Token)
				f, r := a.CreateFlow("settings", nil)
				t.RequireStatus(r, 200, "creating a settings flow")
				t.checkFreshFlow(r, f, "settings", "show_form", 60*time.Minute)
				t.checkAt(r.Seq, r.Str("identity_id") == acc.IdentityID, "the flow belongs to %q, want %q", r.Str("identity_id"), acc.IdentityID)
				t.checkAt(r.Seq, slices.Contains(f.Groups(), "profile") && slices.Contains(f.Groups(), "password"), "a settings flow must offer the profile and password groups, has %v", f.Groups())
				t.ExpectStatus(a.GetFlow("settings", f.ID), 200, "getting one's own settings flow")
			}},
		Case{ID: "settings.foreign-flow", Title: "Another identity's settings flow is invisible: 404 _901 to get and to submit",
			Profile: ProfileSecurity, Requirements: []string{"getSettingsFlow", "submitSettingsFlow", "REQ-SET-002"},
			Run: func(t *T) {
				_, _, f := t.settingsFor()
				other := t.WithToken(t.Register(t.API()).Token)
				t.ExpectError(other.GetFlow("settings", f.ID), 404, "AVNOLOGY_AUTH_901", "getting another identity's settings flow")
				r := other.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": uniqueEmail("hijack")}})
				t.ExpectError(r, 404, "AVNOLOGY_AUTH_901", "submitting another identity's settings flow")
			}},
		Case{ID: "settings.profile.update", Title: "profile updates the traits; the flow reports success and stays submittable",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "getSession", "REQ-SET-003", "REQ-SET-004"},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				r := a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": acc.Email, "name": map[string]any{"first": "Grace", "last": "Hopper"}}})
				if t.expectSaved(r, "saving the profile") == nil {
					return
				}
				who := a.Get("/v1/sessions/whoami", nil)
				t.checkAt(who.Seq, who.Str("identity.traits.name.first") == "Grace", "whoami shows first name %q after the update, want Grace", who.Str("identity.traits.name.first"))
				again := a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": acc.Email, "name": map[string]any{"first": "Ada"}}})
				t.expectSaved(again, "saving the same flow a second time")
			}},
		Case{ID: "settings.profile.email-change", Title: "Changing the email makes it unverified",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "REQ-SET-004"},
			Run: func(t *T) {
				acc := t.VerifiedAccount()
				a := t.WithToken(acc.Token)
				f := a.MustCreateFlow("settings", nil)
				email := uniqueEmail("moved")
				t.expectSaved(a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": email}}), "changing the email")
				who := a.Get("/v1/sessions/whoami", nil)
				t.checkAt(who.Seq, who.Str("identity.email") == email, "whoami shows %q, want the new email", who.Str("identity.email"))
				t.checkAt(who.Seq, who.Get("identity.email_verified") == false, "a changed email must be unverified (REQ-SET-004)")
			}},
		Case{ID: "settings.password.update", Title: "password changes the password: the new one signs in, the old one no longer does",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "submitLoginFlow", "REQ-SET-005"},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				old := acc.Password
				acc.Password = newPassword()
				if t.expectSaved(a.Submit(f, "password", map[string]any{"password": acc.Password}), "changing the password") == nil {
					return
				}
				_, r := t.PasswordLogin(t.API(), acc, nil)
				t.ExpectStatus(r, 200, "signing in with the new password")
				_, r = t.PasswordLogin(t.API(), &Account{Email: acc.Email, Password: old}, nil)
				t.ExpectError(r, 401, "AVNOLOGY_AUTH_001", "signing in with the old password")
			}},
		Case{ID: "settings.password.policy", Title: "A weak new password answers 400 _011",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "REQ-SET-005", "REQ-REG-004"},
			Run: func(t *T) {
				_, a, f := t.settingsFor()
				r := a.Submit(f, "password", map[string]any{"password": "short1!"})
				if t.ExpectError(r, 400, "AVNOLOGY_AUTH_011", "a 7-character password") {
					t.checkAt(r.Seq, r.Str("error.details.reason") != "", "a _011 must carry details.reason (REQ-ERR-004)")
				}
			}},
		Case{ID: "settings.flow.expired", Title: "After 60 minutes a settings flow answers 400 _009",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "getSettingsFlow", "REQ-FLOW-003"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				t.Advance(61 * time.Minute)
				t.ExpectError(a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": acc.Email}}), 400, "AVNOLOGY_AUTH_009", "submitting an expired settings flow")
				t.ExpectError(a.GetFlow("settings", f.ID), 400, "AVNOLOGY_AUTH_009", "getting an expired settings flow")
			}},
		Case{ID: "settings.privileged.stale", Title: "A privileged change more than 15 minutes after sign-in answers 403 _102 asking for refresh",
			Profile: ProfileCore, Requirements: []string{"submitSettingsFlow", "REQ-STEPUP-002", "REQ-ERR-004"}, Needs: []Capability{NeedClock},
			Run: func(t *T) {
				a := t.WithToken(t.Register(t.API()).Token)
				t.Advance(16 * time.Minute)
				f := a.MustCreateFlow("settings", nil)
				r := a.Submit(f, "password", map[string]any{"password": newPassword()})
				if t.ExpectError(r, 403, "AVNOLOGY_AUTH_102", "a password change 16 minutes after sign-in") {
					u, err := url.Parse(r.Str("error.details.login_url"))
					t.checkAt(r.Seq, err == nil && u.Query().Get("refresh") == "true", "details.login_url %q must carry refresh=true (REQ-STEPUP-002)", r.Str("error.details.login_url"))
				}
			}},
		Case{ID: "settings.csrf.wrong", Title: "A settings submit with another token answers 403 _015",
			Profile: ProfileSecurity, Requirements: []string{"submitSettingsFlow", "REQ-CSRF-002"},
			Run: func(t *T) {
				acc, a, f := t.settingsFor()
				r := a.Submit(f, "profile", map[string]any{"traits": map[string]any{"email": acc.Email}, "csrf_token": "forged-" + randomHex(8)})
				t.ExpectError(r, 403, "AVNOLOGY_AUTH_015", "a forged settings submit")
			}},
	)
}

// textNode returns the text of the flow's text node with the given id.
func (f *Flow) textNode(id string) string {
	for _, n := range f.Nodes() {
		attr, _ := n["attributes"].(map[string]any)
		if attr != nil && attr["node_type"] == "text" && attr["id"] == id {
			s, _ := lookup(attr, "text.text").(string)
			return s
		}
	}
	return ""
}

// imgNode returns the src of the flow's img node with the given id.
func (f *Flow) imgNode(id string) string {
	for _, n := range f.Nodes() {
		attr, _ := n["attributes"].(map[string]any)
		if attr != nil && attr["node_type"] == "img" && attr["id"] == id {
			s, _ := attr["src"].(string)
			return s
		}
	}
	return ""
}

// lookupCodes returns the 8-character codes a lookup_secret reveal shows.
func (f *Flow) lookupCodes() []string {
	var out []string
	for _, n := range f.Nodes() {
		if n["group"] != "lookup_secret" {
			continue
		}
		attr, _ := n["attributes"].(map[string]any)
		text, _ := lookup(attr, "text.text").(string)
		for _, field := range strings.FieldsFunc(text, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z') }) {
			if len(field) == 8 {
				out = append(out, field)
			}
		}
	}
	return out
}
