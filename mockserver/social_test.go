package mockserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

// socialSignIn starts a social sign-in in flow kind from browser b, picks (or creates) the
// provider account email on the provider's page, and returns the callback URL the provider
// sends the browser to.
func socialSignIn(t *testing.T, b *browser, kind, email string, query ...string) string {
	t.Helper()
	f, csrf := b.flow(kind, query...)
	r := b.submit(kind, f.str("id"), "oidc", map[string]any{"provider": "google", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Equal(t, "oidc", r.str("redirect", "reason"))
	auth, err := url.Parse(r.str("redirect", "url"))
	require.NoError(t, err)
	require.Equal(t, b.srv.URL+"/_mock/oidc/google/authorize", auth.Scheme+"://"+auth.Host+auth.Path)
	form := auth.Query()
	assert.Equal(t, "S256", form.Get("code_challenge_method"), "PKCE")
	assert.NotEmpty(t, form.Get("nonce"))
	form.Set("action", "create")
	form.Set("email", email)
	form.Set("name", "Ada Lovelace")
	form.Set("email_verified", "true")
	resp, err := b.client.PostForm(auth.Scheme+"://"+auth.Host+auth.Path, form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return resp.Header.Get("Location")
}

func get(t *testing.T, b *browser, u string) *http.Response {
	t.Helper()
	resp, err := b.client.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func TestContinueWithGoogle(t *testing.T) {
	srv := mockservertest.NewServer(t)

	t.Run("a new account signs up, and signs in again with the same provider account", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback := socialSignIn(t, b, "login", "ada@example.com", "return_to=https://app.acme.com/welcome")
		require.True(t, strings.HasPrefix(callback, srv.URL+"/v1/flows/oidc/callback/google?"), callback)
		resp := get(t, b, callback)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "https://app.acme.com/welcome", resp.Header.Get("Location"))
		me := b.do(http.MethodGet, "/v1/sessions/whoami", nil)
		require.Equal(t, http.StatusOK, me.status, "%s", me.raw)
		assert.Equal(t, "ada@example.com", me.str("identity", "traits", "email"))
		methods, _ := me.get("authentication_methods").([]any)
		require.Len(t, methods, 1)
		assert.Equal(t, "oidc", methods[0].(map[string]any)["method"])
		id := me.str("identity", "id")

		assert.Equal(t, http.StatusNotFound, get(t, b, callback).StatusCode, "a state is used once")

		again := newBrowser(t, srv)
		resp = get(t, again, socialSignIn(t, again, "registration", "ada@example.com"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, id, again.do(http.MethodGet, "/v1/sessions/whoami", nil).str("identity", "id"), "the linked account signs in, whichever flow it came from")
	})

	t.Run("an email that has a password account is not merged", func(t *testing.T) {
		b := newBrowser(t, srv)
		resp := get(t, b, socialSignIn(t, b, "login", "jane@acme.com"))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "/ui/login", loc.Path)
		for _, ck := range resp.Cookies() {
			assert.NotEqual(t, "avnl_session", ck.Name, "no session")
		}
		f := b.do(http.MethodGet, "/v1/flows/login/"+loc.Query().Get("flow"), nil)
		require.Equal(t, http.StatusOK, f.status, "%s", f.raw)
		assert.Contains(t, string(f.raw), `"id":"1010016"`, "the flow asks to sign in and link from settings")
	})

	t.Run("a callback from another browser is an unknown state", func(t *testing.T) {
		b := newBrowser(t, srv)
		callback := socialSignIn(t, b, "login", "eve@example.com")
		other := newBrowser(t, srv)
		assert.Equal(t, http.StatusNotFound, get(t, other, callback).StatusCode)
		tampered := strings.Replace(callback, "state=", "state=x", 1)
		assert.Equal(t, http.StatusNotFound, get(t, b, tampered).StatusCode)
		assert.Equal(t, http.StatusSeeOther, get(t, b, callback).StatusCode, "the right browser still completes it")
	})

	t.Run("an unknown provider is a client error", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("login")
		r := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "myspace", "csrf_token": csrf})
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_902", r.code())
	})
}
