package ui

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/passkey"
)

// SecondFactors says which second-factor groups a login flow's aal2 step offers.
type SecondFactors struct {
	TOTP, LookupSecret, WebAuthn bool
}

// input describes one input node.
type input struct {
	group        api.UiNodeGroup
	name         string
	typ          api.UiNodeInputAttributesType
	value        any
	required     bool
	autocomplete api.UiNodeInputAttributesAutocomplete
	pattern      string
	maxlength    int
	label        *flow.Message
	onclick      api.UiNodeInputAttributesOnclickTrigger
}

// staticInputs caches the rendered form of inputs that look the same in every flow (a
// password field, a submit button): rendering a node means a JSON encoding, and most of a
// flow's nodes never change. Keys come from the code's own node definitions, so the cache
// stays small.
var staticInputs sync.Map // staticKey → api.UiNode

type staticKey struct {
	group, name, typ, value, autocomplete, pattern, onclick string
	required                                                bool
	maxlength                                               int
	labelID, labelText, labelContext                        string
}

func (in input) node(f flow.Flow) api.UiNode {
	key, static := in.staticKey(f)
	if static {
		if n, ok := staticInputs.Load(key); ok {
			return n.(api.UiNode)
		}
	}
	n := in.render(f)
	if static {
		staticInputs.Store(key, n)
	}
	return n
}

// staticKey identifies an input whose node does not depend on the flow: no value typed into
// it, no message on it, no hidden per-flow value (a CSRF token, a WebAuthn challenge), and a
// label without context.
func (in input) staticKey(f flow.Flow) (staticKey, bool) {
	value, isString := in.value.(string)
	if in.value != nil && !isString || in.typ == api.UiNodeInputAttributesTypeHidden && value != "" {
		return staticKey{}, false
	}
	if _, typed := f.Values[in.name]; typed || len(f.FieldMessages[in.name]) > 0 {
		return staticKey{}, false
	}
	k := staticKey{group: string(in.group), name: in.name, typ: string(in.typ), value: value, autocomplete: string(in.autocomplete),
		pattern: in.pattern, onclick: string(in.onclick), required: in.required, maxlength: in.maxlength}
	if in.value == nil {
		k.value = "\x00nil" // no value differs from an empty one
	}
	if in.label != nil {
		ctx, ok := contextKey(in.label.Context)
		if !ok {
			return staticKey{}, false
		}
		k.labelID, k.labelText, k.labelContext = in.label.ID, in.label.Text, ctx
	}
	return k, true
}

// contextKey is a label context of strings only (a provider's name), as part of a cache key.
func contextKey(ctx map[string]any) (string, bool) {
	if len(ctx) == 0 {
		return "", true
	}
	parts := make([]string, 0, len(ctx))
	for k, v := range ctx {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		parts = append(parts, k+"\x00"+s)
	}
	slices.Sort(parts)
	return strings.Join(parts, "\x01"), true
}

func (in input) render(f flow.Flow) api.UiNode {
	attrs := api.UiNodeInputAttributes{
		NodeType: api.UiNodeInputAttributesNodeTypeInput,
		Name:     in.name,
		Type:     in.typ,
		Value:    in.value,
		Disabled: false,
	}
	if v, ok := f.Values[in.name]; ok && in.value == nil {
		attrs.Value = v
	}
	if in.typ != api.UiNodeInputAttributesTypeSubmit {
		req := in.required
		attrs.Required = &req
	}
	if in.autocomplete != "" {
		ac := in.autocomplete
		attrs.Autocomplete = &ac
	}
	if in.pattern != "" {
		attrs.Pattern = &in.pattern
	}
	if in.maxlength > 0 {
		attrs.Maxlength = &in.maxlength
	}
	if in.onclick != "" {
		attrs.OnclickTrigger = &in.onclick
	}
	node := api.UiNodeInput{
		Type: api.UiNodeInputTypeInput, Group: in.group, Attributes: attrs,
		Messages: texts(f.FieldMessages[in.name]),
	}
	if in.label != nil {
		l := text(*in.label)
		node.Meta.Label = &l
	}
	return union(node)
}

