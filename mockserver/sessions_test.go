package mockserver_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

func TestSessions(t *testing.T) {
	srv := mockservertest.NewServer(t)
	phone, laptop := newBrowser(t, srv), newBrowser(t, srv)
	require.Equal(t, http.StatusOK, phone.login("jane@acme.com", personaPassword).status)
	require.Equal(t, http.StatusOK, laptop.login("jane@acme.com", personaPassword).status)
	alex := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, alex.login("alex", personaPassword).status)

	t.Run("case=whoami by bearer and by cookie", func(t *testing.T) {
		r := phone.do(http.MethodGet, "/v1/sessions/whoami", nil)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Nil(t, r.get("token"), "whoami never carries the token")
		cookieOnly := newBrowser(t, srv)
		cookieOnly.client = laptop.client
		r = cookieOnly.do(http.MethodGet, "/v1/sessions/whoami", nil)
		assert.Equal(t, http.StatusOK, r.status, "the avnl_session cookie alone")
	})
	t.Run("case=no or bad token", func(t *testing.T) {
		for _, tok := range []string{"", "avnl_ses_unknown", "garbage"} {
			b := newBrowser(t, srv)
			b.token = tok
			r := b.do(http.MethodGet, "/v1/sessions/whoami", nil)
			assert.Equal(t, http.StatusUnauthorized, r.status)
			assert.Equal(t, "AVNOLOGY_AUTH_005", r.code())
		}
	})
	t.Run("case=list", func(t *testing.T) {
		r := phone.do(http.MethodGet, "/v1/sessions?page_size=1", nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.EqualValues(t, 2, r.get("total_size"))
		assert.Len(t, r.get("sessions").([]any), 1)
		next := r.str("next_page_token")
		require.NotEmpty(t, next)
		r2 := phone.do(http.MethodGet, "/v1/sessions?page_size=1&page_token="+next, nil)
		require.Equal(t, http.StatusOK, r2.status)
		assert.Nil(t, r2.get("next_page_token"))
		currents := 0
		for _, page := range []response{r, r2} {
			for _, s := range page.get("sessions").([]any) {
				if s.(map[string]any)["current"] == true {
					currents++
				}
			}
		}
		assert.Equal(t, 1, currents)
		bad := phone.do(http.MethodGet, "/v1/sessions?page_token=%21%21", nil)
		assert.Equal(t, "AVNOLOGY_AUTH_902", bad.code())
		// A forged offset near the int limit must not overflow into a negative next token.
		for _, forged := range []string{"9223372036854775807", "9223372036854775800", "-1", "+1", "1e9"} {
			tok := base64.RawURLEncoding.EncodeToString([]byte(forged))
			r := phone.do(http.MethodGet, "/v1/sessions?page_size=100&page_token="+tok, nil)
			assert.Equal(t, http.StatusBadRequest, r.status, forged)
			assert.Equal(t, "AVNOLOGY_AUTH_902", r.code(), forged)
		}
		far := base64.RawURLEncoding.EncodeToString([]byte("999999999"))
		r = phone.do(http.MethodGet, "/v1/sessions?page_size=100&page_token="+far, nil)
		assert.Equal(t, http.StatusOK, r.status, "an offset past the end is an empty last page")
		assert.Empty(t, r.get("sessions"))
		assert.Nil(t, r.get("next_page_token"))
	})
	t.Run("case=another identity's session is not found", func(t *testing.T) {
		alexID := alex.do(http.MethodGet, "/v1/sessions/whoami", nil).str("id")
		r := phone.do(http.MethodDelete, "/v1/sessions/"+alexID, nil)
		assert.Equal(t, http.StatusNotFound, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_901", r.code())
		assert.Equal(t, http.StatusOK, alex.do(http.MethodGet, "/v1/sessions/whoami", nil).status, "nothing was revoked")
	})
	t.Run("case=revoke one, then the others, then log out", func(t *testing.T) {
		extra := newBrowser(t, srv)
		require.Equal(t, http.StatusOK, extra.login("jane@acme.com", personaPassword).status)
		extraID := extra.do(http.MethodGet, "/v1/sessions/whoami", nil).str("id")
		assert.Equal(t, http.StatusNoContent, phone.do(http.MethodDelete, "/v1/sessions/"+extraID, nil).status)
		assert.Equal(t, "AVNOLOGY_AUTH_005", extra.do(http.MethodGet, "/v1/sessions/whoami", nil).code())

		r := phone.do(http.MethodDelete, "/v1/sessions", nil)
		assert.Equal(t, http.StatusOK, r.status)
		assert.EqualValues(t, 1, r.get("revoked_count"), "the laptop")
		assert.Equal(t, http.StatusUnauthorized, laptop.do(http.MethodGet, "/v1/sessions/whoami", nil).status)

		out := phone.do(http.MethodDelete, "/v1/sessions/whoami", nil)
		assert.Equal(t, http.StatusNoContent, out.status)
		assert.Contains(t, out.header.Get("Set-Cookie"), "avnl_session=;")
		assert.Equal(t, "AVNOLOGY_AUTH_005", phone.do(http.MethodGet, "/v1/sessions/whoami", nil).code())
		assert.Equal(t, "AVNOLOGY_AUTH_005", phone.do(http.MethodDelete, "/v1/sessions/whoami", nil).code())
	})
	t.Run("case=expired", func(t *testing.T) {
		srv.Clock().Advance(25 * time.Hour)
		r := alex.do(http.MethodGet, "/v1/sessions/whoami", nil)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_004", r.code())
		assert.Equal(t, "AVNOLOGY_AUTH_005", alex.do(http.MethodGet, "/v1/sessions", nil).code(), "only whoami says expired")
	})
}
