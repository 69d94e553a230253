package ui

import (
	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/passkey"
)

// WebAuthn labels (provisional ids).
var (
	LabelPasskeyLogin    = flow.Message{ID: "1010008", Text: "Sign in with a passkey", Type: "info"}
	LabelPasskeySignUp   = flow.Message{ID: "1040007", Text: "Sign up with a passkey", Type: "info"}
	LabelPasskeyAdd      = flow.Message{ID: "1050012", Text: "Add a passkey", Type: "info"}
	LabelPasskeyName     = flow.Message{ID: "1050013", Text: "Name of the passkey", Type: "info"}
	LabelUseSecurityKey  = flow.Message{ID: "1010011", Text: "Use a security key", Type: "info"}
	ErrPasskeyNotAllowed = flow.Message{ID: "4000038", Text: "The passkey could not be verified.", Type: "error"}
)

func scriptSrc(baseURL string) string { return baseURL + passkey.ScriptPath }

// webauthnLogin are the nodes of a pending assertion (a passkey login, or a security key as a
// second factor).
func webauthnLogin(f flow.Flow, baseURL string, label flow.Message) []element {
	if f.WebAuthnOptions == "" {
		return nil
	}
	return []element{
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_login_options", typ: api.UiNodeInputAttributesTypeHidden, value: f.WebAuthnOptions},
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_login", typ: api.UiNodeInputAttributesTypeHidden, value: ""},
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_login_trigger", typ: api.UiNodeInputAttributesTypeButton, value: "",
			onclick: api.AvnlWebAuthnLogin, label: &label},
		script{group: api.UiNodeGroupWebauthn, id: "webauthn_script", src: scriptSrc(baseURL)},
	}
}

// webauthnRegister are the nodes of a pending registration ceremony.
func webauthnRegister(f flow.Flow, baseURL string, label flow.Message) []element {
	if f.WebAuthnOptions == "" {
		return nil
	}
	return []element{
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_register_options", typ: api.UiNodeInputAttributesTypeHidden, value: f.WebAuthnOptions},
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_register", typ: api.UiNodeInputAttributesTypeHidden, value: ""},
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_register_displayname", typ: api.UiNodeInputAttributesTypeText, maxlength: 64, label: &LabelPasskeyName},
		input{group: api.UiNodeGroupWebauthn, name: "webauthn_register_trigger", typ: api.UiNodeInputAttributesTypeButton, value: "",
			onclick: api.AvnlWebAuthnRegistration, label: &label},
		script{group: api.UiNodeGroupWebauthn, id: "webauthn_script", src: scriptSrc(baseURL)},
	}
}

// webauthnRemove are the remove buttons of an identity's credentials.
func webauthnRemove(i identity.Identity) []element {
	var out []element
	for _, c := range i.WebAuthn {
		label := flow.Message{ID: "1050018", Text: "Remove passkey \"" + c.DisplayName + "\"", Type: "info", Context: map[string]any{"display_name": c.DisplayName}}
		out = append(out, input{group: api.UiNodeGroupWebauthn, name: "webauthn_remove", typ: api.UiNodeInputAttributesTypeSubmit,
			value: passkey.WireID(c.ID), label: &label})
	}
	return out
}
