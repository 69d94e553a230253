package mockserver_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
	"github.com/avnology/idflows/mockserver/oidcprovider"
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

// The mock is a relying party of any provider, not only its own: here a second, independently
// started instance of the built-in provider, on its own port, plays a real one configured with
// --oidc-provider (discovery, token and keys over the network).
func TestExternalProvider(t *testing.T) {
	mux := http.NewServeMux()
	ext := httptest.NewServer(mux)
	t.Cleanup(ext.Close)
	cfg := mockserver.DefaultConfig()
	cfg.OIDC = mockserver.OIDC{BuiltIn: []string{}, External: []mockserver.OIDCProvider{{
		Name: "acme", Issuer: ext.URL + "/oidc", ClientID: "mock-at-acme", ClientSecret: "s3cret"}}}
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	// A real provider runs on real time, whatever the mock's clock says: no Now here.
	idp, err := oidcprovider.New(oidcprovider.Config{Issuer: ext.URL + "/oidc", Name: "Acme SSO",
		Clients: []oidcprovider.Client{{ID: "mock-at-acme", Secret: "s3cret", RedirectURIs: []string{srv.URL + "/v1/flows/oidc/callback/acme"}}}})
	require.NoError(t, err)
	mux.Handle("/oidc/", idp)
	_, err = idp.Accounts.Add(t.Context(), "", oidcprovider.Account{Email: "grace@acme.test", Name: "Grace Hopper", EmailVerified: true})
	require.NoError(t, err)

	b := newBrowser(t, srv)
	f, csrf := b.flow("login")
	assert.Contains(t, string(f.raw), `"value":"acme"`, "the login flow offers the configured provider")
	assert.NotContains(t, string(f.raw), `"value":"google"`, "and no built-in one")
	r := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "acme", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	auth := r.str("redirect", "url")
	require.True(t, strings.HasPrefix(auth, ext.URL+"/oidc/authorize?"), auth)
	assert.NotContains(t, auth, "realm=", "a real provider is sent no realm")

	resp := get(t, b, auth+"&login_hint=grace%40acme.test") // the provider knows the person
	require.Equal(t, http.StatusFound, resp.StatusCode)
	resp = get(t, b, resp.Header.Get("Location"))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	me := b.do(http.MethodGet, "/v1/sessions/whoami", nil)
	require.Equal(t, http.StatusOK, me.status, "%s", me.raw)
	assert.Equal(t, "grace@acme.test", me.str("identity", "email"))
	assert.Equal(t, "Grace", me.str("identity", "traits", "name", "first"))
}

// Tests sign in with a provider without its page: the control plane seeds a test account in
// the tenant and makes it the next authorization's; a reset forgets the tenant's accounts.
func TestSocialAccountsThroughTheControlPlane(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	b.tenant = "social-tenant"
	r := b.do(http.MethodPost, "/_mock/social/google/accounts", map[string]any{"email": "lin@example.com", "name": "Lin", "next": true})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)
	assert.NotEmpty(t, r.str("sub"))

	f, csrf := b.flow("login")
	redirect := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "google", "csrf_token": csrf})
	resp := get(t, b, redirect.str("redirect", "url"))
	require.Equal(t, http.StatusFound, resp.StatusCode, "no page: the seeded account completes the authorization")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, resp.Header.Get("Location"), nil)
	require.NoError(t, err)
	req.Header.Set("X-Mock-Tenant", "social-tenant")
	back, err := b.client.Do(req)
	require.NoError(t, err)
	back.Body.Close()
	require.Equal(t, http.StatusSeeOther, back.StatusCode)
	assert.Equal(t, "lin@example.com", b.do(http.MethodGet, "/v1/sessions/whoami", nil).str("identity", "email"))

	journal := b.do(http.MethodGet, "/_mock/journal", nil)
	assert.Contains(t, string(journal.raw), "/_mock/oidc/google/authorize", "the tenant's journal shows the browser at its provider")

	list := b.do(http.MethodGet, "/_mock/social/google/accounts", nil)
	assert.Contains(t, string(list.raw), "lin@example.com")
	other := newBrowser(t, srv)
	assert.NotContains(t, string(other.do(http.MethodGet, "/_mock/social/google/accounts", nil).raw), "lin@example.com", "accounts are per tenant")

	require.Equal(t, http.StatusNoContent, b.do(http.MethodPost, "/_mock/reset", nil, "Content-Type", "application/json").status)
	assert.NotContains(t, string(b.do(http.MethodGet, "/_mock/social/google/accounts", nil).raw), "lin@example.com", "a reset forgets them")
	assert.Equal(t, http.StatusNotFound, b.do(http.MethodGet, "/_mock/social/myspace/accounts", nil).status)
}

