package conformance

import (
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type rpUser struct {
	id    []byte
	creds []webauthn.Credential
}

func (u *rpUser) WebAuthnID() []byte                         { return u.id }
func (u *rpUser) WebAuthnName() string                       { return "ada@example.com" }
func (u *rpUser) WebAuthnDisplayName() string                { return "Ada" }
func (u *rpUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// The software authenticator is checked against an independent relying-party library: what it
// creates registers, what it signs verifies, and what is tampered with does not.
func TestAuthenticatorAgainstARelyingParty(t *testing.T) {
	rp, err := webauthn.New(&webauthn.Config{RPID: "localhost", RPDisplayName: "test", RPOrigins: []string{"http://localhost:4433"}})
	require.NoError(t, err)
	user := &rpUser{id: []byte("usr_1")}
	a := &Authenticator{RPID: "localhost", Origin: "http://localhost:4433"}

	creation, session, err := rp.BeginRegistration(user, webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired))
	require.NoError(t, err)
	cred, err := a.Create(mustJSON(t, creation))
	require.NoError(t, err)
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(cred.JSON))
	require.NoError(t, err)
	registered, err := rp.CreateCredential(user, *session, parsed)
	require.NoError(t, err)
	user.creds = append(user.creds, *registered)

	_, err = a.Create(mustJSON(t, mustCreation(t, rp, user, webauthn.WithExclusions(webauthn.Credentials(user.creds).CredentialDescriptors()))))
	assert.ErrorContains(t, err, "InvalidStateError", "an excluded credential is not created twice")

	for name, tamper := range map[string]func(map[string]any){
		"genuine":           nil,
		"another signature": func(r map[string]any) { r["signature"] = b64.EncodeToString([]byte("not a signature")) },
	} {
		assertion, loginSession, err := rp.BeginDiscoverableLogin()
		require.NoError(t, err)
		got, err := a.Get(mustJSON(t, assertion))
		require.NoError(t, err)
		body := got.JSON
		if tamper != nil {
			var v map[string]any
			require.NoError(t, json.Unmarshal([]byte(got.JSON), &v))
			tamper(v["response"].(map[string]any))
			body = mustJSON(t, v)
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(body))
		require.NoError(t, err)
		_, err = rp.ValidateDiscoverableLogin(func(_, handle []byte) (webauthn.User, error) {
			assert.Equal(t, user.id, handle)
			return user, nil
		}, *loginSession, parsed)
		if tamper == nil {
			assert.NoError(t, err, name)
		} else {
			assert.Error(t, err, name)
		}
	}

	other := &Authenticator{RPID: "example.com", Origin: "https://example.com"}
	_, err = other.Create(mustJSON(t, mustCreation(t, rp, user)))
	assert.ErrorContains(t, err, "relying party")
}

func mustCreation(t *testing.T, rp *webauthn.WebAuthn, u webauthn.User, opts ...webauthn.RegistrationOption) *protocol.CredentialCreation {
	c, _, err := rp.BeginRegistration(u, opts...)
	require.NoError(t, err)
	return c
}

func mustJSON(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
