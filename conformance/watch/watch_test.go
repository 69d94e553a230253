package watch_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/conformance/watch"
	"github.com/avnology/idflows/internal/syncbuffer"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// behind starts a mock (with opts) and the proxy in front of it, and returns the suite's target
// through the proxy — the control plane straight at the mock — and the proxy.
func behind(t *testing.T, opts ...mockservertest.Option) (conformance.Target, *watch.Proxy, *syncbuffer.Buffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	proxyURL := "http://" + ln.Addr().String()
	cfg := mockserver.DefaultConfig()
	cfg.ReturnTo = append(cfg.ReturnTo, proxyURL) // the app's origin is the proxy's
	cfg.WebAuthn.Origins = []string{proxyURL}     // passkeys are made on the proxy's origin
	srv := mockservertest.NewServer(t, append([]mockservertest.Option{mockservertest.WithConfig(cfg)}, opts...)...)
	upstream, err := url.Parse(srv.URL)
	require.NoError(t, err)
	lines := &syncbuffer.Buffer{}
	p, err := watch.New(upstream, lines)
	require.NoError(t, err)
	hs := &http.Server{Handler: p}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })

	target := conformance.Target{BaseURL: proxyURL, WebAuthn: &conformance.RelyingParty{ID: "localhost", Origin: proxyURL}}
	ctl, err := conformance.NewMockControl(srv.URL, nil, "")
	require.NoError(t, err)
	ctl.Use(&target)
	return target, p, lines
}

func responseSide(vs []watch.Violation) []watch.Violation {
	var out []watch.Violation
	for _, v := range vs {
		if v.Side == "response" {
			out = append(out, v)
		}
	}
	return out
}

// In front of the healthy mock, during a whole suite run, the proxy sees nothing wrong with
// any answer; the suite's deliberately broken requests are the client's doing, and reported as
// such.
func TestTheHealthyMockBreaksNothing(t *testing.T) {
	target, p, lines := behind(t)
	rep := conformance.Run(t, target, conformance.Options{})
	require.Equal(t, report.Pass, rep.Summary.Outcome, rep.Summary.Reason)
	p.Close()
	sum := p.Summary()
	assert.Greater(t, sum.Exchanges, 1000)
	assert.Empty(t, responseSide(sum.Violations), "%s", lines)
	assert.NotEmpty(t, sum.Violations, "the suite's negative cases send requests that break the contract")
	for _, v := range sum.Violations {
		assert.Equal(t, "request", v.Side)
	}
}

// In front of a mock that answers the wrong error codes, the proxy reports them, naming the
// operation, as they happen.
func TestAWrongCodeIsReported(t *testing.T) {
	target, p, lines := behind(t, mockservertest.WithDeviation(mockserver.DeviationWrongCode))
	_, err := conformance.Check(t.Context(), target, conformance.Options{Run: regexp.MustCompile(`^login\.password\.`)})
	require.NoError(t, err)
	p.Close()
	found := responseSide(p.Summary().Violations)
	require.NotEmpty(t, found, "%s", lines)
	assert.Equal(t, "submitLoginFlow", found[0].Operation)
	assert.Contains(t, found[0].Rule, "x-error-codes")
	assert.Contains(t, lines.String(), "VIOLATION submitLoginFlow POST ")
	assert.NotContains(t, lines.String(), "Secure-Passw0rd!", "no secret on the terminal")
}

// Every deviation an exchange shows — on its own or by the flows and sessions before it — the
// proxy reports when the suite's cases that catch it run through it. (Those only a clock or
// a comparison of answers shows — an expired flow still usable, enumeration — it does not.)
func TestEveryOneExchangeDeviationIsReported(t *testing.T) {
	for d, cases := range map[mockserver.Deviation]string{
		mockserver.DeviationWrongCode:        `^login\.password\.(invalid-credentials|unknown-identifier)$`,
		mockserver.DeviationWrongStatus:      `^(login\.get\.malformed-id|schema\.createLoginFlow\.bad-query)$`,
		mockserver.DeviationMissingField:     `^login\.create\.fresh$`,
		mockserver.DeviationUndeclaredField:  `^(login\.create\.fresh|sessions\.whoami\.bearer)$`,
		mockserver.DeviationMissingRequestID: `^(login\.create\.fresh|errors\.unknown-route)$`,
		mockserver.DeviationWrongContentType: `^(login\.create\.fresh|errors\.unknown-route)$`,
		mockserver.DeviationCacheableSecrets: `^security\.cache\.no-store$`,
		// Judged by the exchanges before it: a session answered after its logout.
		mockserver.DeviationLogoutNotRevoking: `^sessions\.logout\.revokes$`,
		mockserver.DeviationCSRFNotEnforced:   `^security\.csrf\.(missing|wrong)$`,
		mockserver.DeviationWrongRetryAfter:   `^security\.lockout$`,
		mockserver.DeviationAALNotRaised:      `^mfa\.login\.(totp|lookup-secret)$`,
	} {
		t.Run("deviation="+string(d), func(t *testing.T) {
			target, p, lines := behind(t, mockservertest.WithDeviation(d))
			_, err := conformance.Check(t.Context(), target, conformance.Options{Run: regexp.MustCompile(cases)})
			require.NoError(t, err)
			p.Close()
			assert.NotEmpty(t, responseSide(p.Summary().Violations), "%s", lines)
			rep := p.Report()
			assert.Equal(t, report.Fail, rep.Summary.Outcome, "the session's report fails")
		})
	}
}

// A hostile upstream cannot make the proxy hold more than its bounds or change an answer: a
// huge body streams through unjudged (and counted), a body nested too deep is judged without
// being walked, and the client gets every byte as sent.
func TestAHostileUpstreamStaysBounded(t *testing.T) {
	huge := bytes.Repeat([]byte("a"), watch.MaxResponseBody+1000)
	deep := []byte(strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000))
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_1")
		switch r.URL.Path {
		case "/v1/flows/login":
			_, _ = w.Write(huge)
		default:
			_, _ = w.Write(deep)
		}
	}))
	t.Cleanup(upstream.Close)
	u, err := url.Parse(upstream.URL)
	require.NoError(t, err)
	p, err := watch.New(u, io.Discard)
	require.NoError(t, err)
	p.Annotate = true
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)

	for path, want := range map[string][]byte{"/v1/flows/login": huge, "/v1/sessions/whoami": deep} {
		res, err := http.Get(front.URL + path)
		require.NoError(t, err)
		got, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s: the answer is passed on byte for byte", path)
		if path == "/v1/sessions/whoami" {
			assert.Contains(t, res.Header.Get("X-Idflows-Violations"), "nests deeper", "--annotate names the violation")
		}
	}
	p.Close()
	sum := p.Summary()
	assert.Equal(t, 2, sum.Exchanges)
	assert.Equal(t, 1, sum.NotJudged, "the huge body was not judged")
}
