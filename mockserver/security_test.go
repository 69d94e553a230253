package mockserver_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

const mfaID = "usr_00000000-0000-4000-8000-000000000005"

// secondStep signs mfa@acme.com in with its password and returns the aal2 step's flow.
func secondStep(t *testing.T, b *browser) map[string]any {
	t.Helper()
	r := b.login("mfa@acme.com", personaPassword)
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	f, ok := r.get("continue_flow").(map[string]any)
	require.True(t, ok, "the password step must continue to the second factor: %s", r.raw)
	return f
}

// Wrong second-factor codes count on their own counter, which a correct password never resets;
// the fifth locks the factor for 15 minutes and uses up the flow (REQ-SEC-001).
func TestSecondFactorLockoutSurvivesAPassword(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	wrong := func(f map[string]any) response {
		return b.submit("login", f["id"].(string), "totp", map[string]any{"totp_code": "000000", "csrf_token": csrfOf(f)})
	}
	if totpCode(t, srv, mfaID) == "000000" {
		t.Skip("the one code in a million")
	}
	first := secondStep(t, b)
	for i, left := range []float64{4, 3} {
		r := wrong(first)
		require.Equal(t, "AVNOLOGY_AUTH_008", r.code(), "attempt %d", i+1)
		assert.EqualValues(t, left, r.get("error", "details", "attempts_remaining"))
	}
	second := secondStep(t, b) // the right password again: the count goes on
	r := wrong(second)
	assert.EqualValues(t, 2, r.get("error", "details", "attempts_remaining"), "a correct password must not reset the count")
	wrong(second)
	locked := wrong(second)
	require.Equal(t, http.StatusLocked, locked.status, "%s", locked.raw)
	assert.Equal(t, "AVNOLOGY_AUTH_002", locked.code())
	assert.Equal(t, "900", locked.header.Get("Retry-After"))

	gone := b.submit("login", second["id"].(string), "totp", map[string]any{"totp_code": totpCode(t, srv, mfaID), "csrf_token": csrfOf(second)})
	assert.Equal(t, "AVNOLOGY_AUTH_009", gone.code(), "the flow is used up")

	third := secondStep(t, b)
	r = b.submit("login", third["id"].(string), "totp", map[string]any{"totp_code": totpCode(t, srv, mfaID), "csrf_token": csrfOf(third)})
	assert.Equal(t, "AVNOLOGY_AUTH_002", r.code(), "even the right code is refused while the factor is locked")
	r = b.submit("login", third["id"].(string), "lookup_secret", map[string]any{"lookup_secret": "k7d2m9xq", "csrf_token": csrfOf(third)})
	assert.Equal(t, "AVNOLOGY_AUTH_002", r.code(), "every second factor is locked")

	srv.Clock().Advance(15*time.Minute + time.Second)
	fourth := secondStep(t, b)
	r = b.submit("login", fourth["id"].(string), "totp", map[string]any{"totp_code": totpCode(t, srv, mfaID), "csrf_token": csrfOf(fourth)})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, "aal2", r.str("session", "authenticator_assurance_level"))
}

