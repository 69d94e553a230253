package ui

import (
	"slices"
	"strings"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
)

// Settings messages (Kratos ids where the facts sheet follows Kratos; provisional).
var (
	InfoSaved          = flow.Message{ID: "1050001", Text: "Your changes have been saved!", Type: "success"}
	LabelSave          = flow.Message{ID: "1050003", Text: "Save", Type: "info"}
	LabelUnlinkTOTP    = flow.Message{ID: "1050004", Text: "Unlink TOTP Authenticator App", Type: "info"}
	LabelTOTPQR        = flow.Message{ID: "1050005", Text: "Authenticator app QR code", Type: "info"}
	LabelTOTPSecret    = flow.Message{ID: "1050017", Text: "This is your authenticator app secret. Use it if you can not scan the QR code.", Type: "info"}
	LabelVerifyCode    = flow.Message{ID: "1070006", Text: "Verify code", Type: "info"}
	LabelRevealLookup  = flow.Message{ID: "1050007", Text: "Reveal backup recovery codes", Type: "info"}
	LabelRegenLookup   = flow.Message{ID: "1050008", Text: "Generate new backup recovery codes", Type: "info"}
	LabelLookupList    = flow.Message{ID: "1050010", Text: "These are your back up recovery codes. Please keep them in a safe place!", Type: "info"}
	LabelConfirmLookup = flow.Message{ID: "1050011", Text: "Confirm backup recovery codes", Type: "info"}
	LabelDisableLookup = flow.Message{ID: "1050016", Text: "Disable this method", Type: "info"}
	ErrTOTPEnrolled    = flow.Message{ID: "4000043", Text: "An authenticator app is already set up.", Type: "error"}
)

// TOTPSecretText is the text node that shows a TOTP secret.
func TOTPSecretText(secret string) flow.Message {
	return flow.Message{ID: "1050006", Text: secret, Type: "info", Context: map[string]any{"secret": secret}}
}

// LookupCodesText is the text node that shows lookup codes, and only them.
func LookupCodesText(codes []string) flow.Message {
	list := make([]any, len(codes))
	for i, c := range codes {
		list[i] = c
	}
	return flow.Message{ID: "1050015", Text: strings.Join(codes, ", "), Type: "info", Context: map[string]any{"secrets": list}}
}

// SettingsView is what a settings flow shows beyond its own state: the identity's current
// traits and credentials, and the pending TOTP enrolment's QR code.
type SettingsView struct {
	Identity identity.Identity
	TOTPQR   string // data URI of the pending secret's QR code
}

