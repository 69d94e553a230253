package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/imagetest"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

const mockWaivers = "../../mockserver/conformance-waivers.yaml"

func TestConformPassesTheMock(t *testing.T) {
	srv := mockservertest.NewServer(t)
	dir := t.TempDir()
	args := []string{"conform", "--target", srv.URL, "--control", srv.URL, "--inbox", "mock",
		"--webauthn-rp-id", "localhost", "--webauthn-origin", srv.URL, "--waivers", mockWaivers}
	// Without --control the social cases cannot drive the mock's provider: skipped, so the run
	// is INCOMPLETE (exit 3) unless skips are allowed — and social is not certified.
	code, out, errOut := runCLI(t, "conform", "--target", srv.URL, "--inbox", "mock", "--oidc-provider", "google",
		"--run", `^(login\.create\.fresh|social\.login\.complete)$`)
	require.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "INCOMPLETE (exit 3)")
	code, out, errOut = runCLI(t, append(args, "--report-dir", dir)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "PASS: ")
	assert.Contains(t, out, "Certified profiles (every case passed or waived): core, mfa, passkeys, social, recovery, security, oauth2, control\n")
	assert.NotContains(t, out, "login.create.fresh", "passing cases are quiet by default")
	code, out, _ = runCLI(t, append(args, "--allow-skips", "--verbose", "--run", `^login\.create\.fresh$`)...)
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `(?m)^\[1/1\] PASSED\s+login\.create\.fresh`, out, "--verbose: a live line per case, with progress")
	var rep struct {
		Summary struct {
			Ok     bool `json:"ok"`
			Passed int  `json:"passed"`
		} `json:"summary"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &rep))
	assert.True(t, rep.Summary.Ok)
	assert.Positive(t, rep.Summary.Passed)
	for _, f := range []string{"junit.xml", "report.html"} {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Positive(t, info.Size(), f)
	}
}

// A mock that breaks the contract fails the run, and the evidence it keeps has no secrets.
func TestConformFailsAFaultyMock(t *testing.T) {
	srv := mockservertest.NewServer(t, mockservertest.WithDeviation(mockserver.DeviationMissingRequestID))
	report := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := runCLI(t, "conform", "--target", srv.URL, "--control", srv.URL, "--profile", "core,mfa",
		"--waivers", mockWaivers, "--json", report)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "no X-Request-Id header")
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"exchanges"`, "failures keep their evidence")
	assert.NotRegexp(t, regexp.MustCompile(`avnl_ses_[A-Za-z0-9_-]{8,}`), string(data), "session tokens are redacted")
	assert.NotRegexp(t, regexp.MustCompile(`Cf-[0-9a-f]{16}-Qz9!`), string(data), "passwords are redacted")
}

