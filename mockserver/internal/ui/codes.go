package ui

import (
	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/flow"
)

// Messages of the code flows; 1080002 is documented (frozen), the others follow the facts
// sheet's table or Kratos and are provisional.
var (
	LabelEmail            = flow.Message{ID: "1070007", Text: "Email", Type: "info"}
	LabelSubmit           = flow.Message{ID: "1070005", Text: "Submit", Type: "info"}
	LabelResend           = flow.Message{ID: "1070008", Text: "Resend code", Type: "info"}
	LabelRecoveryCode     = flow.Message{ID: "1070010", Text: "Recovery code", Type: "info"}
	LabelVerificationCode = flow.Message{ID: "1070011", Text: "Verification code", Type: "info"}
	InfoRecoverySent      = flow.Message{ID: "1060003", Text: "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.", Type: "info"}
	InfoVerificationSent  = flow.Message{ID: "1080003", Text: "An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.", Type: "info"}
	InfoVerified          = flow.Message{ID: "1080002", Text: "You successfully verified your email address.", Type: "success"}
	ErrRecoveryCode       = flow.Message{ID: "4060006", Text: "The recovery code is invalid or has already been used. Please try again.", Type: "error"}
	ErrVerificationCode   = flow.Message{ID: "4070006", Text: "The verification code is invalid or has already been used. Please try again.", Type: "error"}
	LabelCode             = flow.Message{ID: "1070012", Text: "Code", Type: "info"}
	LabelSendCode         = flow.Message{ID: "1010015", Text: "Send sign in code", Type: "info"}
	LabelSignUpWithCode   = flow.Message{ID: "1040006", Text: "Sign up with a code", Type: "info"}
	InfoLoginCodeSent     = flow.Message{ID: "1010014", Text: "An email containing a code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and retry the login.", Type: "info"}
	InfoSignUpCodeSent    = flow.Message{ID: "1040005", Text: "An email containing a code has been sent to the email address you provided.", Type: "info"}
	ErrCodeExpired        = flow.Message{ID: "4060005", Text: "The code has expired; ask for a new one.", Type: "error"}
)

// codeNodes are a recovery or verification flow's nodes: the email form, then the code form
// with a resend button, then nothing more once the challenge is passed.
func codeNodes(f flow.Flow, codeLabel flow.Message) []api.UiNode {
	els := []element{csrf(f)}
	switch f.State() {
	case flow.ShowForm:
		els = append(els,
			input{group: api.UiNodeGroupCode, name: "email", typ: api.UiNodeInputAttributesTypeEmail, required: true,
				autocomplete: api.UiNodeInputAttributesAutocompleteEmail, maxlength: 320, label: &LabelEmail},
			submit(api.UiNodeGroupCode, "code", LabelSubmit))
	case flow.SentEmail:
		els = append(els,
			input{group: api.UiNodeGroupCode, name: "code", typ: api.UiNodeInputAttributesTypeText, required: true,
				autocomplete: api.UiNodeInputAttributesAutocompleteOneTimeCode, pattern: "^[0-9]{6}$", maxlength: 6, label: &codeLabel},
			submit(api.UiNodeGroupCode, "code", LabelSubmit),
			input{group: api.UiNodeGroupCode, name: "email", typ: api.UiNodeInputAttributesTypeSubmit, value: f.CodeAddress, label: &LabelResend})
	}
	return render(f, els)
}

// Recovery renders a recovery flow (REQ-REC-001).
func (r Renderer) Recovery(f flow.Flow) api.RecoveryFlow {
	return api.RecoveryFlow{
		Id: f.ID, Type: api.Recovery, State: api.RecoveryFlowState(f.State()),
		IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, ReturnTo: optional(f.ReturnTo),
		Ui: r.container(f, codeNodes(f, LabelRecoveryCode)),
	}
}

// Verification renders a verification flow (REQ-VER-001).
func (r Renderer) Verification(f flow.Flow) api.VerificationFlow {
	return api.VerificationFlow{
		Id: f.ID, Type: api.Verification, State: api.VerificationFlowState(f.State()),
		IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, ReturnTo: optional(f.ReturnTo),
		Ui: r.container(f, codeNodes(f, LabelVerificationCode)),
	}
}
