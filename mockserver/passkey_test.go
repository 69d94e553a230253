package mockserver_test

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// The passkey persona signs in with its published key, as a browser's virtual authenticator
// would: relying party localhost, user handle = the identity id.
func TestPasskeyPersonaSignsIn(t *testing.T) {
	srv := mockservertest.NewServer(t)
	var pat fixtures.Persona
	for _, p := range fixtures.Default() {
		if p.Email == "passkey@acme.com" {
			pat = p
		}
	}
	require.Len(t, pat.Passkeys, 1)
	key := &conformance.Authenticator{RPID: "localhost", Origin: srv.URL}
	require.NoError(t, key.Import(pat.Passkeys[0].ID, pat.Passkeys[0].PrivateKey, []byte(pat.ID)))

	b := newBrowser(t, srv)
	f, csrf := b.flow("login")
	opts := nodeAttr(f.body, "name", "webauthn_login_options")["value"].(string)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal([]byte(opts), &parsed))
	assert.Equal(t, "localhost", parsed["publicKey"].(map[string]any)["rpId"])
	cred, err := key.Get(opts)
	require.NoError(t, err)
	r := b.submit("login", f.str("id"), "webauthn", map[string]any{"webauthn_login": cred.JSON, "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, pat.ID, r.str("session", "identity_id"))
	assert.Equal(t, "aal2", r.str("session", "authenticator_assurance_level"))

	integrity := nodeAttr(f.body, "id", "webauthn_script")["integrity"].(string)
	resp, err := http.Get(srv.URL + "/_mock/webauthn.js")
	require.NoError(t, err)
	defer resp.Body.Close()
	js, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/javascript", resp.Header.Get("Content-Type"))
	sum := sha512.Sum384(js)
	assert.Equal(t, "sha384-"+base64.StdEncoding.EncodeToString(sum[:]), integrity, "the script node's integrity matches what is served")
	assert.Contains(t, string(js), "avnlWebAuthnLogin")
}