// A deployment with an app registered beforehand is certified for "Sign in with Avnology"
// without a control plane: the suite plays that app, and its confidential secret comes from the
// environment and never reaches the report. The cases that move the clock or deny consent (a
// first-party app is never asked) are skipped, and say why.
func TestConformOAuth2WithARegisteredApp(t *testing.T) {
	srv := mockservertest.NewServer(t)
	t.Setenv("IDFLOWS_OAUTH2_CLIENT_SECRET", "sk_test_first-party-secret")
	report := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := runCLI(t, "conform", "--target", srv.URL, "--profile", "oauth2", "--allow-skips", "--json", report,
		"--oauth2-client-id", "cli_first_party", "--oauth2-redirect-uri", "http://localhost:3000/callback")
	assert.Equal(t, exitOK, code, out)
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"oauth2.code.sign-in"`)
	assert.Contains(t, out, "first-party: it is never asked for consent")
	assert.NotContains(t, string(data), "sk_test_first-party-secret")
	assert.NotRegexp(t, regexp.MustCompile(`auth_code_[A-Za-z0-9_-]{8,}|rt_[A-Za-z0-9_-]{20,}`), string(data), "codes and refresh tokens are redacted")
}

func TestConformUsageErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	badWaivers := filepath.Join(t.TempDir(), "w.yaml")
	require.NoError(t, os.WriteFile(badWaivers, []byte("waivers:\n  - {case: no.such.case, reason: x}\n"), 0o600))
	for name, args := range map[string][]string{
		"no target":          {"conform"},
		"unreachable target": {"conform", "--target", closed},
		"not a URL":          {"conform", "--target", "ftp://example.com"},
		"bad regexp":         {"conform", "--target", closed, "--run", "("},
		"no case selected":   {"conform", "--target", closed, "--run", "^nothing$"},
		"unknown profile":    {"conform", "--target", closed, "--profile", "everything"},
		"unknown waiver":     {"conform", "--target", closed, "--waivers", badWaivers},
		"missing waivers":    {"conform", "--target", closed, "--waivers", "/nonexistent.yaml"},
		"bad inbox":          {"conform", "--target", closed, "--inbox", "pigeon"},
		"bad header":         {"conform", "--target", closed, "--header", "no colon"},
		"bad parallel":       {"conform", "--target", closed, "--parallel", "0"},
		"half a party":       {"conform", "--target", closed, "--webauthn-rp-id", "localhost"},
		"half an app":        {"conform", "--target", closed, "--oauth2-client-id", "cli_x"},
		"credentials in URL": {"conform", "--target", "https://user:secret@id.example.com"},
	} {
		t.Run("case="+name, func(t *testing.T) {
			code, _, errOut := runCLI(t, args...)
			assert.Equal(t, exitUsage, code)
			assert.NotEmpty(t, strings.TrimSpace(errOut))
		})
	}
}

func TestConformList(t *testing.T) {
	code, out, _ := runCLI(t, "conform", "--list", "--profile", "mfa")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "mfa.login.totp")
	assert.NotContains(t, out, "login.create.fresh")
}

// A control plane or inbox that does not answer stops the run before any case, naming the flag.
func TestConformDeadCapabilities(t *testing.T) {
	srv := mockservertest.NewServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	for flag, args := range map[string][]string{
		"--control": {"--control", closed},
		"--inbox":   {"--inbox", "mailpit=" + closed},
	} {
		code, out, errOut := runCLI(t, append([]string{"conform", "--target", srv.URL}, args...)...)
		assert.Equal(t, exitUsage, code, flag)
		assert.Contains(t, errOut, "ERROR: "+flag+" does not answer", flag)
		assert.NotContains(t, out, "PASSED", "no case ran")
	}
}

// Values of --header (gateway keys, a gateway's basic auth) never reach a report or the
// terminal, and a gateway's Authorization leaves the suite's sessions working (they go as the
// avnl_session cookie).
func TestConformHeaderValuesStaySecret(t *testing.T) {
	srv := mockservertest.NewServer(t, mockservertest.WithDeviation(mockserver.DeviationMissingRequestID))
	dir := t.TempDir()
	const key, basic = "gw-key-supersecret-7", "Basic Z2F0ZTpzdXBlcnNlY3JldA=="
	code, out, errOut := runCLI(t, "conform", "--target", srv.URL, "--control", srv.URL, "--inbox", "mock",
		"--profile", "core,security", "--header", "X-Gateway-Key: "+key, "--header", "Authorization: "+basic, "--report-dir", dir)
	require.Equal(t, exitFailure, code, "%s", errOut)
	for name, text := range map[string]string{"stdout": out, "stderr": errOut} {
		assert.NotContains(t, text, key, name)
		assert.NotContains(t, text, "Z2F0ZTpzdXBlcnNlY3JldA", name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 3)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.NotContains(t, string(data), key, e.Name())
		assert.NotContains(t, string(data), "Z2F0ZTpzdXBlcnNlY3JldA", e.Name())
		if e.Name() == "report.json" {
			assert.Contains(t, string(data), `"X-Gateway-Key": [`, "the header's name stays as evidence")
		}
	}

	// Behind a gateway's Authorization, sessions still work: a clean mock passes.
	clean := mockservertest.NewServer(t)
	code, out, errOut = runCLI(t, "conform", "--target", clean.URL, "--control", clean.URL, "--profile", "core",
		"--header", "Authorization: "+basic, "--waivers", mockWaivers)
	assert.Equal(t, exitOK, code, "%s\n%s", out, errOut)
}

// Staging without a control plane: the suite makes what it needs through the API, reads codes
// from an inbox (the mock's outbox stands in for Mailpit) and takes a disabled account from
// --accounts; every case runs but those that move the clock (and social sign-in, which the
// mock does not offer), and each skip names the flag that would let it run.
func TestConformStagingMode(t *testing.T) {
	srv := mockservertest.NewServer(t)
	code, out, errOut := runCLI(t, "conform", "--target", srv.URL, "--inbox", "mock", "--accounts", "../../fixtures/accounts.yaml",
		"--webauthn-rp-id", "localhost", "--webauthn-origin", srv.URL, "--verbose")
	require.Equal(t, 3, code, "INCOMPLETE: the clock cases cannot run\n%s\n%s", out, errOut)
	skipped := regexp.MustCompile(`(?m)^\[\s*\d+/\d+\] SKIPPED\s+(\S+)\s+\d+ ms\s+(.*)$`).FindAllStringSubmatch(out, -1)
	require.NotEmpty(t, skipped)
	for _, s := range skipped {
		assert.Regexp(t, `^needs --control \(it moves the target's clock\)|^needs --oidc-provider|^needs --control \(the mock's built-in providers\)|^needs --control \(it forces errors\)|^needs --control \(it seeds organizations\)|^needs --oauth2-client-id`, s[2], s[1])
	}
	assert.Contains(t, out, " 0 failed, ")
	assert.Regexp(t, `(?m)^\[\s*\d+/\d+\] PASSED\s+login\.password\.disabled`, out, "the disabled account came from --accounts")
	assert.Regexp(t, `(?m)^\[\s*\d+/\d+\] PASSED\s+mfa\.login\.totp\s`, out, "an MFA identity made through the API")
}

// QA commits its settings in a file whose keys are the flags' names; flags on the command line
// win over it.
func TestConformConfigFile(t *testing.T) {
	srv := mockservertest.NewServer(t)
	dir := t.TempDir()
	config := filepath.Join(dir, "conform.yaml")
	require.NoError(t, os.WriteFile(config, []byte("target: http://127.0.0.1:1\ncontrol: "+srv.URL+"\nallow-skips: true\n"+
		"run: ^(login\\.create\\.fresh|social\\.login\\.redirect)$\nheader:\n  - 'X-Team: qa'\n  - 'X-Env: staging'\njson: "+filepath.Join(dir, "r.json")+"\n"), 0o600))
	// The mock sits behind a recording proxy, so the headers the file lists can be seen arriving.
	var mu sync.Mutex
	seen := http.Header{}
	target, _ := url.Parse(srv.URL)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		for _, k := range []string{"X-Team", "X-Env"} {
			if v := r.Header.Get(k); v != "" {
				seen.Set(k, v)
			}
		}
		mu.Unlock()
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	code, out, errOut := runCLI(t, "conform", "--config", config, "--target", proxy.URL)
	require.Equal(t, exitOK, code, "%s\n%s", out, errOut)
	data, err := os.ReadFile(filepath.Join(dir, "r.json"))
	require.NoError(t, err)
	assert.Contains(t, string(data), `"allow_skips": true`)
	mu.Lock()
	assert.Equal(t, http.Header{"X-Team": {"qa"}, "X-Env": {"staging"}}, seen, "a list repeats the flag")
	mu.Unlock()

	require.NoError(t, os.WriteFile(config, []byte("targte: x\n"), 0o600))
	code, _, errOut = runCLI(t, "conform", "--config", config)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, `unknown key "targte"`)
}

// An image is certified without deploying it: conform starts it, runs the suite against it
// (with its control plane, as it is an idflows mock), keeps its log beside the report and
// removes it; an image that never answers is exit 2 with its last log lines.
func TestConformCertifiesAnImage(t *testing.T) {
	image := imagetest.Build(t, "../..")
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "conform", "--image", image, "--run", `^(login\.create\.fresh|social\.login\.complete|security\.csrf\.missing)$`, "--report-dir", dir)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "PASS: 3 cases")
	log, err := os.ReadFile(filepath.Join(dir, "container.log"))
	require.NoError(t, err)
	assert.Contains(t, string(log), "idflows mock ready on")

	code, _, errOut = runCLI(t, "conform", "--image", image, "--image-arg=--no-such-flag", "--image-timeout", "10s")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "did not become ready")
	assert.Contains(t, errOut, "-webauthn-rp-id string", "the image's last log lines (the end of its usage)")
}
