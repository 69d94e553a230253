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

// postForm posts a flow's form as a plain HTML form does: form-encoded, Accept: text/html.
func postForm(t *testing.T, b *browser, kind, flowID string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.srv.URL+"/v1/flows/"+kind+"/"+flowID+":submit", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func TestBrowserMode(t *testing.T) {
	srv := mockservertest.NewServer(t)

	t.Run("a signed-in form post goes to return_to with the session cookie", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("login", "return_to=https://app.acme.com/home")
		resp := postForm(t, b, "login", f.str("id"), url.Values{"method": {"password"}, "identifier": {"jane@acme.com"}, "password": {personaPassword}, "csrf_token": {csrf}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, "https://app.acme.com/home", resp.Header.Get("Location"))
		assert.Equal(t, "jane@acme.com", b.do(http.MethodGet, "/v1/sessions/whoami", nil).str("identity", "email"), "the cookie signs the browser in")
	})
	t.Run("a wrong password goes back to the flow in the UI, which shows why", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("login")
		resp := postForm(t, b, "login", f.str("id"), url.Values{"method": {"password"}, "identifier": {"jane@acme.com"}, "password": {"wrong"}, "csrf_token": {csrf}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, srv.URL+"/ui/login?flow="+f.str("id"), resp.Header.Get("Location"))
		assert.Contains(t, string(b.do(http.MethodGet, "/v1/flows/login/"+f.str("id"), nil).raw), `"id":"4000006"`)
	})
	t.Run("dotted names are traits, and booleans are booleans", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("registration")
		resp := postForm(t, b, "registration", f.str("id"), url.Values{"method": {"password"}, "traits.email": {"form@example.com"},
			"traits.name.first": {"Form"}, "password": {"a-long-unusual-passphrase"}, "csrf_token": {csrf}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		me := b.do(http.MethodGet, "/v1/sessions/whoami", nil)
		assert.Equal(t, "Form", me.str("identity", "traits", "name", "first"))
		s, scsrf := b.flow("settings")
		resp = postForm(t, b, "settings", s.str("id"), url.Values{"method": {"lookup_secret"}, "lookup_secret_regenerate": {"true"}, "csrf_token": {scsrf}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		assert.Equal(t, srv.URL+"/ui/settings?flow="+s.str("id"), resp.Header.Get("Location"))
	})
	t.Run("a form post without the flow's CSRF token is refused", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, _ := b.flow("login")
		resp := postForm(t, b, "login", f.str("id"), url.Values{"method": {"password"}, "identifier": {"jane@acme.com"}, "password": {personaPassword}, "csrf_token": {"forged"}})
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no flow to show: the error itself")
	})
	t.Run("a script sending a form still gets JSON", func(t *testing.T) {
		b := newBrowser(t, srv)
		f, csrf := b.flow("login")
		r := b.do(http.MethodPost, "/v1/flows/login/"+f.str("id")+":submit",
			url.Values{"method": {"password"}, "identifier": {"jane@acme.com"}, "password": {personaPassword}, "csrf_token": {csrf}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded")
		require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
		assert.NotEmpty(t, r.str("session", "token"))
	})
}
