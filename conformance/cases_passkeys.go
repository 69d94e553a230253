package conformance

import (
	"encoding/json"
	"strings"
)

// inputValue returns the value of the flow's input named name ("" when absent).
func (f *Flow) inputValue(name string) string {
	for _, n := range f.Nodes() {
		if attr, _ := n["attributes"].(map[string]any); attr != nil && attr["name"] == name {
			s, _ := attr["value"].(string)
			return s
		}
	}
	return ""
}

// removeValues are the values of the flow's webauthn_remove buttons.
func (f *Flow) removeValues() []string {
	var out []string
	for _, n := range f.Nodes() {
		if attr, _ := n["attributes"].(map[string]any); attr != nil && attr["name"] == "webauthn_remove" {
			if s, ok := attr["value"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// authenticator is a new software authenticator for the target's declared relying party.
func (t *T) authenticator() *Authenticator {
	t.Need(NeedWebAuthn)
	return &Authenticator{RPID: t.target.WebAuthn.ID, Origin: t.target.WebAuthn.Origin}
}

// options reads a flow's ceremony options, ending the case when they are missing.
func (t *T) options(f *Flow, name string) string {
	opts := f.inputValue(name)
	if opts == "" || !json.Valid([]byte(opts)) {
		t.Fatalf("the %s flow has no JSON %s input (D9)", f.Type, name)
	}
	return opts
}

// addPasskey registers a passkey through a settings flow of the signed-in account.
func (t *T) addPasskey(a *Agent, key *Authenticator, name string) *Flow {
	f := a.MustCreateFlow("settings", nil)
	cred, err := key.Create(t.options(f, "webauthn_register_options"))
	if err != nil {
		t.Fatalf("the settings flow's registration options: %v", err)
	}
	saved := t.expectSaved(a.Submit(f, "webauthn", map[string]any{"webauthn_register": cred.JSON, "webauthn_register_displayname": name}), "adding a passkey")
	if saved == nil {
		t.Fatalf("the passkey was not added")
	}
	t.Check(contains(saved.removeValues(), "cred_"+cred.ID), "the settings flow must offer to remove the new passkey as webauthn_remove=cred_%s, offers %v", cred.ID, saved.removeValues())
	return saved
}

// passkeyLogin signs in with the authenticator on a fresh login flow, without an identifier.
func (t *T) passkeyLogin(a *Agent, key *Authenticator) *Response {
	f := a.MustCreateFlow("login", nil)
	cred, err := key.Get(t.options(f, "webauthn_login_options"))
	if err != nil {
		t.Fatalf("the login flow's assertion options: %v", err)
	}
	return a.Submit(f, "webauthn", map[string]any{"webauthn_login": cred.JSON})
}

// passkeyAccount registers a passwordless account with a passkey.
func (t *T) passkeyAccount(a *Agent, key *Authenticator) (*Account, *Response) {
	f := a.MustCreateFlow("registration", nil)
	cred, err := key.Create(t.options(f, "webauthn_register_options"))
	if err != nil {
		t.Fatalf("the registration flow's options: %v", err)
	}
	acc := &Account{Email: uniqueEmail(t.c.ID)}
	r := a.Submit(f, "webauthn", map[string]any{"traits": map[string]any{"email": acc.Email}, "webauthn_register": cred.JSON, "webauthn_register_displayname": "Laptop"})
	acc.Token, acc.SessionID, acc.IdentityID = r.Str("session.token"), r.Str("session.id"), r.Str("session.identity_id")
	return acc, r
}

func init() {
	register(
		Case{ID: "passkeys.login.offered", Title: "A login flow offers passkeys: request options for the declared relying party, a trigger and the script",
			Profile: ProfilePasskeys, Requirements: []string{"createLoginFlow", "REQ-LOGIN-011"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				f := t.Browser().MustCreateFlow("login", nil)
				var opts requestOptions
				if t.Check(json.Unmarshal([]byte(t.options(f, "webauthn_login_options")), &opts) == nil, "webauthn_login_options is not PublicKeyCredentialRequestOptions JSON") {
					t.Check(opts.PublicKey.Challenge != "", "the request options have no challenge")
					t.Check(opts.PublicKey.RPID == "" || opts.PublicKey.RPID == t.target.WebAuthn.ID, "the options name relying party %q, the target declared %q", opts.PublicKey.RPID, t.target.WebAuthn.ID)
					t.Check(len(opts.PublicKey.AllowCredentials) == 0, "a passkey login must allow any discoverable credential (no allowCredentials)")
				}
				script, trigger := false, false
				for _, n := range f.Nodes() {
					attr, _ := n["attributes"].(map[string]any)
					if n["group"] != "webauthn" || attr == nil {
						continue
					}
					script = script || attr["node_type"] == "script" && strings.HasPrefix(fmtString(attr["integrity"]), "sha")
					trigger = trigger || attr["onclick_trigger"] == "avnlWebAuthnLogin" || attr["onload_trigger"] == "avnlWebAuthnAutofill"
				}
				t.Check(script, "the webauthn group has no script node with an integrity hash")
				t.Check(trigger, "the webauthn group has no avnlWebAuthnLogin or avnlWebAuthnAutofill trigger")
			}},
		Case{ID: "passkeys.registration.offered", Title: "A registration flow offers passkey registration with creation options",
			Profile: ProfilePasskeys, Requirements: []string{"createRegistrationFlow", "REQ-SET-008"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				f := t.Browser().MustCreateFlow("registration", nil)
				t.Check(f.HasInput("webauthn_register"), "the registration flow has no webauthn_register input")
				var opts creationOptions
				if t.Check(json.Unmarshal([]byte(t.options(f, "webauthn_register_options")), &opts) == nil, "webauthn_register_options is not PublicKeyCredentialCreationOptions JSON") {
					t.Check(opts.PublicKey.Challenge != "" && opts.PublicKey.User.ID != "", "the creation options need a challenge and a user id")
				}
			}},
		Case{ID: "passkeys.settings.add-then-sign-in", Title: "A passkey added in settings signs in without an identifier, at aal2, in one step",
			Profile: ProfilePasskeys, Requirements: []string{"submitSettingsFlow", "submitLoginFlow", "REQ-SET-008", "REQ-LOGIN-011"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				acc := t.Register(t.API())
				key := t.authenticator()
				t.addPasskey(t.WithToken(acc.Token), key, "Laptop")
				r := t.passkeyLogin(t.Browser(), key)
				t.RequireStatus(r, 200, "signing in with the passkey")
				t.checkSession(r, "session", "aal2", "webauthn")
				t.checkAt(r.Seq, r.Str("session.identity_id") == acc.IdentityID, "the passkey signed in %q, want %q", r.Str("session.identity_id"), acc.IdentityID)
			}},
		Case{ID: "passkeys.registration.sign-up", Title: "Signing up with a passkey creates a passwordless account that the passkey signs in to",
			Profile: ProfilePasskeys, Requirements: []string{"submitRegistrationFlow", "submitLoginFlow", "REQ-LOGIN-011"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				key := t.authenticator()
				acc, r := t.passkeyAccount(t.API(), key)
				t.RequireStatus(r, 200, "signing up with a passkey")
				t.checkAt(r.Seq, r.Str("session.identity.email") == acc.Email, "the new account's email is %q, want %q", r.Str("session.identity.email"), acc.Email)
				login := t.passkeyLogin(t.API(), key)
				if t.ExpectStatus(login, 200, "signing in with the new passkey") {
					t.checkAt(login.Seq, login.Str("session.identity_id") == acc.IdentityID, "the passkey signed in %q, want %q", login.Str("session.identity_id"), acc.IdentityID)
				}
			}},
		Case{ID: "passkeys.login.forged", Title: "A tampered signature, or an assertion for another flow's challenge, answers 401 _001 and signs nobody in",
			Profile: ProfilePasskeys, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-003", "REQ-LOGIN-011"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				key := t.authenticator()
				_, r := t.passkeyAccount(t.API(), key)
				t.RequireStatus(r, 200, "signing up with a passkey")
				a := t.API()
				f := a.MustCreateFlow("login", nil)
				cred, err := key.Get(t.options(f, "webauthn_login_options"))
				if err != nil {
					t.Fatalf("assertion: %v", err)
				}
				var v map[string]any
				_ = json.Unmarshal([]byte(cred.JSON), &v)
				v["response"].(map[string]any)["signature"] = b64.EncodeToString([]byte("forged-signature-forged-signature"))
				forged, _ := json.Marshal(v)
				bad := a.Submit(f, "webauthn", map[string]any{"webauthn_login": string(forged)})
				t.ExpectError(bad, 401, "AVNOLOGY_AUTH_001", "a tampered signature")
				t.checkAt(bad.Seq, bad.Get("session") == nil, "a forged assertion must not sign in")

				other := a.MustCreateFlow("login", nil)
				cred, err = key.Get(t.options(other, "webauthn_login_options"))
				if err != nil {
					t.Fatalf("assertion: %v", err)
				}
				third := a.MustCreateFlow("login", nil)
				t.ExpectError(a.Submit(third, "webauthn", map[string]any{"webauthn_login": cred.JSON}), 401, "AVNOLOGY_AUTH_001", "an assertion signed for another flow's challenge")
			}},
		Case{ID: "passkeys.settings.remove", Title: "A passkey is removed at aal2 only, and then no longer signs in",
			Profile: ProfilePasskeys, Requirements: []string{"submitSettingsFlow", "submitLoginFlow", "REQ-SET-008", "REQ-SEC-003"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				acc := t.Register(t.API())
				key := t.authenticator()
				a := t.WithToken(acc.Token)
				saved := t.addPasskey(a, key, "Phone")
				ids := saved.removeValues()
				if !t.Check(len(ids) == 1, "want one passkey to remove, have %v", ids) {
					return
				}
				// Removing a second factor needs an aal2 session (REQ-SEC-003): the password's is aal1.
				t.ExpectError(a.Submit(saved, "webauthn", map[string]any{"webauthn_remove": ids[0]}), 403, "AVNOLOGY_AUTH_102", "removing the passkey with an aal1 session")
				strong := t.passkeyLogin(t.API(), key)
				if !t.ExpectStatus(strong, 200, "signing in with the passkey (aal2)") {
					return
				}
				b := t.WithToken(strong.Str("session.token"))
				f := b.MustCreateFlow("settings", nil)
				t.expectSaved(b.Submit(f, "webauthn", map[string]any{"webauthn_remove": ids[0]}), "removing the passkey at aal2")
				t.ExpectError(t.passkeyLogin(t.API(), key), 401, "AVNOLOGY_AUTH_001", "signing in with a removed passkey")
			}},
		Case{ID: "passkeys.settings.keep-last", Title: "Removing the only way into a passwordless account answers 400 _902",
			Profile: ProfilePasskeys, Requirements: []string{"submitSettingsFlow", "REQ-SET-009"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				key := t.authenticator()
				acc, r := t.passkeyAccount(t.API(), key)
				t.RequireStatus(r, 200, "signing up with a passkey")
				a := t.WithToken(acc.Token)
				f := a.MustCreateFlow("settings", nil)
				ids := f.removeValues()
				if !t.Check(len(ids) == 1, "the settings flow must offer to remove the account's passkey, offers %v", ids) {
					return
				}
				t.ExpectError(a.Submit(f, "webauthn", map[string]any{"webauthn_remove": ids[0]}), 400, "AVNOLOGY_AUTH_902", "removing the last credential")
				t.ExpectStatus(t.passkeyLogin(t.API(), key), 200, "the passkey still signs in")
			}},
		Case{ID: "mfa.login.security-key", Title: "A passkey serves as the second factor after a password: aal2 with password and webauthn",
			Profile: ProfileMFA, Requirements: []string{"submitLoginFlow", "REQ-LOGIN-009"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				acc := t.Register(t.API())
				key := t.authenticator()
				t.addPasskey(t.WithToken(acc.Token), key, "Key")
				a := t.API()
				f, _ := t.secondStep(a, acc)
				cred, err := key.Get(t.options(f, "webauthn_login_options"))
				if err != nil {
					t.Fatalf("the second step's assertion options: %v", err)
				}
				r := a.Submit(f, "webauthn", map[string]any{"webauthn_login": cred.JSON})
				t.RequireStatus(r, 200, "the security key as second factor")
				t.checkSession(r, "session", "aal2", "password", "webauthn")
			}},
	)
}

func fmtString(v any) string {
	s, _ := v.(string)
	return s
}
