package compose_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/internal/imagetest"
	"github.com/avnology/idflows/internal/mockproc"
)

// The compose example as a team uses it: `make compose-images`, then compose.yaml brought up as
// it is (on free host ports), and a browser on the app's origin signs up, asks for a code, which
// the test reads from Mailpit, and verifies the address — the cookies, CORS and the mail relay
// all for real.
func TestComposeExample(t *testing.T) {
	ctx := browsertest.Browser(t)
	token := imagetest.Secret(t)
	mockPort, appPort, mailPort := mockproc.FreePort(t), mockproc.FreePort(t), mockproc.FreePort(t)
	imagetest.Up(t, "examples/compose/compose.yaml",
		"IDFLOWS_CONTROL_TOKEN="+token, "MOCK_PORT="+mockPort, "APP_PORT="+appPort, "MAILPIT_PORT="+mailPort)

	mock, app, mailpit := "http://localhost:"+mockPort, "http://localhost:"+appPort, "http://localhost:"+mailPort
	for _, ready := range []string{mock + "/_mock/ready", app + "/config.js", mailpit + "/api/v1/info"} {
		mockproc.WaitOK(t, ready, 30*time.Second)
	}

	t.Run("the control plane needs the token", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, get(t, mock+"/_mock/outbox", ""))
		assert.Equal(t, http.StatusOK, get(t, mock+"/_mock/outbox", token))
	})

	email := "compose-" + imagetest.Secret(t)[:6] + "@example.com"
	browser, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	whoIs := func(want string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.getElementById("who").textContent === `+strconv.Quote(want), chromedp.WithPollingTimeout(15*time.Second))
	}
	require.NoError(t, chromedp.Do(browser,
		chromedp.Navigate(app+"/"),
		chromedp.WaitVisible(`body[data-ready="true"]`),
		chromedp.SendKeys(`#signup input[name="email"]`, email),
		chromedp.SendKeys(`#signup input[name="password"]`, "correct-horse-battery"),
		chromedp.Click(`#signup button`),
		whoIs(email+" (not verified)"), // the session cookie went with a cross-origin fetch
		chromedp.Click(`#send-code button`),
		chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent.startsWith("Code sent")`, chromedp.WithPollingTimeout(15*time.Second)),
	), "the app page could not sign up")

	var code string
	require.Eventually(t, func() bool {
		codes, err := conformance.Mailpit{BaseURL: mailpit}.Codes(browser, conformance.Scope{}, email)
		if err != nil || len(codes) == 0 {
			return false
		}
		code = codes[len(codes)-1]
		return true
	}, 15*time.Second, 200*time.Millisecond, "the code never reached Mailpit")

	require.NoError(t, chromedp.Do(browser,
		chromedp.SendKeys(`#verify input[name="code"]`, code),
		chromedp.Click(`#verify button`),
		whoIs(email+" (verified)"),
	), "the code from Mailpit did not verify the address")

	t.Run("a reload keeps the session", func(t *testing.T) {
		require.NoError(t, chromedp.Do(browser, chromedp.Reload(), chromedp.WaitVisible(`body[data-ready="true"]`), whoIs(email+" (verified)")))
	})
}

func get(t *testing.T, url, token string) int {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("X-Mock-Token", token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}
