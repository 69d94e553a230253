package oidcprovider_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

const redirectURI = "http://app.test/callback"

// start serves a provider at /oidc/google on loopback, with one test account.
func start(t *testing.T, now func() time.Time) (*oidcprovider.Provider, *httptest.Server) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := oidcprovider.New(oidcprovider.Config{
		Issuer: srv.URL + "/oidc/google", Name: "Google", Now: now,
		Clients: []oidcprovider.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{redirectURI}}},
	})
	require.NoError(t, err)
	mux.Handle("/oidc/google/", p)
	_, err = p.Accounts.Add(t.Context(), "", oidcprovider.Account{Email: "ada@example.com", Name: "Ada", EmailVerified: true})
	require.NoError(t, err)
	return p, srv
}

// rp is a relying party built from well-kept libraries: discovery and ID-token verification
// with go-oidc, the code flow with PKCE with x/oauth2.
type rp struct {
	cfg      oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func newRP(t *testing.T, issuer string) rp {
	provider, err := oidc.NewProvider(t.Context(), issuer)
	require.NoError(t, err, "discovery")
	return rp{
		cfg: oauth2.Config{ClientID: "app", ClientSecret: "s3cret", RedirectURL: redirectURI, Endpoint: provider.Endpoint(),
			Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: provider.Verifier(&oidc.Config{ClientID: "app", SupportedSigningAlgs: []string{oidc.ES256}}),
	}
}

// noRedirects is a browser that stops at the first redirect, to read where it goes.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func follow(t *testing.T, u string) *url.URL {
	resp, err := noRedirects.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "want a redirect back to the client")
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc
}

func TestCodeFlowWithPKCEAndNonce(t *testing.T) {
	_, srv := start(t, time.Now)
	rp := newRP(t, srv.URL+"/oidc/google")
	verifier := oauth2.GenerateVerifier()
	authURL := rp.cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"), oauth2.SetAuthURLParam("login_hint", "ada@example.com"))

	back := follow(t, authURL)
	assert.Equal(t, "st4te", back.Query().Get("state"))
	code := back.Query().Get("code")
	require.NotEmpty(t, code)

	tok, err := rp.cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(t.Context(), raw)
	require.NoError(t, err, "signature, issuer, audience and expiry check out")
	assert.Equal(t, "n0nce", idt.Nonce)
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	require.NoError(t, idt.Claims(&claims))
	assert.Equal(t, "ada@example.com", claims.Email)
	assert.True(t, claims.EmailVerified)
	assert.WithinDuration(t, time.Now().Add(time.Hour), idt.Expiry, time.Minute)

	provider, err := oidc.NewProvider(t.Context(), srv.URL+"/oidc/google")
	require.NoError(t, err)
	info, err := provider.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, idt.Subject, info.Subject)

	_, err = rp.cfg.Exchange(t.Context(), code, oauth2.VerifierOption(verifier))
	assert.ErrorContains(t, err, "invalid_grant", "a code is single use")
}