func settingsNodes(f flow.Flow, v SettingsView, baseURL string, providers []string) []api.UiNode {
	ident := v.Identity
	email, first, last := TraitLabel("E-Mail"), TraitLabel("First name"), TraitLabel("Last name")
	els := []element{
		csrf(f),
		input{group: api.UiNodeGroupProfile, name: "traits.email", typ: api.UiNodeInputAttributesTypeEmail, value: ident.Traits.Email, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteEmail, maxlength: 320, label: &email},
		input{group: api.UiNodeGroupProfile, name: "traits.name.first", typ: api.UiNodeInputAttributesTypeText, value: ident.Traits.Name.First, maxlength: 128, label: &first},
		input{group: api.UiNodeGroupProfile, name: "traits.name.last", typ: api.UiNodeInputAttributesTypeText, value: ident.Traits.Name.Last, maxlength: 128, label: &last},
		submit(api.UiNodeGroupProfile, "profile", LabelSave),
		input{group: api.UiNodeGroupPassword, name: "password", typ: api.UiNodeInputAttributesTypePassword, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteNewPassword, label: &LabelPassword},
		submit(api.UiNodeGroupPassword, "password", LabelSave),
	}
	if ident.TOTPSecret != "" {
		els = append(els, input{group: api.UiNodeGroupTotp, name: "totp_unlink", typ: api.UiNodeInputAttributesTypeSubmit, value: true, label: &LabelUnlinkTOTP})
	} else if f.PendingTOTP != "" {
		els = append(els,
			img{group: api.UiNodeGroupTotp, id: "totp_qr", src: v.TOTPQR, width: 256, height: 256, label: LabelTOTPQR},
			textNode{group: api.UiNodeGroupTotp, id: "totp_secret_key", text: TOTPSecretText(f.PendingTOTP), label: &LabelTOTPSecret},
			input{group: api.UiNodeGroupTotp, name: "totp_code", typ: api.UiNodeInputAttributesTypeText, required: true,
				autocomplete: api.UiNodeInputAttributesAutocompleteOneTimeCode, pattern: "^[0-9]{6}$", maxlength: 6, label: &LabelVerifyCode},
			submit(api.UiNodeGroupTotp, "totp", LabelSave))
	}
	switch {
	case len(f.ShownLookup) > 0:
		els = append(els, textNode{group: api.UiNodeGroupLookupSecret, id: "lookup_secret_codes", text: LookupCodesText(f.ShownLookup), label: &LabelLookupList})
		if len(f.PendingLookup) > 0 {
			els = append(els, lookupButton("lookup_secret_confirm", LabelConfirmLookup))
		}
	case len(f.PendingLookup) > 0:
		els = append(els, lookupButton("lookup_secret_confirm", LabelConfirmLookup), lookupButton("lookup_secret_regenerate", LabelRegenLookup))
	case len(ident.LookupSecrets) > 0:
		els = append(els, lookupButton("lookup_secret_reveal", LabelRevealLookup), lookupButton("lookup_secret_regenerate", LabelRegenLookup),
			lookupButton("lookup_secret_disable", LabelDisableLookup))
	default:
		els = append(els, lookupButton("lookup_secret_regenerate", LabelRegenLookup))
	}
	els = append(els, webauthnRemove(ident)...)
	els = append(els, webauthnRegister(f, baseURL, LabelPasskeyAdd)...)
	return render(f, append(els, socialLinks(ident, providers)...))
}

// socialLinks are the settings' social section: per provider, unlink when the identity has an
// account there, link otherwise (D11).
func socialLinks(ident identity.Identity, providers []string) []element {
	out := make([]element, 0, len(providers))
	for _, p := range providers {
		name, label := "link", LabelLink(p)
		if slices.ContainsFunc(ident.Social, func(l identity.SocialLink) bool { return l.Provider == p }) {
			name, label = "unlink", LabelUnlink(p)
		}
		out = append(out, input{group: api.UiNodeGroupOidc, name: name, typ: api.UiNodeInputAttributesTypeSubmit, value: p, label: &label})
	}
	return out
}

// LabelLink and LabelUnlink label a provider's button in settings (1050002, 1050019;
// provisional).
func LabelLink(provider string) flow.Message {
	return flow.Message{ID: "1050002", Text: "Link " + ProviderTitle(provider), Type: "info", Context: map[string]any{"provider": provider}}
}

// LabelUnlink: see LabelLink.
func LabelUnlink(provider string) flow.Message {
	return flow.Message{ID: "1050019", Text: "Unlink " + ProviderTitle(provider), Type: "info", Context: map[string]any{"provider": provider}}
}

func lookupButton(name string, label flow.Message) input {
	return input{group: api.UiNodeGroupLookupSecret, name: name, typ: api.UiNodeInputAttributesTypeSubmit, value: true, label: &label}
}

// Settings renders a settings flow (REQ-SET-003, REQ-SET-006, REQ-SET-007).
func (r Renderer) Settings(f flow.Flow, v SettingsView) api.SettingsFlow {
	return api.SettingsFlow{
		Id: f.ID, Type: api.Settings, State: api.SettingsFlowState(f.State()),
		IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, ReturnTo: optional(f.ReturnTo), IdentityId: f.IdentityID,
		Ui: r.container(f, settingsNodes(f, v, r.BaseURL, r.Providers)),
	}
}
