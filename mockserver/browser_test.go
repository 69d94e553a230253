package mockserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// Passkeys are a browser's experience, so they are tested in one: headless Chromium with a
// virtual authenticator, a page on http://localhost rendering the mock's flows from their UI
// nodes, and the mock's own /_mock/webauthn.js running the ceremonies.
func TestPasskeysInABrowser(t *testing.T) {
	browser := browsertest.Browser(t)
	page, pageOrigin := rendererPage(t)
	cfg := mockserver.DefaultConfig()
	cfg.CORSOrigins = []string{pageOrigin}
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))

	open := func(t *testing.T, flow string) (ctx context.Context, authenticator string) {
		ctx, cancel := chromedp.NewContext(browser) // a tab of its own
		t.Cleanup(cancel)
		timed, stop := context.WithTimeout(ctx, 30*time.Second)
		t.Cleanup(stop)
		require.NoError(t, chromedp.Do(timed, chromedp.Navigate(page+"?"+url.Values{"api": {srv.URL}, "flow": {flow}}.Encode())))
		authenticator, err := browsertest.AddAuthenticator(timed, browsertest.Passkey)
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(timed, chromedp.WaitVisible(`body[data-ready="true"]`)))
		return timed, authenticator
	}
	outcome := func(t *testing.T, ctx context.Context) (status float64, body map[string]any) {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("result").textContent !== ""`))
		require.NoError(t, err, "the page never showed an outcome")
		text, err := chromedp.Run(ctx, chromedp.Text(`#result`))
		require.NoError(t, err)
		var out struct {
			Status float64        `json:"status"`
			Body   map[string]any `json:"body"`
			Error  string         `json:"error"`
		}
		require.NoError(t, json.Unmarshal([]byte(text), &out), text)
		require.Empty(t, out.Error)
		return out.Status, out.Body
	}

	t.Run("persona=passkey@acme.com signs in without an identifier", func(t *testing.T) {
		var pat fixtures.Persona
		for _, p := range fixtures.Default() {
			if p.Email == "passkey@acme.com" {
				pat = p
			}
		}
		id, err := base64.RawURLEncoding.DecodeString(pat.Passkeys[0].ID)
		require.NoError(t, err)
		key, err := base64.StdEncoding.DecodeString(pat.Passkeys[0].PrivateKey)
		require.NoError(t, err)
		ctx, authenticator := open(t, "login")
		require.NoError(t, browsertest.AddCredential(ctx, authenticator, browsertest.Credential{
			CredentialID: id, IsResidentCredential: true, RpID: "localhost", PrivateKey: key, UserHandle: []byte(pat.ID),
		}))
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[name="webauthn_login_trigger"]`)))
		status, body := outcome(t, ctx)
		require.EqualValues(t, http.StatusOK, status, "%v", body)
		session := body["session"].(map[string]any)
		assert.Equal(t, pat.ID, session["identity_id"])
		assert.Equal(t, "aal2", session["authenticator_assurance_level"])
	})

	t.Run("flow=registration signs up with a new passkey", func(t *testing.T) {
		ctx, _ := open(t, "registration")
		require.NoError(t, chromedp.Do(ctx, chromedp.SendKeys(`#traits\.email`, "browser@example.com")))
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[name="webauthn_register_trigger"]`)))
		status, body := outcome(t, ctx)
		require.EqualValues(t, http.StatusOK, status, "%v", body)
		session := body["session"].(map[string]any)
		assert.Equal(t, "browser@example.com", session["identity"].(map[string]any)["email"])
		assert.Equal(t, "webauthn", session["authentication_methods"].([]any)[0].(map[string]any)["method"])
	})
}

// rendererPage serves testdata/renderer.html on a localhost origin (WebAuthn refuses IPs).
func rendererPage(t *testing.T) (page, origin string) {
	html, err := os.ReadFile("testdata/renderer.html")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(html)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin = "http://localhost:" + port
	return origin + "/", origin
}
