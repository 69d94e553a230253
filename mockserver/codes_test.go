package mockserver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

// A recovery ends in a recovery session whose settings flow sets a new password at once; the
// session lives 15 minutes (REQ-REC-004).
func TestRecoveryToNewPassword(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("recovery")
	sent := b.submit("recovery", f.str("id"), "code", map[string]any{"email": "unverified@acme.com", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, sent.status, "%s", sent.raw)
	assert.Equal(t, "sent_email", sent.str("continue_flow", "state"))
	assert.Equal(t, "5", sent.header.Get("X-RateLimit-Limit"))

	outbox := srv.Outbox("unverified@acme.com")
	require.Len(t, outbox, 1)
	assert.Equal(t, "recovery_code", outbox[0].Template)
	assert.Equal(t, f.str("id"), outbox[0].FlowID)
	code := srv.LastCode("unverified@acme.com")

	done := b.submit("recovery", f.str("id"), "code", map[string]any{"code": code, "csrf_token": csrf})
	require.Equal(t, http.StatusOK, done.status, "%s", done.raw)
	assert.Regexp(t, `^avnl_ses_recovery_`, done.str("session", "token"))
	assert.Equal(t, true, done.get("session", "identity", "email_verified"), "the code proved the address")
	settings := done.get("continue_flow").(map[string]any)
	require.Equal(t, "settings", settings["type"])

	b.token = done.str("session", "token")
	pw := b.submit("settings", settings["id"].(string), "password", map[string]any{"password": "brand-New-Secret-7", "csrf_token": csrfOf(settings)})
	require.Equal(t, http.StatusOK, pw.status, "%s", pw.raw)
	other := newBrowser(t, srv)
	assert.Equal(t, http.StatusOK, other.login("unverified@acme.com", "brand-New-Secret-7").status)

	srv.Clock().Advance(16 * time.Minute)
	assert.Equal(t, "AVNOLOGY_AUTH_004", b.do(http.MethodGet, "/v1/sessions/whoami", nil).code())
}

// A code login by username sends the code to the account's email without showing the address.
func TestCodeLoginByUsername(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("login")
	sent := b.submit("login", f.str("id"), "code", map[string]any{"identifier": "alex", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, sent.status, "%s", sent.raw)
	assert.NotContains(t, string(sent.raw), "alex@acme.com", "the flow must not reveal the address a username maps to")
	assert.Equal(t, "alex", nodeAttr(sent.get("continue_flow").(map[string]any), "name", "identifier")["value"], "resend carries what was typed")

	outbox := srv.Outbox("alex@acme.com")
	require.Len(t, outbox, 1)
	assert.Equal(t, "login_code", outbox[0].Template)
	done := b.submit("login", f.str("id"), "code", map[string]any{"code": srv.LastCode("alex@acme.com"), "csrf_token": csrf})
	require.Equal(t, http.StatusOK, done.status, "%s", done.raw)
	assert.Equal(t, "usr_00000000-0000-4000-8000-000000000002", done.str("session", "identity_id"))
}
