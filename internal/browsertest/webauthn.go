package browsertest

import (
	"context"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// The WebAuthn domain of the DevTools protocol, with only the fields these tests set.
//
// The generated bindings (cdproto) send every field of their structs, including options
// newer than the Chromium a distribution ships (or options a newer Chromium rejects when
// present at all, such as the CMTG key fields Chromium 156 answers with "CMTG is not
// supported by this authenticator"). A protocol field that is absent takes the browser's
// default, so sending only what a test needs works across Chromium releases.

// Authenticator describes a virtual authenticator: a platform passkey provider by default.
type Authenticator struct {
	Protocol                    string `json:"protocol"`               // "ctap2" or "u2f"
	Ctap2Version                string `json:"ctap2Version,omitempty"` // "ctap2_0", "ctap2_1"
	Transport                   string `json:"transport"`              // "internal", "usb", …
	HasResidentKey              bool   `json:"hasResidentKey"`
	HasUserVerification         bool   `json:"hasUserVerification"`
	IsUserVerified              bool   `json:"isUserVerified"`
	AutomaticPresenceSimulation bool   `json:"automaticPresenceSimulation"`
}

// Passkey is a platform authenticator that holds discoverable credentials and verifies its user.
var Passkey = Authenticator{Protocol: "ctap2", Ctap2Version: "ctap2_1", Transport: "internal",
	HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}

// Credential is a credential to import into a virtual authenticator. Byte slices travel
// base64-encoded, as the protocol's binary fields do.
type Credential struct {
	CredentialID         []byte `json:"credentialId"`
	IsResidentCredential bool   `json:"isResidentCredential"`
	RpID                 string `json:"rpId"`
	PrivateKey           []byte `json:"privateKey"` // PKCS#8, ECDSA P-256
	UserHandle           []byte `json:"userHandle,omitempty"`
	SignCount            int64  `json:"signCount"`
}

type addAuthenticatorParams struct {
	Options Authenticator `json:"options"`
}

type addAuthenticatorResult struct {
	AuthenticatorID string `json:"authenticatorId"`
}

type addCredentialParams struct {
	AuthenticatorID string     `json:"authenticatorId"`
	Credential      Credential `json:"credential"`
}

type enableParams struct{}

var (
	webauthnEnable           = cdp.Command[enableParams, cdp.Empty]{Method: "WebAuthn.enable"}
	webauthnAddAuthenticator = cdp.Command[addAuthenticatorParams, addAuthenticatorResult]{Method: "WebAuthn.addVirtualAuthenticator"}
	webauthnAddCredential    = cdp.Command[addCredentialParams, cdp.Empty]{Method: "WebAuthn.addCredential"}
)

// AddAuthenticator enables the WebAuthn domain on the page of ctx and attaches a virtual
// authenticator to it; it returns the authenticator's id.
func AddAuthenticator(ctx context.Context, a Authenticator) (string, error) {
	if _, err := chromedp.Call(ctx, webauthnEnable, enableParams{}); err != nil {
		return "", err
	}
	res, err := chromedp.Call(ctx, webauthnAddAuthenticator, addAuthenticatorParams{Options: a})
	return res.AuthenticatorID, err
}

// AddCredential imports c into the virtual authenticator id.
func AddCredential(ctx context.Context, id string, c Credential) error {
	_, err := chromedp.Call(ctx, webauthnAddCredential, addCredentialParams{AuthenticatorID: id, Credential: c})
	return err
}
