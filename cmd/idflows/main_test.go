package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/openapi"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestVersionPrintsTheContractHash(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "idflows ")
	assert.Contains(t, out, "commit ")
	assert.Contains(t, out, "contract sha256 "+openapi.FlowsSHA256())
}

func TestSpecWritesTheEmbeddedContract(t *testing.T) {
	code, out, _ := runCLI(t, "spec")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, string(openapi.Flows()), out)

	code, out, _ = runCLI(t, "spec", "--control")
	assert.Equal(t, exitOK, code)
	assert.Equal(t, string(openapi.Control()), out)
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no command", nil, exitUsage},
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"unknown flag", []string{"spec", "--nope"}, exitUsage},
		{"stray argument", []string{"version", "extra"}, exitUsage},
		{"help", []string{"help"}, exitOK},
		{"command help", []string{"spec", "-h"}, exitOK},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			code, _, _ := runCLI(t, tc.args...)
			assert.Equal(t, tc.code, code)
		})
	}
}

func TestMockFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"mock", "--seed", "abc"},
		{"mock", "--log-format", "xml"},
		{"mock", "--secure-cookies", "maybe"},
		{"mock", "--session-lifetime", "-1h"},
		{"mock", "--flow-lifetimes", "login=soon"},
		{"mock", "--flow-lifetimes", "checkout=5m"},
		{"mock", "--config", "/nonexistent.yaml"},
		{"mock", "--login-limit", "0"},
		{"mock", "--max-flows", "many"},
		{"mock", "--shutdown-grace", "soon"},
		{"mock", "--cors-origins", "*"},
		{"mock", "--cors-origins", "localhost:5173"},
		{"mock", "--smtp-url", "localhost:1025"},
		{"mock", "--store", "localhost:6379"},
	} {
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.NotEmpty(t, stderr)
	}
}

func TestProxyFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"proxy"},
		{"proxy", "--upstream", "localhost:4433"},
		{"proxy", "--upstream", "https://user:pw@staging.example.com"},
	} {
		code, _, stderr := runCLI(t, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Contains(t, stderr, "--upstream must be")
		assert.NotContains(t, stderr, "pw@")
	}
	for origins, why := range map[string]string{ // as the mock's --cors-origins reads them
		"*": "cannot go with credentials", "app.example.com": "is not an origin", "http://ok.example,ftp://files.example": "is not an origin",
	} {
		code, _, stderr := runCLI(t, "proxy", "--upstream", "https://staging.example.com", "--cors-origins", origins)
		assert.Equal(t, exitUsage, code, "%v", origins)
		assert.Contains(t, stderr, why)
	}
}

// A replica whose Redis does not answer does not start, and says which Redis — never with the
// password its URL carries.
func TestMockStoreThatDoesNotAnswer(t *testing.T) {
	addr := "127.0.0.1:" + mockproc.FreePort(t)
	code, _, stderr := runCLI(t, "mock", "--listen", "127.0.0.1:0", "--store", "redis://ci:hunter2-secret@"+addr+"/3")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "redis://"+addr+"/3 does not answer")
	assert.NotContains(t, stderr, "hunter2-secret")
}

func TestMockCORSWildcardOffersLocalhost(t *testing.T) {
	code, _, stderr := runCLI(t, "mock", "--cors-origins", "*")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--cors-origins: \"*\" cannot go with credentials")
	assert.Contains(t, stderr, `"localhost"`, "the error offers the development setting")
}
