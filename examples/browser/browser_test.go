package browser_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/internal/syncbuffer"
)

// The README's "Use it from a browser app" setups, each as a team runs it: `idflows mock` as a
// real process started with the README's command plus one flag, index.html on
// http://localhost:PORT, and headless Chromium signing in as jane, reloading (still signed in)
// and signing out.
func TestBrowserAppSetups(t *testing.T) {
	if testing.Short() {
		t.Skip("drives a browser, Vite and mock processes; run without -short")
	}
	browsertest.Chromium(t)
	mockproc.Inputs(t, ".", "../nextjs")
	bin := mockproc.Build(t)

	t.Run("a page calling the mock, its origin in --cors-origins", func(t *testing.T) {
		page, origin := servePage(t)
		mock := mockproc.Start(t, bin, "--cors-origins", origin)
		signInStaysSignedIn(t, page+"?api="+url.QueryEscape(mock.URL))
	})

	t.Run("a page calling the mock, --cors-origins localhost", func(t *testing.T) {
		page, _ := servePage(t)
		mock := mockproc.Start(t, bin, "--cors-origins", "localhost")
		signInStaysSignedIn(t, page+"?api="+url.QueryEscape(mock.URL))
	})

	t.Run("Vite, its proxy in front of the mock, --base-url the page's origin", func(t *testing.T) {
		port := mockproc.FreePort(t)
		mock := mockproc.Start(t, bin, "--base-url", "http://localhost:"+port)
		startDevServer(t, ".", "vite", nil, port+"/", mock.URL)
		signInStaysSignedIn(t, "http://localhost:"+port+"/")
	})

	t.Run("Next.js, a rewrite in front of the mock, --base-url the page's origin", func(t *testing.T) {
		port := mockproc.FreePort(t)
		mock := mockproc.Start(t, bin, "--base-url", "http://localhost:"+port)
		startDevServer(t, "../nextjs", "next", []string{"dev", "-p", port}, port+"/app.html", mock.URL)
		signInStaysSignedIn(t, "http://localhost:"+port+"/app.html")
	})

	t.Run("an origin nobody configured: the page cannot sign in, and the mock says how to fix it", func(t *testing.T) {
		page, origin := servePage(t)
		mock := mockproc.Start(t, bin) // the flag forgotten
		ctx := open(t, page+"?api="+url.QueryEscape(mock.URL))
		require.NoError(t, chromedp.Do(ctx,
			chromedp.SendKeys(`input[name="identifier"]`, "jane@acme.com"),
			chromedp.SendKeys(`input[name="password"]`, "Secure-Passw0rd!"),
			chromedp.Click(`#login button`),
			chromedp.Poll[chromedp.Void](`document.getElementById("error").textContent !== ""`, chromedp.WithPollingTimeout(15*time.Second)),
		))
		assert.Eventually(t, func() bool { return strings.Contains(mock.Stderr.String(), "--cors-origins "+origin) }, 5*time.Second, 50*time.Millisecond,
			"the mock's log names the flag and the origin:\n%s", mock.Stderr)
		assert.Equal(t, 1, strings.Count(mock.Stderr.String(), "not in --cors-origins"), "one hint line per origin:\n%s", mock.Stderr)

		req, err := http.NewRequest(http.MethodOptions, mock.URL+"/v1/flows/login", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Contains(t, string(body), `"code":"AVNOLOGY_AUTH_100"`)
		assert.Contains(t, string(body), "--cors-origins "+origin, "the preflight's error in the envelope names the flag")
	})
}

// signInStaysSignedIn drives the page: sign in as jane, reload, still jane; sign out.
func signInStaysSignedIn(t *testing.T, page string) {
	t.Helper()
	ctx := open(t, page)
	who := func(want string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](`document.getElementById("who").textContent === "`+want+`"`, chromedp.WithPollingTimeout(15*time.Second))
	}
	var problem string
	err := chromedp.Do(ctx,
		who("nobody"),
		chromedp.SendKeys(`input[name="identifier"]`, "jane@acme.com"),
		chromedp.SendKeys(`input[name="password"]`, "Secure-Passw0rd!"),
		chromedp.Click(`#login button`),
		who("jane@acme.com"),
	)
	if err != nil {
		problem, _ = chromedp.Run(ctx, chromedp.Text[string](`#error`))
	}
	require.NoError(t, err, "signing in: %s", problem)
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(`body[data-ready="true"]`), who("jane@acme.com")),
		"a reload keeps the session cookie")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`#logout`), who("nobody")))
}

func open(t *testing.T, page string) context.Context {
	ctx, cancel := context.WithTimeout(browsertest.Browser(t), 60*time.Second)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(`body[data-ready="true"]`)), "opening %s", page)
	return ctx
}

// servePage serves index.html on a localhost origin, as any static server would.
func servePage(t *testing.T) (page, origin string) {
	html, err := os.ReadFile("index.html")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(html)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	origin = "http://localhost:" + port
	return origin + "/", origin
}

// startDevServer runs a dev server of dir's node_modules (npm ci --prefix installs it) with PORT
// and IDFLOWS_URL, and waits until localhost:page answers.
func startDevServer(t *testing.T, dir, name string, args []string, page, mockURL string) {
	t.Helper()
	bin := filepath.Join(dir, "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("IDFLOWS_REQUIRE_BROWSER") != "" {
			t.Fatalf("%s is not installed: npm ci --prefix %s", name, filepath.Clean(filepath.Join("examples/browser", dir)))
		}
		t.Skipf("%s is not installed: npm ci --prefix %s", name, filepath.Clean(filepath.Join("examples/browser", dir)))
	}
	cmd := exec.Command(filepath.Join("node_modules", ".bin", name), args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a dev server starts workers: stop them all
	cmd.WaitDelay = 5 * time.Second
	port, _, _ := strings.Cut(page, "/")
	cmd.Env = append(os.Environ(), "PORT="+port, "IDFLOWS_URL="+mockURL, "NEXT_TELEMETRY_DISABLED=1")
	out := &syncbuffer.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); _ = cmd.Wait() })
	mockproc.WaitOK(t, "http://localhost:"+page, 60*time.Second)
}
