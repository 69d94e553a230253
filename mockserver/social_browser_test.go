package mockserver_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// "Continue with Google" as a person does it, in headless Chromium: a page on another origin
// renders the login flow, its Google button sends the browser to the mock's provider, where the
// person creates an account, and the provider sends the browser back through the mock's
// callback to the page's return_to, signed in. Then the person links Google in settings.
func TestContinueWithGoogleInABrowser(t *testing.T) {
	browser := browsertest.Browser(t)
	page, pageOrigin := rendererPage(t)
	cfg := mockserver.DefaultConfig()
	cfg.CORSOrigins, cfg.UIURL = []string{pageOrigin}, pageOrigin
	api := mockservertest.NewServer(t, mockservertest.WithLocalhost(), mockservertest.WithConfig(cfg)).URL
	ctx, stop := context.WithTimeout(browser, 60*time.Second)
	t.Cleanup(stop)
	whoami := func() map[string]any {
		me, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`fetch(`+quote(api+"/v1/sessions/whoami")+`, {credentials: "include"}).then((r) => r.json())`,
			chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		return me
	}
	atProvider := func(email string) {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.WaitVisible(`input[name="email"]`), // the provider's page, on the mock
			chromedp.SetValue(`input[name="email"]`, email),
			chromedp.Click(`button[value="create"]`)))
	}
	// poll waits until expr holds, across the navigations the redirects make (an evaluation
	// during one fails; the next one sees the new page).
	poll := func(expr, why string) {
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
			if err == nil && ok {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s: never true: %s (last error: %v)", why, expr, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}

	done := pageOrigin + "/done"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(page+"?"+url.Values{"api": {api}, "flow": {"login"}, "return_to": {done}}.Encode()),
		chromedp.WaitVisible(`body[data-ready="true"]`),
		chromedp.Click(`button[name="provider"][value="google"]`)))
	atProvider("chromium@example.com")
	poll(`location.href === `+quote(done), "back on return_to")
	me := whoami()
	identity, _ := me["identity"].(map[string]any)
	require.NotNil(t, identity, "%v", me)
	assert.Equal(t, "chromium@example.com", identity["email"])

	// Sign in with a password account and link Google to it from settings.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(`+quote(api+"/v1/sessions/whoami")+`, {method: "DELETE", credentials: "include"}).then((r) => r.status)`,
		chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, status, "logged out")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(page+"?"+url.Values{"api": {api}, "flow": {"login"}}.Encode()),
		chromedp.WaitVisible(`body[data-ready="true"]`),
		chromedp.SetValue(`#identifier`, "jane@acme.com"), chromedp.SetValue(`#password`, personaPassword),
		chromedp.Click(`button[name="method"][value="password"]`)))
	poll(`document.getElementById("result").textContent.includes('"session"')`, "signed in with the password")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(page+"?"+url.Values{"api": {api}, "flow": {"settings"}}.Encode()),
		chromedp.WaitVisible(`body[data-ready="true"]`),
		chromedp.Click(`button[name="link"][value="google"]`)))
	atProvider("jane.personal@gmail.test")
	poll(`location.pathname === "/settings" && document.body.dataset.ready === "true"`, "the mock sends the browser back to its UI URL")
	linked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('button[name="unlink"][value="google"]') ? "unlink offered" : document.body.innerHTML`))
	require.NoError(t, err)
	assert.Equal(t, "unlink offered", linked)
}

// localhostMock serves a mock whose base URL is http://localhost:PORT, so that it and a page
// on another localhost port are the same site and the browser keeps its cookies.

func quote(s string) string { return `"` + s + `"` }