func csrf(f flow.Flow) input {
	return input{group: api.UiNodeGroupDefault, name: "csrf_token", typ: api.UiNodeInputAttributesTypeHidden, value: f.CSRFToken, required: true}
}

func submit(group api.UiNodeGroup, method string, label flow.Message) input {
	return input{group: group, name: "method", typ: api.UiNodeInputAttributesTypeSubmit, value: method, label: &label}
}

// element is anything that renders as one UI node.
type element interface {
	node(f flow.Flow) api.UiNode
}

func render[E element](f flow.Flow, elements []E) []api.UiNode {
	nodes := make([]api.UiNode, 0, len(elements))
	for _, e := range elements {
		nodes = append(nodes, e.node(f))
	}
	return nodes
}

// img is an image node, e.g. the TOTP QR code.
type img struct {
	group         api.UiNodeGroup
	id, src       string
	width, height int
	label         flow.Message
}

func (i img) node(flow.Flow) api.UiNode {
	l := text(i.label)
	return union(api.UiNodeImg{
		Type: api.UiNodeImgTypeImg, Group: i.group, Messages: []api.UiText{}, Meta: api.UiNodeMeta{Label: &l},
		Attributes: api.UiNodeImgAttributes{NodeType: api.UiNodeImgAttributesNodeTypeImg, Id: i.id, Src: i.src, Width: i.width, Height: i.height},
	})
}

// textNode is a text node, e.g. the TOTP secret or the lookup codes.
type textNode struct {
	group api.UiNodeGroup
	id    string
	text  flow.Message
	label *flow.Message
}

func (t textNode) node(flow.Flow) api.UiNode {
	n := api.UiNodeText{
		Type: api.UiNodeTextTypeText, Group: t.group, Messages: []api.UiText{},
		Attributes: api.UiNodeTextAttributes{NodeType: api.UiNodeTextAttributesNodeTypeText, Id: t.id, Text: text(t.text)},
	}
	if t.label != nil {
		l := text(*t.label)
		n.Meta.Label = &l
	}
	return union(n)
}

// socialButtons are the oidc group's buttons, one per provider (label is 1010002 "Sign in
// with …" or 1040002 "Sign up with …").
func socialButtons(providers []string, label func(provider string) flow.Message) []element {
	out := make([]element, 0, len(providers))
	for _, p := range providers {
		l := label(p)
		out = append(out, input{group: api.UiNodeGroupOidc, name: "provider", typ: api.UiNodeInputAttributesTypeSubmit, value: p, label: &l})
	}
	return out
}

func loginNodes(f flow.Flow, second SecondFactors, baseURL string, providers []string) []api.UiNode {
	inputs := []element{csrf(f)}
	if f.RequestedAAL == "aal2" && f.IdentityID != "" {
		if second.TOTP {
			inputs = append(inputs,
				input{group: api.UiNodeGroupTotp, name: "totp_code", typ: api.UiNodeInputAttributesTypeText, required: true,
					autocomplete: api.UiNodeInputAttributesAutocompleteOneTimeCode, pattern: "^[0-9]{6}$", maxlength: 6, label: &LabelTOTPCode},
				submit(api.UiNodeGroupTotp, "totp", LabelUseTOTP))
		}
		if second.LookupSecret {
			inputs = append(inputs,
				input{group: api.UiNodeGroupLookupSecret, name: "lookup_secret", typ: api.UiNodeInputAttributesTypeText, required: true,
					autocomplete: api.UiNodeInputAttributesAutocompleteOneTimeCode, pattern: "^[0-9a-z]{8}$", maxlength: 8, label: &LabelLookup},
				submit(api.UiNodeGroupLookupSecret, "lookup_secret", LabelUseLookup))
		}
		if second.WebAuthn {
			inputs = append(inputs, webauthnLogin(f, baseURL, LabelUseSecurityKey)...)
		}
		return render(f, inputs)
	}
	if f.State() == flow.SentEmail {
		// Resend with what the user typed: the address a username maps to is not shown.
		return render(f, append(inputs, codeStep(f.Values["identifier"], "identifier")...))
	}
	inputs = append(inputs,
		input{group: api.UiNodeGroupDefault, name: "identifier", typ: api.UiNodeInputAttributesTypeText, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteUsername, maxlength: 320, label: &LabelIdentifier},
		input{group: api.UiNodeGroupPassword, name: "password", typ: api.UiNodeInputAttributesTypePassword, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteCurrentPassword, label: &LabelPassword},
		submit(api.UiNodeGroupPassword, "password", LabelSignIn),
		submit(api.UiNodeGroupCode, "code", LabelSendCode),
	)
	inputs = append(inputs, socialButtons(providers, LabelSignInWith)...)
	inputs = append(inputs, webauthnLogin(f, baseURL, LabelPasskeyLogin)...)
	return render(f, inputs)
}

