package mockserver_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

// nodeAttr returns the attributes of the flow's node whose attributes[key] == value.
func nodeAttr(flow map[string]any, key, value string) map[string]any {
	ui, _ := flow["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	for _, n := range nodes {
		attrs, _ := n.(map[string]any)["attributes"].(map[string]any)
		if attrs[key] == value {
			return attrs
		}
	}
	return nil
}

func TestSettingsTOTPEnrolment(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, b.login("jane@acme.com", personaPassword).status)
	f, csrf := b.flow("settings")

	qr := nodeAttr(f.body, "id", "totp_qr")
	require.NotNil(t, qr)
	src := qr["src"].(string)
	require.True(t, strings.HasPrefix(src, "data:image/png;base64,"))
	data, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(src, "data:image/png;base64,"))
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err, "the QR code is a real PNG")
	assert.Equal(t, 256, img.Bounds().Dx())

	secret := nodeAttr(f.body, "id", "totp_secret_key")["text"].(map[string]any)["text"].(string)
	assert.Regexp(t, `^[A-Z2-7]{32}$`, secret)

	code, err := totpAt(secret, srv.Clock().Now())
	require.NoError(t, err)
	r := b.submit("settings", f.str("id"), "totp", map[string]any{"totp_code": code, "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	saved := r.get("continue_flow").(map[string]any)
	assert.Equal(t, "success", saved["state"])
	assert.NotNil(t, nodeAttr(saved, "name", "totp_unlink"), "once enrolled the flow offers unlinking")
	assert.Nil(t, nodeAttr(saved, "id", "totp_qr"))

	// The aal1 session that enrolled must now step up before opening settings again.
	again := b.do(http.MethodGet, "/v1/flows/settings", nil)
	assert.Equal(t, http.StatusForbidden, again.status)
	assert.Equal(t, "AVNOLOGY_AUTH_102", again.code())
	assert.Equal(t, "aal2", again.str("error", "details", "required_aal"))
	assert.Equal(t, srv.URL+"/v1/flows/login?aal=aal2", again.str("error", "details", "login_url"))
}

func TestSettingsPrivilegedWindow(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, b.login("jane@acme.com", personaPassword).status)
	f, csrf := b.flow("settings")

	// A name change is not privileged; an email change and a password change are.
	srv.Clock().Advance(16 * time.Minute)
	name := b.submit("settings", f.str("id"), "profile", map[string]any{"traits": map[string]any{"email": "jane@acme.com", "name": map[string]any{"first": "Janet"}}, "csrf_token": csrf})
	assert.Equal(t, http.StatusOK, name.status, "%s", name.raw)
	email := b.submit("settings", f.str("id"), "profile", map[string]any{"traits": map[string]any{"email": "janet@acme.com"}, "csrf_token": csrf})
	assert.Equal(t, "AVNOLOGY_AUTH_102", email.code())
	assert.Contains(t, email.str("error", "details", "login_url"), "refresh=true")
	pw := b.submit("settings", f.str("id"), "password", map[string]any{"password": "another-Secure-1!", "csrf_token": csrf})
	assert.Equal(t, "AVNOLOGY_AUTH_102", pw.code())

	// Re-authenticating opens the window again.
	rf, rcsrf := b.flow("login", "refresh=true")
	up := b.submit("login", rf.str("id"), "password", map[string]any{"identifier": "jane@acme.com", "password": personaPassword, "csrf_token": rcsrf})
	require.Equal(t, http.StatusOK, up.status, "%s", up.raw)
	taken := b.submit("settings", f.str("id"), "profile", map[string]any{"traits": map[string]any{"email": "alex@acme.com"}, "csrf_token": csrf})
	assert.Equal(t, http.StatusConflict, taken.status, "another identity's email")
	assert.Equal(t, "AVNOLOGY_AUTH_012", taken.code())
	assert.Equal(t, "settings", taken.str("continue_flow", "type"), "the error re-renders the flow")
}

func TestSettingsLookupSecretActions(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, b.login("jane@acme.com", personaPassword).status)
	f, csrf := b.flow("settings")
	id := f.str("id")
	for name, body := range map[string]map[string]any{
		"no action":      {"csrf_token": csrf},
		"two actions":    {"lookup_secret_reveal": true, "lookup_secret_disable": true, "csrf_token": csrf},
		"nothing to use": {"lookup_secret_confirm": true, "csrf_token": csrf},
	} {
		r := b.submit("settings", id, "lookup_secret", body)
		assert.Equal(t, http.StatusBadRequest, r.status, name)
		assert.Equal(t, "AVNOLOGY_AUTH_902", r.code(), name)
	}
	gen := b.submit("settings", id, "lookup_secret", map[string]any{"lookup_secret_regenerate": true, "csrf_token": csrf})
	require.Equal(t, http.StatusOK, gen.status, "%s", gen.raw)
	codes := nodeAttr(gen.get("continue_flow").(map[string]any), "id", "lookup_secret_codes")["text"].(map[string]any)["context"].(map[string]any)["secrets"].([]any)
	assert.Len(t, codes, 12)
	shown := b.do(http.MethodGet, "/v1/flows/settings/"+id, nil)
	assert.Nil(t, nodeAttr(shown.body, "id", "lookup_secret_codes"), "codes are shown once")
}

func totpAt(secret string, at time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}
