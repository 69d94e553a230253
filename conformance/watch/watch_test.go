package watch_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/conformance/watch"
	"github.com/avnology/idflows/internal/origins"
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
	srv := mockservertest.NewServer(t, append([]mockservertest.Option{mockservertest.WithConfig(cfg), mockservertest.WithPublicURL(proxyURL)}, opts...)...)
	upstream, err := url.Parse(srv.URL)
	require.NoError(t, err)
	lines := &syncbuffer.Buffer{}
	allowed, err := origins.Parse(append([]string{proxyURL}, cfg.CORSOrigins...)...) // the origins the mock allows
	require.NoError(t, err)
	p, err := watch.New(upstream, lines, allowed.Allows)
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
	cov := p.Report().Coverage // what the traffic exercised, as the suite counts it
	assert.Equal(t, cov.Operations.Declared, cov.Operations.Covered, "operations never answered in conformance: %v", cov.Operations.Missing)
	assert.Equal(t, cov.ErrorPairs.Declared, cov.ErrorPairs.Covered, "error pairs never answered: %v", cov.ErrorPairs.Missing)
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

// Every deviation of the mock that its traffic shows — on one exchange, or by the flows,
// sessions and identities seen before — the proxy reports under the rule it breaks, when the
// suite's cases that catch it run through it. The table covers every deviation: the two it
// leaves out are named with what traffic cannot show.
func TestEveryDeviationIsReported(t *testing.T) {
	type row struct{ cases, rule string }
	table := map[mockserver.Deviation]row{
		mockserver.DeviationWrongCode:         {`^login\.password\.(invalid-credentials|unknown-identifier)$`, "REQ-ERR-001"},
		mockserver.DeviationWrongStatus:       {`^(login\.get\.malformed-id|schema\.createLoginFlow\.bad-query)$`, "the status 422 is not one getLoginFlow declares"},
		mockserver.DeviationMissingField:      {`^login\.create\.fresh$`, `property "expires_at" is missing`},
		mockserver.DeviationUndeclaredField:   {`^(login\.create\.fresh|sessions\.whoami\.bearer)$`, `property "debug_trace" is unsupported`},
		mockserver.DeviationMissingRequestID:  {`^(login\.create\.fresh|errors\.unknown-route)$`, "REQ-ERR-002"},
		mockserver.DeviationWrongContentType:  {`^(login\.create\.fresh|errors\.unknown-route)$`, "text/plain"},
		mockserver.DeviationCacheableSecrets:  {`^security\.cache\.no-store$`, "REQ-SEC-005"},
		mockserver.DeviationLogoutNotRevoking: {`^sessions\.logout\.revokes$`, "REQ-SES-002"},
		mockserver.DeviationCSRFNotEnforced:   {`^security\.csrf\.(missing|wrong)$`, "REQ-CSRF-002"},
		mockserver.DeviationWrongRetryAfter:   {`^security\.lockout$`, "REQ-ERR-006"},
		mockserver.DeviationAALNotRaised:      {`^mfa\.login\.(totp|lookup-secret)$`, "REQ-LOGIN-009"},
		mockserver.DeviationExpiryIgnored:     {`^login\.flow\.expired$`, "REQ-FLOW-003"},
		mockserver.DeviationEnumerationLeak:   {`^security\.enumeration\.identical-answers$`, "REQ-LOGIN-003"},
		mockserver.DeviationStepUpNotEnforced: {`^mfa\.stepup\.aal2$`, "REQ-STEPUP-001"},
		mockserver.DeviationTOTPReplay:        {`^mfa\.login\.totp-replay$`, "REQ-LOGIN-010"},
		mockserver.DeviationSecondFactorReset: {`^mfa\.login\.second-factor-lockout$`, "REQ-SEC-001"},
		mockserver.DeviationUnicodeFolding:    {`^security\.addresses\.ascii-only$`, "REQ-SEC-002"},
		mockserver.DeviationRecoveryStripsMFA: {`^recovery\.session\.keeps-second-factor$`, "REQ-SEC-003"},
		mockserver.DeviationCodeLoginSkipsMFA: {`^mfa\.login\.code-second-factor$`, "REQ-SEC-004"},
		mockserver.DeviationCORSAnyOrigin:     {`^security\.cors\.foreign-origin$`, "REQ-CSRF-005"},
		mockserver.DeviationWrongMessageIDs:   {`^(registration\.duplicate-email|verification\.code\.success|settings\.profile\.update)$`, "REQ-REG-003"},
		mockserver.DeviationSocialUnbound:     {`^social\.callback\.other-browser$`, "REQ-OIDC-004"},
		mockserver.DeviationSocialRedirect:    {`^social\.callback\.no-open-redirect$`, "REQ-OIDC-006"},
		mockserver.DeviationSocialMerge:       {`^social\.login\.not-merged$`, "REQ-OIDC-003"},
		mockserver.DeviationPKCENotVerified:   {`^oauth2\.pkce\.required$`, "REQ-OAUTH-002"},
	}
	notInTraffic := map[mockserver.Deviation]string{
		mockserver.DeviationOrgsIgnored: "who belongs to an organization is set by its administrators; no answer shows it",
		mockserver.DeviationSocialNonce: "the ID token travels from the provider to the server, never through the app",
	}
	for d := range mockserver.Deviations() {
		_, judged := table[d]
		_, excused := notInTraffic[d]
		assert.True(t, judged != excused, "deviation %s: in the table or excused, not both or neither", d)
	}
	for d, r := range table {
		t.Run("deviation="+string(d), func(t *testing.T) {
			target, p, lines := behind(t, mockservertest.WithDeviation(d))
			if d == mockserver.DeviationCodeLoginSkipsMFA {
				target.Seeder = nil // the proxy knows a second factor it saw enrolled, not one seeded behind its back
			}
			_, err := conformance.Check(t.Context(), target, conformance.Options{Run: regexp.MustCompile(r.cases)})
			require.NoError(t, err)
			p.Close()
			var rules []string
			for _, v := range responseSide(p.Summary().Violations) {
				rules = append(rules, v.Rule)
			}
			assert.True(t, slices.ContainsFunc(rules, func(rule string) bool { return strings.Contains(rule, r.rule) }),
				"no violation of %s among %q\n%s", r.rule, rules, lines)
			rep := p.Report()
			assert.Equal(t, report.Fail, rep.Summary.Outcome, "the session's report fails")
		})
	}
	// The step-up deviation also lets a stale sign-in make privileged changes.
	t.Run("deviation=step-up-not-enforced/stale", func(t *testing.T) {
		target, p, lines := behind(t, mockservertest.WithDeviation(mockserver.DeviationStepUpNotEnforced))
		_, err := conformance.Check(t.Context(), target, conformance.Options{Run: regexp.MustCompile(`^settings\.privileged\.stale$`)})
		require.NoError(t, err)
		p.Close()
		require.NotEmpty(t, responseSide(p.Summary().Violations), "%s", lines)
		assert.Contains(t, responseSide(p.Summary().Violations)[0].Rule, "REQ-STEPUP-002")
	})
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
	p, err := watch.New(u, io.Discard, nil)
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
