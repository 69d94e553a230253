package ui

import (
	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/flow"
)

// Renderer turns flows into their wire form.
type Renderer struct {
	// BaseURL is the server's public base URL; ui.action is built on it.
	BaseURL string
	// Providers are the social providers login and registration offer, in order.
	Providers []string
}

func (r Renderer) container(f flow.Flow, nodes []api.UiNode) api.UiContainer {
	return api.UiContainer{
		Action:   r.BaseURL + "/v1/flows/" + string(f.Type) + "/" + f.ID + ":submit",
		Method:   api.POST,
		Nodes:    nodes,
		Messages: texts(f.Messages),
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func text(m flow.Message) api.UiText {
	t := api.UiText{Id: m.ID, Text: m.Text, Type: api.UiTextType(m.Type)}
	if m.Context != nil {
		ctx := m.Context
		t.Context = &ctx
	}
	return t
}

func texts(ms []flow.Message) []api.UiText {
	out := make([]api.UiText, 0, len(ms))
	for _, m := range ms {
		out = append(out, text(m))
	}
	return out
}

// Login renders a login flow (REQ-LOGIN-001).
func (r Renderer) Login(f flow.Flow, second SecondFactors) api.LoginFlow {
	return api.LoginFlow{
		Id: f.ID, Type: api.Login, State: api.LoginFlowState(f.State()),
		IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, ReturnTo: optional(f.ReturnTo),
		OrganizationId: f.OrganizationID, Active: f.Active, Refresh: f.Refresh,
		RequestedAal: api.RequestedAal(f.RequestedAAL), Oauth2LoginChallenge: optional(f.LoginChallenge),
		Ui: r.container(f, loginNodes(f, second, r.BaseURL, r.Providers)),
	}
}

// Registration renders a registration flow (REQ-REG-001).
func (r Renderer) Registration(f flow.Flow) api.RegistrationFlow {
	return api.RegistrationFlow{
		Id: f.ID, Type: api.Registration, State: api.RegistrationFlowState(f.State()),
		IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, ReturnTo: optional(f.ReturnTo),
		OrganizationId: optional(f.OrganizationID), Oauth2LoginChallenge: optional(f.LoginChallenge),
		Ui: r.container(f, registrationNodes(f, r.BaseURL, r.Providers)),
	}
}

// AsFlow wraps a flow in the Flow union (for error envelopes).
func AsFlow[T api.LoginFlow | api.RegistrationFlow | api.SettingsFlow | api.RecoveryFlow | api.VerificationFlow](v T) *api.Flow {
	var out api.Flow
	var err error
	switch v := any(v).(type) {
	case api.LoginFlow:
		err = out.FromLoginFlow(v)
	case api.RegistrationFlow:
		err = out.FromRegistrationFlow(v)
	case api.SettingsFlow:
		err = out.FromSettingsFlow(v)
	case api.RecoveryFlow:
		err = out.FromRecoveryFlow(v)
	case api.VerificationFlow:
		err = out.FromVerificationFlow(v)
	}
	if err != nil {
		return nil // marshalling generated structs cannot fail
	}
	return &out
}
