// Package ui renders flows as the contract's UI container: nodes per method group, labels and
// messages (D10), realistic enough that a generic node renderer draws a usable form.
package ui

import (
	"strings"

	"github.com/avnology/idflows/mockserver/internal/flow"
)

// Message catalogue. 4000005 and 1080002 are documented (frozen); the others follow the facts
// sheet's §7.4 table and are provisional.
var (
	LabelSignIn      = flow.Message{ID: "1010001", Text: "Sign in", Type: "info"}
	LabelSecondStep  = flow.Message{ID: "1010004", Text: "Please complete the second authentication challenge.", Type: "info"}
	LabelSignUp      = flow.Message{ID: "1040001", Text: "Sign up", Type: "info"}
	LabelPassword    = flow.Message{ID: "1070001", Text: "Password", Type: "info"}
	LabelIdentifier  = flow.Message{ID: "1070004", Text: "Email or username", Type: "info"}
	LabelTOTPCode    = flow.Message{ID: "1010006", Text: "Authentication code", Type: "info"}
	LabelUseTOTP     = flow.Message{ID: "1010009", Text: "Use authenticator", Type: "info"}
	LabelLookup      = flow.Message{ID: "1010007", Text: "Recovery code", Type: "info"}
	LabelUseLookup   = flow.Message{ID: "1010010", Text: "Use recovery code", Type: "info"}
	InfoReauth       = flow.Message{ID: "1010003", Text: "Please confirm this action by verifying that it is you.", Type: "info"}
	ErrAccountExists = flow.Message{ID: "4000005", Text: "An account with this email already exists", Type: "error"}
	ErrCredentials   = flow.Message{ID: "4000006", Text: "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.", Type: "error"}
	ErrPasswordWeak  = flow.Message{ID: "4000032", Text: "The password is too weak.", Type: "error"}
	ErrPasswordLeak  = flow.Message{ID: "4000034", Text: "The password has been found in data breaches and must no longer be used.", Type: "error"}
	ErrCodeInvalid   = flow.Message{ID: "4000008", Text: "The provided authentication code is invalid, please try again.", Type: "error"}
	ErrLocked        = flow.Message{ID: "4000035", Text: "Too many failed attempts. The account is temporarily locked.", Type: "error"}
	ErrDisabled      = flow.Message{ID: "4000036", Text: "This account is disabled.", Type: "error"}
)

// TraitLabel is the label of a trait input (1070002 with the trait's title).
func TraitLabel(title string) flow.Message {
	return flow.Message{ID: "1070002", Text: title, Type: "info", Context: map[string]any{"title": title}}
}

// LabelSignInWith is the label of a provider's sign-in button (1010002).
func LabelSignInWith(provider string) flow.Message {
	return flow.Message{ID: "1010002", Text: "Sign in with " + ProviderTitle(provider), Type: "info", Context: map[string]any{"provider": provider}}
}

// LabelSignUpWith is the label of a provider's sign-up button (1040002).
func LabelSignUpWith(provider string) flow.Message {
	return flow.Message{ID: "1040002", Text: "Sign up with " + ProviderTitle(provider), Type: "info", Context: map[string]any{"provider": provider}}
}

// InfoLinkFromSettings is the message of a flow a social sign-in came back to unmerged: the
// provider's email belongs to an account that must sign in first and link the provider in its
// settings (REQ-OIDC-003; 1010016, provisional).
func InfoLinkFromSettings(provider, email string) flow.Message {
	return flow.Message{ID: "1010016", Type: "info", Context: map[string]any{"provider": provider, "duplicate_identifier": email},
		Text: "You tried to sign in with " + ProviderTitle(provider) + ", but " + email + " already has an account. Sign in to it first, then link " + ProviderTitle(provider) + " in your settings."}
}

// ProviderTitle is how a provider is named to people: google → Google, github → GitHub.
func ProviderTitle(provider string) string {
	if t, ok := map[string]string{"github": "GitHub", "gitlab": "GitLab", "linkedin": "LinkedIn"}[provider]; ok {
		return t
	}
	if provider == "" {
		return provider
	}
	return strings.ToUpper(provider[:1]) + provider[1:]
}

// ErrSocialTaken: a provider account a settings flow tried to link belongs to another identity
// (4000027, provisional).
func ErrSocialTaken(provider string) flow.Message {
	return flow.Message{ID: "4000027", Type: "error", Context: map[string]any{"provider": provider},
		Text: "This " + ProviderTitle(provider) + " account is already linked to another account."}
}

// ErrRefused is a flow's message for a refusal that came back from a social provider's callback
// (4000001 with the error code in its context, provisional).
func ErrRefused(code, text string) flow.Message {
	return flow.Message{ID: "4000001", Type: "error", Text: text, Context: map[string]any{"code": code}}
}
