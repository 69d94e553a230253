package watch_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/conformance/watch"
	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver"
)

// A person signs in through the proxy in headless Chromium, on the mock's own account pages
// (plain HTML forms posting to the API), against a deployment that leaves out X-Request-Id:
// the sign-in works as it would without the proxy, and the session's HTML report shows the
// broken rule on submitLoginFlow — without the password.
func TestASignInThroughTheProxyInABrowser(t *testing.T) {
	ctx, cancel := context.WithTimeout(browsertest.Browser(t), 60*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	proxyURL := "http://localhost:" + port // the public URL: pages and forms come back through the proxy
	cfg := mockserver.DefaultConfig()
	cfg.BaseURL = proxyURL
	mock, err := mockserver.New(cfg, mockserver.WithDeviation(mockserver.DeviationMissingRequestID))
	require.NoError(t, err)
	upstream := httptest.NewServer(mock)
	t.Cleanup(upstream.Close)
	u, err := url.Parse(upstream.URL)
	require.NoError(t, err)
	p, err := watch.New(u, io.Discard, nil)
	require.NoError(t, err)
	hs := &http.Server{Handler: p}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(proxyURL+"/ui/login"),
		chromedp.WaitVisible(`section[data-flow-type="login"]`),
		chromedp.SendKeys(`input[name="identifier"]`, "jane@acme.com"),
		chromedp.SendKeys(`input[name="password"]`, "Secure-Passw0rd!"),
		chromedp.Click(`button[name="method"][value="password"]`),
		chromedp.WaitVisible(`section[data-signed-in="true"]`),
	))

	p.Close()
	var page bytes.Buffer
	require.NoError(t, report.HTML(&page, p.Report()))
	assert.Contains(t, page.String(), "traffic.submitLoginFlow")
	assert.Contains(t, page.String(), "X-Request-Id")
	assert.NotContains(t, page.String(), "Secure-Passw0rd!")
}