// Once attempts_remaining reached 0, the next enrolment code is refused, right or wrong, and
// the flow with it; the fresh flow offered enrols (REQ-SEC-001).
func TestEnrolmentCodesAreBounded(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, b.login("jane@acme.com", personaPassword).status)
	f, csrf := b.flow("settings")
	secret := nodeAttr(f.body, "id", "totp_secret_key")
	require.NotNil(t, secret)
	for left := 4; left >= 0; left-- {
		r := b.submit("settings", f.str("id"), "totp", map[string]any{"totp_code": "000000", "csrf_token": csrf})
		require.Equal(t, "AVNOLOGY_AUTH_008", r.code())
		assert.EqualValues(t, left, r.get("error", "details", "attempts_remaining"))
	}
	code, err := totpAt(textOf(f.body, "totp_secret_key"), srv.Clock().Now())
	require.NoError(t, err)
	r := b.submit("settings", f.str("id"), "totp", map[string]any{"totp_code": code, "csrf_token": csrf})
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "AVNOLOGY_AUTH_009", r.code(), "the right code is refused once the attempts are used up")
	fresh := r.str("error", "details", "use_flow_id")
	require.NotEmpty(t, fresh)

	nf := b.do(http.MethodGet, "/v1/flows/settings/"+fresh, nil)
	require.Equal(t, http.StatusOK, nf.status, "%s", nf.raw)
	newSecret := textOf(nf.body, "totp_secret_key")
	require.NotEmpty(t, newSecret, "the fresh flow offers enrolment again")
	code, err = totpAt(newSecret, srv.Clock().Now())
	require.NoError(t, err)
	ok := b.submit("settings", fresh, "totp", map[string]any{"totp_code": code, "csrf_token": csrfOf(nf.body)})
	assert.Equal(t, http.StatusOK, ok.status, "%s", ok.raw)
}

// textOf is the text of the text node with id.
func textOf(flow map[string]any, id string) string {
	for _, n := range flow["ui"].(map[string]any)["nodes"].([]any) {
		attrs := n.(map[string]any)["attributes"].(map[string]any)
		if attrs["id"] == id {
			text, _ := attrs["text"].(map[string]any)
			s, _ := text["text"].(string)
			return s
		}
	}
	return ""
}

// Addresses compare after ASCII-only lower-casing, and codes go only to the stored address
// (REQ-SEC-002): a look-alike address reaches no account and receives nothing.
func TestAddressesMatchInASCIIOnly(t *testing.T) {
	srv := mockservertest.NewServer(t)
	srv.SeedIdentity(mockservertest.Identity{Email: "victim@inbox.test", Password: personaPassword, EmailVerified: true})
	b := newBrowser(t, srv)

	assert.Equal(t, http.StatusOK, newBrowser(t, srv).login("VICTIM@Inbox.Test", personaPassword).status, "ASCII case does not matter")
	assert.Equal(t, "AVNOLOGY_AUTH_001", newBrowser(t, srv).login("victim@İnbox.test", personaPassword).code(), "a dotted capital I is another address")

	for _, kind := range []string{"recovery", "verification"} {
		f, csrf := b.flow(kind)
		r := b.submit(kind, f.str("id"), "code", map[string]any{"email": "victim@İnbox.test", "csrf_token": csrf})
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	}
	f, csrf := b.flow("login")
	require.Equal(t, http.StatusOK, b.submit("login", f.str("id"), "code", map[string]any{"identifier": "victim@İnbox.test", "csrf_token": csrf}).status)
	assert.Empty(t, srv.Outbox("victim@İnbox.test"), "nothing goes to a look-alike address")
	assert.Empty(t, srv.Outbox("victim@inbox.test"), "nor to the account it looks like")

	f, csrf = b.flow("recovery")
	require.Equal(t, http.StatusOK, b.submit("recovery", f.str("id"), "code", map[string]any{"email": "VICTIM@INBOX.TEST", "csrf_token": csrf}).status)
	assert.Empty(t, srv.Outbox("VICTIM@INBOX.TEST"), "never to the string typed")
	assert.Len(t, srv.Outbox("victim@inbox.test"), 1, "to the stored address")
}

