package mockserver_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// The inspector as a developer uses it, in headless Chromium, on a mock whose control plane is
// guarded by a token: closed without it, opened by /_mock/?token=…; it shows the personas with
// their MFA, the code a flow just sent, moves the clock, and switches tenant.
func TestInspectorInABrowser(t *testing.T) {
	const token = "inspector-test-token"
	cfg := mockserver.DefaultConfig()
	cfg.Control.Token = token
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	ctx, cancel := context.WithTimeout(browsertest.Browser(t), 60*time.Second)
	defer cancel()
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text[string](sel))
		require.NoError(t, err, sel)
		return s
	}

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_mock/"), chromedp.WaitReady(`body`)))
	assert.Contains(t, text(`body`), "AVNOLOGY_AUTH_005", "without the token the inspector is closed")

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/_mock/?token="+token), chromedp.WaitVisible(`#identities`)))
	url, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href`))
	require.NoError(t, err)
	assert.NotContains(t, url, token, "the token leaves the address bar")
	identities := text(`#identities`)
	assert.Contains(t, identities, "jane@acme.com")
	mfaRow := text(`tr[data-identity="usr_00000000-0000-4000-8000-000000000005"]`)
	assert.Contains(t, mfaRow, "totp")
	assert.Contains(t, mfaRow, "on", "MFA state is shown")

	// A code sent by a flow shows up in the outbox.
	client := newBrowser(t, srv)
	f, csrf := client.flow("verification")
	require.Equal(t, http.StatusOK, client.submit("verification", f.str("id"), "code", map[string]any{"email": "jane@acme.com", "csrf_token": csrf}).status)
	code := srv.LastCode("jane@acme.com")
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#outbox`)))
	assert.Contains(t, text(`#outbox`), code)
	assert.Contains(t, text(`#flows`), "sent_email", "the flow's state")
	own, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`[...document.querySelectorAll('#journal td:nth-child(2)')].some((td) => td.textContent.includes('/_mock/inspector') || td.textContent.trim() === 'GET /_mock/')`))
	require.NoError(t, err)
	assert.False(t, own, "the inspector's own page loads are not the tenant's traffic")
	assert.Contains(t, text(`#journal`), "submitVerificationFlow")
	screenshot(t, ctx, "inspector")

	// The clock moves by the hour.
	before := text(`#now`)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[data-advance="3600"]`)))
	var after string
	require.Eventually(t, func() bool { // the button reloads the page
		after, _ = chromedp.Run(ctx, chromedp.Text[string](`#now`))
		return after != "" && after != before
	}, 10*time.Second, 100*time.Millisecond)
	b, err := time.Parse("2006-01-02 15:04:05", before)
	require.NoError(t, err)
	a, err := time.Parse("2006-01-02 15:04:05", after)
	require.NoError(t, err)
	assert.Equal(t, time.Hour, a.Sub(b).Round(time.Minute))

	// Another tenant, made by a test's request, can be picked.
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/v1/flows/login", nil)
	require.NoError(t, err)
	req.Header.Set("X-Mock-Tenant", "team-b")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`#tenant`),
		chromedp.SetValue(`#tenant`, "team-b"), chromedp.Submit(`form.tenant`),
		chromedp.WaitVisible(`body[data-tenant="team-b"]`)))
	assert.NotContains(t, text(`#outbox`), code, "team-b's outbox is its own")
	assert.Contains(t, text(`#flows`), "login")

	// A tenant nobody has used yet is opened by name, from the personas.
	require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(`#new-tenant`, "fresh-team"), chromedp.Submit(`form.new-tenant`),
		chromedp.WaitVisible(`body[data-tenant="fresh-team"]`)))
	assert.Contains(t, text(`#identities`), "jane@acme.com")
	assert.Contains(t, text(`#flows`), "None.")
}

// The pages a person sees, in a desktop and a phone viewport: every control is visible and the
// page never needs sideways scrolling. The screenshots are kept (IDFLOWS_SCREENSHOT_DIR), and
// the README's is refreshed with IDFLOWS_UPDATE_SCREENSHOTS=1.
func TestAccountPagesLayout(t *testing.T) {
	srv := mockservertest.NewServer(t)
	var ctx context.Context
	signIn := func() {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/ui/login"), chromedp.WaitVisible(`input[name="identifier"]`),
			chromedp.SendKeys(`input[name="identifier"]`, "jane@acme.com"),
			chromedp.SendKeys(`input[name="password"]`, "Secure-Passw0rd!"),
			chromedp.Click(`button[name="method"][value="password"]`),
			chromedp.WaitVisible(`section[data-signed-in="true"]`)))
	}
	for _, vp := range []struct {
		name          string
		width, height int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(browsertest.Browser(t), 60*time.Second) // signed out again
		defer cancel()
		for _, p := range []struct{ name, path, ready string }{
			{"login", "/ui/login", `section[data-flow-type="login"]`},
			{"registration", "/ui/registration", `section[data-flow-type="registration"]`},
			{"recovery", "/ui/recovery", `section[data-flow-type="recovery"]`},
			{"settings", "/ui/settings", `form[data-group="totp"] img`},
			{"account", "/ui/", `section[data-signed-in="true"]`},
		} {
			if p.name == "settings" {
				signIn()
			}
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+p.path), chromedp.EmulateViewport(vp.width, vp.height), chromedp.WaitVisible(p.ready)), p.name)
			layout, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`(() => {
				const hidden = [...document.querySelectorAll('main button, main input:not([type=hidden]), main img, main a')]
					.filter((el) => { const r = el.getBoundingClientRect(); return r.width < 8 || r.height < 8 || r.right > innerWidth + 1; })
					.map((el) => el.outerHTML.slice(0, 80));
				return {overflow: document.documentElement.scrollWidth - innerWidth, hidden, controls: document.querySelectorAll('main button').length};
			})()`))
			require.NoError(t, err)
			assert.LessOrEqual(t, layout["overflow"], float64(0), "%s/%s scrolls sideways", vp.name, p.name)
			assert.Empty(t, layout["hidden"], "%s/%s: controls cut off or invisible", vp.name, p.name)
			assert.Greater(t, layout["controls"], float64(0), "%s/%s has buttons", vp.name, p.name)
			screenshot(t, ctx, vp.name+"-"+p.name)
		}
	}
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	if dir := os.Getenv("IDFLOWS_SCREENSHOT_DIR"); dir != "" {
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
	}
	if readme := name == "desktop-login" || name == "inspector"; readme && os.Getenv("IDFLOWS_UPDATE_SCREENSHOTS") != "" {
		require.NoError(t, os.WriteFile(filepath.Join("..", "docs", "screenshots", name+".png"), png, 0o644))
	}
}
