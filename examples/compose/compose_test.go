package compose_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
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
	compose := composeCommand(t)
	ctx := browsertest.Browser(t)
	root, err := os.Getwd()
	require.NoError(t, err)
	root = strings.TrimSuffix(root, "/examples/compose")

	mockproc.Inputs(t, ".", root+"/Dockerfile", root+"/Makefile")
	images := exec.Command("make", "-s", "compose-images")
	images.Dir = root
	out, err := images.CombinedOutput()
	require.NoError(t, err, "make compose-images:\n%s", out)

	token := secret(t)
	mockPort, appPort, mailPort := mockproc.FreePort(t), mockproc.FreePort(t), mockproc.FreePort(t)
	project := "idflows-test-" + secret(t)[:8]
	env := append(os.Environ(), "IDFLOWS_CONTROL_TOKEN="+token, "MOCK_PORT="+mockPort, "APP_PORT="+appPort, "MAILPIT_PORT="+mailPort)
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(compose[0], append(append(compose[1:], "-p", project, "-f", root+"/examples/compose/compose.yaml"), args...)...)
		cmd.Env = env
		return cmd.CombinedOutput()
	}
	out, err = run("up", "-d")
	require.NoError(t, err, "compose up:\n%s", out)
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := run("logs", "--no-color")
			t.Logf("compose logs:\n%s", logs)
		}
		if out, err := run("down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})

	mock, app, mailpit := "http://localhost:"+mockPort, "http://localhost:"+appPort, "http://localhost:"+mailPort
	for _, ready := range []string{mock + "/_mock/ready", app + "/config.js", mailpit + "/api/v1/info"} {
		mockproc.WaitOK(t, ready, 30*time.Second)
	}

	t.Run("the control plane needs the token", func(t *testing.T) {
		assert.Equal(t, http.StatusUnauthorized, get(t, mock+"/_mock/outbox", ""))
		assert.Equal(t, http.StatusOK, get(t, mock+"/_mock/outbox", token))
	})

	email := "compose-" + secret(t)[:6] + "@example.com"
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

// composeCommand is Compose v2 (docker compose) if the engine has it, else v1 (Debian's
// docker-compose), which imagetest.RequireDocker then requires.
func composeCommand(t *testing.T) []string {
	imagetest.RequireDocker(t, "make")
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	imagetest.RequireDocker(t, "docker-compose")
	return []string{"docker-compose"}
}

func secret(t *testing.T) string {
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
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
