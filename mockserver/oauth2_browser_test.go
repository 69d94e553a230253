package mockserver_test

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// "Sign in with Avnology" as a person does it, in headless Chromium: an app on another origin
// links to the mock's /oauth2/auth; the mock's login page signs the person in, its consent
// page asks them, and the browser comes back to the app, whose backend redeems the code with
// its PKCE verifier and shows the email of the ID token it verified.
func TestSignInWithAvnologyInABrowser(t *testing.T) {
	browser := browsertest.Browser(t)
	srv := mockservertest.NewServer(t, mockservertest.WithLocalhost())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	appOrigin := "http://" + ln.Addr().String() // 127.0.0.1: another origin than the mock's localhost
	ctl := newBrowser(t, srv)
	r := ctl.do(http.MethodPost, "/_mock/oauth2/clients", map[string]any{"client_id": "cli_browser_app", "client_name": "Browser App",
		"redirect_uris": []string{appOrigin + "/callback"}})
	require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)

	provider, err := oidc.NewProvider(oidc.ClientContext(t.Context(), srv.Client()), srv.URL)
	require.NoError(t, err)
	cfg := oauth2.Config{ClientID: "cli_browser_app", Endpoint: provider.Endpoint(), RedirectURL: appOrigin + "/callback",
		Scopes: []string{oidc.ScopeOpenID, "email"}}
	verifier, state := oauth2.GenerateVerifier(), "st-"+fmt.Sprint(time.Now().UnixNano())
	app := http.NewServeMux()
	app.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!doctype html><a id="signin" href="%s">Sign in with Avnology</a>`,
			html.EscapeString(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-browser"))))
	})
	app.HandleFunc("GET /callback", func(w http.ResponseWriter, r *http.Request) { // the app's backend
		if r.URL.Query().Get("state") != state {
			http.Error(w, "wrong state", http.StatusBadRequest)
			return
		}
		ctx := oidc.ClientContext(r.Context(), srv.Client())
		tok, err := cfg.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: srv.Clock().Now}).Verify(ctx, raw)
		var claims struct{ Email, Nonce string }
		if err == nil {
			err = idt.Claims(&claims)
		}
		if err != nil || claims.Nonce != "n-browser" {
			http.Error(w, fmt.Sprint("the ID token: ", err), http.StatusBadGateway)
			return
		}
		fmt.Fprintf(w, `<!doctype html><p id="email">%s</p>`, html.EscapeString(claims.Email))
	})
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: app}}
	hs.Start()
	t.Cleanup(hs.Close)

	ctx, stop := context.WithTimeout(browser, 60*time.Second)
	t.Cleanup(stop)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(appOrigin+"/"),
		chromedp.Click(`#signin`),
		chromedp.WaitVisible(`section[data-flow-type="login"]`), // the mock's login page
		chromedp.SendKeys(`input[name="identifier"]`, "jane@acme.com"),
		chromedp.SendKeys(`input[name="password"]`, "Secure-Passw0rd!"),
		chromedp.Click(`button[name="method"][value="password"]`),
		chromedp.WaitVisible(`section.consent`), // the mock's consent page
	))
	consentTitle, err := chromedp.Run(ctx, chromedp.Text[string](`#client-name`))
	require.NoError(t, err)
	assert.Equal(t, "Browser App", consentTitle)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`#allow`), chromedp.WaitVisible(`#email`))) // back at the app
	email, err := chromedp.Run(ctx, chromedp.Text[string](`#email`))
	require.NoError(t, err)
	assert.Equal(t, "jane@acme.com", email)
}