// A recovery session proves control of the mailbox only: it sets a password, but it cannot
// remove or replace a second factor (REQ-SEC-003).
func TestRecoveryCannotStripTheSecondFactor(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("recovery")
	require.Equal(t, http.StatusOK, b.submit("recovery", f.str("id"), "code", map[string]any{"email": "mfa@acme.com", "csrf_token": csrf}).status)
	done := b.submit("recovery", f.str("id"), "code", map[string]any{"code": srv.LastCode("mfa@acme.com"), "csrf_token": csrf})
	require.Equal(t, http.StatusOK, done.status, "%s", done.raw)
	b.token = done.str("session", "token")
	settings := done.get("continue_flow").(map[string]any)
	id, sc := settings["id"].(string), csrfOf(settings)

	for name, body := range map[string]map[string]any{
		"totp":          {"totp_unlink": true},
		"lookup_secret": {"lookup_secret_disable": true},
	} {
		body["csrf_token"] = sc
		r := b.submit("settings", id, name, body)
		require.Equal(t, http.StatusForbidden, r.status, "%s: %s", name, r.raw)
		assert.Equal(t, "AVNOLOGY_AUTH_102", r.code())
		assert.Equal(t, "aal2", r.str("error", "details", "required_aal"))
		u, err := url.Parse(r.str("error", "details", "login_url"))
		require.NoError(t, err)
		assert.Equal(t, "aal2", u.Query().Get("aal"))
	}
	regen := b.submit("settings", id, "lookup_secret", map[string]any{"lookup_secret_regenerate": true, "csrf_token": sc})
	assert.Equal(t, "AVNOLOGY_AUTH_102", regen.code(), "replacing the codes is removing them")
	pw := b.submit("settings", id, "password", map[string]any{"password": "brand-New-Secret-7", "csrf_token": sc})
	assert.Equal(t, http.StatusOK, pw.status, "a recovery session still sets a password: %s", pw.raw)

	r := newBrowser(t, srv).login("mfa@acme.com", "brand-New-Secret-7")
	assert.Equal(t, "aal2", r.str("continue_flow", "requested_aal"), "the second factor is still there: %s", r.raw)
}

// A code login of an identity with a second factor continues to the second-factor step, like
// a password (REQ-SEC-004).
func TestCodeLoginAsksForTheSecondFactor(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("login")
	require.Equal(t, http.StatusOK, b.submit("login", f.str("id"), "code", map[string]any{"identifier": "mfa@acme.com", "csrf_token": csrf}).status)
	r := b.submit("login", f.str("id"), "code", map[string]any{"code": srv.LastCode("mfa@acme.com"), "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Nil(t, r.get("session"), "no session before the second factor")
	assert.Equal(t, "aal2", r.str("continue_flow", "requested_aal"))
	assert.Equal(t, "choose_method", r.str("continue_flow", "state"))

	ok := b.submit("login", f.str("id"), "totp", map[string]any{"totp_code": totpCode(t, srv, mfaID), "csrf_token": csrf})
	require.Equal(t, http.StatusOK, ok.status, "%s", ok.raw)
	assert.Equal(t, "aal2", ok.str("session", "authenticator_assurance_level"))
	methods := ok.get("session", "authentication_methods").([]any)
	require.Len(t, methods, 2)
	assert.Equal(t, "code", methods[0].(map[string]any)["method"])
	assert.Equal(t, "totp", methods[1].(map[string]any)["method"])
}

// Registration's table allows a second traits submit in sent_email: a new code goes to the
// address now given, and the first one no longer works.
func TestRegistrationCodeCanBeSentAgain(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("registration")
	send := func(email string) response {
		return b.submit("registration", f.str("id"), "code", map[string]any{"traits": map[string]any{"email": email}, "csrf_token": csrf})
	}
	require.Equal(t, http.StatusOK, send("typo@exmaple.test").status)
	first := srv.LastCode("typo@exmaple.test")
	again := send("sam@example.test")
	require.Equal(t, http.StatusOK, again.status, "%s", again.raw)
	assert.Equal(t, "sent_email", again.str("continue_flow", "state"))
	second := srv.LastCode("sam@example.test")
	if first != second {
		r := b.submit("registration", f.str("id"), "code", map[string]any{"code": first, "csrf_token": csrf})
		assert.Equal(t, "AVNOLOGY_AUTH_008", r.code(), "the first code went to another address")
	}
	done := b.submit("registration", f.str("id"), "code", map[string]any{"code": second, "csrf_token": csrf})
	require.Equal(t, http.StatusOK, done.status, "%s", done.raw)
	assert.Equal(t, "sam@example.test", done.str("session", "identity", "email"))
}
