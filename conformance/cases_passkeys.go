package conformance

func init() {
	register(
		Case{ID: "passkeys.login.offered", Title: "A login flow offers passkeys: a webauthn group with its trigger and script",
			Profile: ProfilePasskeys, Requirements: []string{"createLoginFlow", "REQ-LOGIN-011"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				f := t.Browser().MustCreateFlow("login", nil)
				t.Check(contains(f.Groups(), "webauthn"), "a login flow of a target with a relying party must offer the webauthn group, has %v", f.Groups())
				script, trigger := false, false
				for _, n := range f.Nodes() {
					attr, _ := n["attributes"].(map[string]any)
					if n["group"] != "webauthn" || attr == nil {
						continue
					}
					script = script || attr["node_type"] == "script"
					trigger = trigger || attr["onclick_trigger"] == "avnlWebAuthnLogin" || attr["onload_trigger"] == "avnlWebAuthnAutofill"
				}
				t.Check(script, "the webauthn group has no script node")
				t.Check(trigger, "the webauthn group has no avnlWebAuthnLogin or avnlWebAuthnAutofill trigger")
			}},
		Case{ID: "passkeys.registration.offered", Title: "A registration flow offers passkey registration",
			Profile: ProfilePasskeys, Requirements: []string{"createRegistrationFlow", "REQ-SET-008"}, Needs: []Capability{NeedWebAuthn},
			Run: func(t *T) {
				f := t.Browser().MustCreateFlow("registration", nil)
				t.Check(contains(f.Groups(), "webauthn"), "a registration flow of a target with a relying party must offer the webauthn group, has %v", f.Groups())
				t.Check(f.HasInput("webauthn_register"), "the registration flow has no webauthn_register input")
			}},
	)
}
