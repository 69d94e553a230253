package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

const mockWaivers = "../../mockserver/conformance-waivers.yaml"

func TestConformPassesTheMock(t *testing.T) {
	srv := mockservertest.NewServer(t)
	dir := t.TempDir()
	args := []string{"conform", "--target", srv.URL, "--control", srv.URL, "--inbox", "mock",
		"--webauthn-rp-id", "localhost", "--webauthn-origin", srv.URL, "--waivers", mockWaivers}
	// The mock offers no social provider: its social cases are skipped, so the run is
	// INCOMPLETE (exit 3) unless skips are allowed — and social is never certified.
	code, out, errOut := runCLI(t, append(args, "--run", `^(login\.create\.fresh|social\.login\.redirect)$`)...)
	require.Equal(t, 3, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "INCOMPLETE (exit 3)")
	code, out, errOut = runCLI(t, append(args, "--allow-skips", "--report-dir", dir)...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "PASS: ")
	assert.Contains(t, out, "Certified profiles (every case passed or waived): core, mfa, passkeys, recovery, security\n")
	assert.Regexp(t, `(?m)^PASSED\s+login\.create\.fresh`, out, "a live line per case")
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
	srv := mockservertest.NewServer(t, mockservertest.WithFault(mockserver.FaultMissingRequestID))
	report := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := runCLI(t, "conform", "--target", srv.URL, "--control", srv.URL, "--profile", "core,mfa",
		"--waivers", mockWaivers, "--json", report)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, out, "no X-Request-Id header")
	data, err := os.ReadFile(report)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"exchanges"`, "failures keep their evidence")
	assert.NotContains(t, string(data), "avnl_ses_", "session tokens are redacted")
	assert.NotRegexp(t, regexp.MustCompile(`Cf-[0-9a-f]{16}-Qz9!`), string(data), "passwords are redacted")
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
