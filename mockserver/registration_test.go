package mockserver_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

func TestRegistration(t *testing.T) {
	srv := mockservertest.NewServer(t)
	register := func(b *browser, email, password string) response {
		f, csrf := b.flow("registration")
		return b.submit("registration", f.str("id"), "password", map[string]any{
			"traits": map[string]any{"email": email, "name": map[string]any{"first": "Sam", "last": "Lee"}}, "password": password, "csrf_token": csrf,
		})
	}
	t.Run("case=success", func(t *testing.T) {
		b := newBrowser(t, srv)
		r := register(b, "sam@example.com", "correct-horse-battery")
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		assert.Equal(t, false, r.get("session", "identity", "email_verified"))
		assert.Equal(t, "Sam", r.str("session", "identity", "first_name"))
		assert.Equal(t, "Sam", r.str("session", "identity", "traits", "name", "first"))
		assert.Regexp(t, `^usr_`, r.str("session", "identity_id"))
		assert.Contains(t, r.header.Get("Set-Cookie"), "avnl_session=")

		again := b.do(http.MethodGet, "/v1/flows/registration", nil)
		assert.Equal(t, http.StatusBadRequest, again.status, "the cookie is a session now")
		assert.Equal(t, "AVNOLOGY_AUTH_017", again.code())
		assert.Equal(t, http.StatusOK, newBrowser(t, srv).login("sam@example.com", "correct-horse-battery").status)
	})
	t.Run("case=duplicate", func(t *testing.T) {
		r := register(newBrowser(t, srv), "JANE@acme.com", "correct-horse-battery")
		assert.Equal(t, http.StatusConflict, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_012", r.code())
		msgs := r.get("continue_flow", "ui", "messages").([]any)
		assert.Equal(t, "4000005", msgs[0].(map[string]any)["id"])
	})
	for _, tc := range []struct{ name, password, code string }{
		{"too short", "short1!", "AVNOLOGY_AUTH_011"},
		{"contains the identifier", "pat.jones-is-great", "AVNOLOGY_AUTH_011"},
		{"breached", "password123", "AVNOLOGY_AUTH_010"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			r := register(newBrowser(t, srv), "pat.jones@example.com", tc.password)
			assert.Equal(t, http.StatusBadRequest, r.status)
			assert.Equal(t, tc.code, r.code())
			if tc.code == "AVNOLOGY_AUTH_011" {
				assert.NotEmpty(t, r.str("error", "details", "reason"))
			}
			assert.Equal(t, "registration", r.str("continue_flow", "type"))
		})
	}
	t.Run("case=schema violations", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("registration")
		for name, body := range map[string]map[string]any{
			"bad email":   {"traits": map[string]any{"email": "nope"}, "password": "correct-horse-battery", "csrf_token": csrf},
			"extra field": {"traits": map[string]any{"email": "a@b.co"}, "password": "correct-horse-battery", "csrf_token": csrf, "admin": true},
			"wrong type":  {"traits": "a@b.co", "password": "correct-horse-battery", "csrf_token": csrf},
			"over-long":   {"traits": map[string]any{"email": "a@b.co", "name": map[string]any{"first": string(make([]byte, 200))}}, "password": "x", "csrf_token": csrf},
		} {
			r := b.submit("registration", f.str("id"), "password", body)
			assert.Equal(t, http.StatusBadRequest, r.status, name)
			assert.Equal(t, "AVNOLOGY_AUTH_902", r.code(), name)
			assert.NotEmpty(t, r.get("error", "details", "field_errors"), name)
		}
		// csrf_token is not a schema requirement: its absence is the CSRF answer (REQ-CSRF-002).
		r := b.submit("registration", f.str("id"), "password", map[string]any{"traits": map[string]any{"email": "a@b.co"}, "password": "correct-horse-battery"})
		assert.Equal(t, http.StatusForbidden, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_015", r.code())
	})
}