// Settings link a provider account to a signed-in identity (then it signs in with it), and
// unlink it — but never the last way in (D11).
func TestLinkAndUnlinkInSettings(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	require.Equal(t, http.StatusOK, b.login("jane@acme.com", personaPassword).status)
	f, csrf := b.flow("settings")
	assert.Contains(t, string(f.raw), `"name":"link","node_type":"input","type":"submit","value":"google"`)
	r := b.submit("settings", f.str("id"), "oidc", map[string]any{"link": "google", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	auth, err := url.Parse(r.str("redirect", "url"))
	require.NoError(t, err)
	form := auth.Query()
	form.Set("action", "create")
	form.Set("email", "jane.personal@gmail.test")
	resp, err := b.client.PostForm(srv.URL+auth.Path, form)
	require.NoError(t, err)
	resp.Body.Close()
	back := get(t, b, resp.Header.Get("Location"))
	require.Equal(t, http.StatusSeeOther, back.StatusCode)
	assert.Contains(t, back.Header.Get("Location"), "/ui/settings?flow="+f.str("id"))
	linked := b.do(http.MethodGet, "/v1/flows/settings/"+f.str("id"), nil)
	assert.Equal(t, "success", linked.str("state"))
	assert.Contains(t, string(linked.raw), `"name":"unlink","node_type":"input","type":"submit","value":"google"`)

	other := newBrowser(t, srv) // the linked account now signs jane in
	require.Equal(t, http.StatusSeeOther, get(t, other, socialSignInExisting(t, other, "jane.personal@gmail.test")).StatusCode)
	assert.Equal(t, "jane@acme.com", other.do(http.MethodGet, "/v1/sessions/whoami", nil).str("identity", "email"))

	r = b.submit("settings", f.str("id"), "oidc", map[string]any{"unlink": "google", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	assert.Contains(t, string(r.raw), `"name":"link","node_type":"input","type":"submit","value":"google"`)

	social := newBrowser(t, srv) // an identity whose only way in is Google cannot unlink it
	require.Equal(t, http.StatusSeeOther, get(t, social, socialSignIn(t, social, "registration", "only-google@example.com")).StatusCode)
	sf, scsrf := social.flow("settings")
	r = social.submit("settings", sf.str("id"), "oidc", map[string]any{"unlink": "google", "csrf_token": scsrf})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "AVNOLOGY_AUTH_902", r.code())
}

// socialSignInExisting signs in from a new login flow with a test account the provider
// already has, by its email (login_hint), and returns the callback URL.
func socialSignInExisting(t *testing.T, b *browser, email string) string {
	t.Helper()
	f, csrf := b.flow("login")
	r := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "google", "csrf_token": csrf})
	require.Equal(t, http.StatusOK, r.status, "%s", r.raw)
	resp := get(t, b, r.str("redirect", "url")+"&login_hint="+url.QueryEscape(email))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	return resp.Header.Get("Location")
}

// An identity seeded with a social account signs in with it straight away.
func TestSeedIdentityWithASocialAccount(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	r := b.do(http.MethodPost, "/_mock/identities", map[string]any{"email": "kim@example.com", "password": "whatever-it-is",
		"social_accounts": []map[string]any{{"provider": "github", "email": "kim@github.test"}}})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)
	assert.Contains(t, string(r.raw), `"oidc"`, "the summary lists the linked account")

	f, csrf := b.flow("login")
	redirect := b.submit("login", f.str("id"), "oidc", map[string]any{"provider": "github", "csrf_token": csrf})
	resp := get(t, b, redirect.str("redirect", "url")+"&login_hint=kim%40github.test")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.Equal(t, http.StatusSeeOther, get(t, b, resp.Header.Get("Location")).StatusCode)
	assert.Equal(t, "kim@example.com", b.do(http.MethodGet, "/v1/sessions/whoami", nil).str("identity", "email"))
}