func TestTheProviderRefuses(t *testing.T) {
	clock := time.Now()
	p, srv := start(t, func() time.Time { return clock })
	rp := newRP(t, srv.URL+"/oidc/google")
	authorize := func(opts ...oauth2.AuthCodeOption) string {
		return follow(t, rp.cfg.AuthCodeURL("st", append(opts, oauth2.SetAuthURLParam("login_hint", "ada@example.com"))...)).Query().Get("code")
	}

	t.Run("a wrong PKCE verifier", func(t *testing.T) {
		code := authorize(oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
		_, err := rp.cfg.Exchange(t.Context(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
		assert.ErrorContains(t, err, "invalid_grant")
	})
	t.Run("an expired code", func(t *testing.T) {
		code := authorize()
		clock = clock.Add(oidcprovider.CodeLifetime + time.Second)
		_, err := rp.cfg.Exchange(t.Context(), code)
		assert.ErrorContains(t, err, "invalid_grant")
	})
	t.Run("a wrong client secret", func(t *testing.T) {
		code := authorize()
		bad := rp.cfg
		bad.ClientSecret = "guess"
		_, err := bad.Exchange(t.Context(), code)
		assert.ErrorContains(t, err, "invalid_client")
	})
	t.Run("an unregistered redirect URI is answered, never redirected to", func(t *testing.T) {
		evil := rp.cfg
		evil.RedirectURL = "http://evil.test/steal"
		resp, err := noRedirects.Get(evil.AuthCodeURL("st"))
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
	})
	t.Run("no openid scope", func(t *testing.T) {
		plain := rp.cfg
		plain.Scopes = []string{"email"}
		back := follow(t, plain.AuthCodeURL("st"))
		assert.Equal(t, "invalid_scope", back.Query().Get("error"))
		assert.Equal(t, "st", back.Query().Get("state"))
	})
	t.Run("a selected account completes the next authorization only", func(t *testing.T) {
		bob, err := p.Accounts.Add(t.Context(), "tenant-b", oidcprovider.Account{Email: "bob@example.com"})
		require.NoError(t, err)
		selected, err := p.Accounts.Select(t.Context(), "tenant-b", bob.Email)
		require.NoError(t, err)
		require.True(t, selected)
		back := follow(t, rp.cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("realm", "tenant-b")))
		assert.NotEmpty(t, back.Query().Get("code"))
		resp, err := noRedirects.Get(rp.cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("realm", "tenant-b")))
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, "the next one shows the page")
	})
}

// The page a person sees: the realm's accounts, a form to create one, and a way to say no.
func TestTheAuthorizePage(t *testing.T) {
	_, srv := start(t, time.Now)
	rp := newRP(t, srv.URL+"/oidc/google")
	authURL := rp.cfg.AuthCodeURL("st", oidc.Nonce("n"))
	resp, err := http.Get(authURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "ada@example.com")
	assert.Contains(t, string(body), `name="action" value="create"`)

	form := url.Values{}
	for k, v := range map[string]string{"response_type": "code", "client_id": "app", "redirect_uri": redirectURI, "scope": "openid email", "state": "st", "nonce": "n"} {
		form.Set(k, v)
	}
	post := func(extra url.Values) *http.Response {
		v := url.Values{}
		for k, x := range form {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		resp, err := noRedirects.Post(srv.URL+"/oidc/google/authorize", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
		require.NoError(t, err)
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	created := post(url.Values{"action": {"create"}, "email": {"grace@example.com"}, "name": {"<Grace>"}})
	require.Equal(t, http.StatusSeeOther, created.StatusCode)
	loc, _ := url.Parse(created.Header.Get("Location"))
	tok, err := rp.cfg.Exchange(context.Background(), loc.Query().Get("code"))
	require.NoError(t, err)
	idt, err := rp.verifier.Verify(t.Context(), tok.Extra("id_token").(string))
	require.NoError(t, err)
	var claims struct{ Email, Name string }
	require.NoError(t, idt.Claims(&claims))
	assert.Equal(t, "grace@example.com", claims.Email)
	assert.Equal(t, "<Grace>", claims.Name)

	denied := post(url.Values{"action": {"deny"}})
	loc, _ = url.Parse(denied.Header.Get("Location"))
	assert.Equal(t, "access_denied", loc.Query().Get("error"))
	assert.Equal(t, "st", loc.Query().Get("state"))

	bad := post(url.Values{"action": {"create"}, "email": {"not an address"}})
	assert.Equal(t, http.StatusBadRequest, bad.StatusCode)
}

// A seeded provider signs with the same key every run.
func TestSeededKeyIsReproducible(t *testing.T) {
	a, err := oidcprovider.KeyFrom(ids.NewSeeded(42).Read)
	require.NoError(t, err)
	b, err := oidcprovider.KeyFrom(ids.NewSeeded(42).Read)
	require.NoError(t, err)
	assert.True(t, a.Equal(b))
}