// codeStep are the nodes that ask for an emailed code, with a button sending it again to
// address through the step-1 field resend.
func codeStep(address, resend string) []element {
	els := []element{
		input{group: api.UiNodeGroupCode, name: "code", typ: api.UiNodeInputAttributesTypeText, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteOneTimeCode, pattern: "^[0-9]{6}$", maxlength: 6, label: &LabelCode},
		submit(api.UiNodeGroupCode, "code", LabelSubmit),
	}
	if resend != "" {
		els = append(els, input{group: api.UiNodeGroupCode, name: resend, typ: api.UiNodeInputAttributesTypeSubmit, value: address, label: &LabelResend})
	}
	return els
}

func registrationNodes(f flow.Flow, baseURL string, providers []string) []api.UiNode {
	if f.State() == flow.SentEmail {
		return render(f, append([]element{csrf(f)}, codeStep(f.CodeAddress, "")...))
	}
	email, first, last := TraitLabel("E-Mail"), TraitLabel("First name"), TraitLabel("Last name")
	els := []element{
		csrf(f),
		input{group: api.UiNodeGroupDefault, name: "traits.email", typ: api.UiNodeInputAttributesTypeEmail, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteEmail, maxlength: 320, label: &email},
		input{group: api.UiNodeGroupDefault, name: "traits.name.first", typ: api.UiNodeInputAttributesTypeText, maxlength: 128, label: &first},
		input{group: api.UiNodeGroupDefault, name: "traits.name.last", typ: api.UiNodeInputAttributesTypeText, maxlength: 128, label: &last},
		input{group: api.UiNodeGroupPassword, name: "password", typ: api.UiNodeInputAttributesTypePassword, required: true,
			autocomplete: api.UiNodeInputAttributesAutocompleteNewPassword, label: &LabelPassword},
		submit(api.UiNodeGroupPassword, "password", LabelSignUp),
		submit(api.UiNodeGroupCode, "code", LabelSignUpWithCode),
	}
	els = append(els, socialButtons(providers, LabelSignUpWith)...)
	return render(f, append(els, webauthnRegister(f, baseURL, LabelPasskeySignUp)...))
}

// script is a script node, e.g. the WebAuthn glue.
type script struct {
	group api.UiNodeGroup
	id    string
	src   string
}

func (sc script) node(flow.Flow) api.UiNode {
	return union(api.UiNodeScript{
		Type: api.UiNodeScriptTypeScript, Group: sc.group, Messages: []api.UiText{},
		Attributes: api.UiNodeScriptAttributes{NodeType: api.UiNodeScriptAttributesNodeTypeScript, Id: sc.id, Src: sc.src,
			Async: true, Crossorigin: "anonymous", Integrity: passkey.ScriptIntegrity(), Referrerpolicy: "no-referrer", Type: "text/javascript"},
	})
}

// union wraps one node variant in the UiNode union. The generated From* methods merge the
// variant into the union's existing JSON, decoding and re-encoding it; a new node has none, so
// the variant's own encoding is the union's. (This was most of the cost of rendering a flow.)
func union[V api.UiNodeInput | api.UiNodeImg | api.UiNodeText | api.UiNodeScript](v V) api.UiNode {
	var out api.UiNode
	b, err := json.Marshal(v)
	if err == nil {
		err = out.UnmarshalJSON(b)
	}
	if err != nil {
		panic("ui: a generated node does not marshal: " + err.Error()) // cannot happen: plain structs
	}
	return out
}
