package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func call(t *testing.T, method, url string, header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &body)
	return resp.StatusCode, body
}

func errorCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// Beyond loopback the control plane must be guarded or off (REQ-CTL-001).
func TestMockRefusesAnOpenControlPlaneBeyondLoopback(t *testing.T) {
	for _, listen := range []string{"0.0.0.0:0", ":0"} {
		code, _, stderr := runCLI(t, "mock", "--listen", listen)
		assert.Equal(t, exitUsage, code, listen)
		assert.Contains(t, stderr, "--control-token", listen)
		assert.Contains(t, stderr, "--no-control", listen)
	}
}

func TestMockControlToken(t *testing.T) {
	const token = "s3cret-control-token"
	m := startMockWith(t, "--listen", "0.0.0.0:0", "--control-token", token)
	url := strings.Replace(m.url, "0.0.0.0", "127.0.0.1", 1)
	warnings := strings.Count(m.stderr.String(), "WARNING: listening beyond loopback")
	assert.Equal(t, 1, warnings, "one warning line: %s", m.stderr)

	status, body := call(t, http.MethodGet, url+"/_mock/identities")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, "AVNOLOGY_AUTH_005", errorCode(body))
	status, body = call(t, http.MethodGet, url+"/_mock/identities", "X-Mock-Token", "wrong")
	assert.Equal(t, http.StatusForbidden, status)
	assert.Equal(t, "AVNOLOGY_AUTH_100", errorCode(body))
	status, _ = call(t, http.MethodGet, url+"/_mock/identities", "X-Mock-Token", token)
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, http.MethodGet, url+"/_mock/ready")
	assert.Equal(t, http.StatusOK, status, "readiness stays public")
	status, _ = call(t, http.MethodGet, url+"/v1/flows/login")
	assert.Equal(t, http.StatusOK, status, "the flow API needs no token")

	assert.Equal(t, exitOK, m.stop())
	assert.NotContains(t, m.stderr.String(), token, "the token is never printed")
}

func TestMockWithoutControlPlane(t *testing.T) {
	m := startMockWith(t, "--listen", "127.0.0.1:0", "--no-control")
	status, body := call(t, http.MethodPost, m.url+"/_mock/reset", "Content-Type", "application/json")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "AVNOLOGY_AUTH_901", errorCode(body))
	status, _ = call(t, http.MethodGet, m.url+"/_mock/health")
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, http.MethodGet, m.url+"/v1/flows/login")
	assert.Equal(t, http.StatusOK, status)
}

// A stamped binary reports its own version (the Makefile sets main.version at link time).
func TestHealthReportsTheStampedVersion(t *testing.T) {
	old := version
	version = "v9.9.9-test"
	t.Cleanup(func() { version = old })
	m := startMockWith(t, "--listen", "127.0.0.1:0")
	status, body := call(t, http.MethodGet, m.url+"/_mock/health")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "v9.9.9-test", body["version"])
}

// SIGTERM (the run's context) lets a request in flight finish, then exits 0.
func TestMockShutsDownGracefully(t *testing.T) {
	m := startMockWith(t, "--listen", "127.0.0.1:0", "--shutdown-grace", "20s")
	arm, err := http.NewRequestWithContext(t.Context(), http.MethodPost, m.url+"/_mock/faults",
		strings.NewReader(`{"operation_id":"createLoginFlow","latency_ms":800,"times":1}`))
	require.NoError(t, err)
	arm.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(arm)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	inFlight := make(chan int, 1)
	go func() {
		resp, err := http.Get(m.url + "/v1/flows/login")
		if err != nil {
			inFlight <- 0
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	// The armed fault is taken when the request reaches it: from then on it is in flight,
	// inside its 800 ms of latency.
	require.Eventually(t, func() bool { return armedFaults(t, m.url) == 0 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, exitOK, m.stop())
	assert.Equal(t, http.StatusOK, <-inFlight, "the request in flight finished")
}

func armedFaults(t *testing.T, url string) int {
	_, body := call(t, http.MethodGet, url+"/_mock/faults")
	faults, _ := body["faults"].([]any)
	return len(faults)
}

// Social providers from the command line: the built-in ones can be switched off, a real one is
// name=issuer,client_id,client_secret with the secret taken from the environment ($VAR), and
// the secret is printed nowhere.
func TestMockSocialProviderFlags(t *testing.T) {
	t.Setenv("ACME_OIDC_SECRET", "very-secret-value")
	m := startMockWith(t, "--listen", "127.0.0.1:0", "--oidc-builtin", "none",
		"--oidc-provider", "acme=https://sso.acme.test/oidc,idflows,$ACME_OIDC_SECRET")
	status, body := call(t, http.MethodGet, m.url+"/v1/flows/login")
	require.Equal(t, http.StatusOK, status)
	nodes := fmt.Sprint(body["ui"])
	assert.Contains(t, nodes, "value:acme")
	assert.NotContains(t, nodes, "value:google")
	assert.Equal(t, exitOK, m.stop())
	assert.NotContains(t, m.stderr.String(), "very-secret-value")

	var out, errOut bytes.Buffer
	code := run(t.Context(), []string{"mock", "--oidc-provider", "acme=https://sso.acme.test,idflows,$NOT_SET_ANYWHERE"}, &out, &errOut)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "NOT_SET_ANYWHERE is empty")
	code = run(t.Context(), []string{"mock", "--oidc-provider", "acme=https://sso.acme.test"}, &out, &errOut)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut.String(), "want name=issuer,client_id,client_secret")
}

// On loopback the mock prints and links http://localhost:PORT — the host a browser app on
// localhost shares cookies with — and answers on IPv6 loopback as well, where there is one.
func TestMockOnLoopbackIsLocalhost(t *testing.T) {
	m := startMockWith(t, "--listen", "127.0.0.1:0")
	require.True(t, strings.HasPrefix(m.url, "http://localhost:"), m.url)
	res, err := http.Get(m.url + "/v1/flows/login")
	require.NoError(t, err)
	var flow struct{ UI struct{ Action string } }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&flow))
	res.Body.Close()
	assert.True(t, strings.HasPrefix(flow.UI.Action, m.url+"/"), "ui.action %q is on localhost", flow.UI.Action)
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		res, err := http.Get("http://[::1]:" + strings.TrimPrefix(m.url, "http://localhost:") + "/_mock/ready")
		require.NoError(t, err, "the IPv6 loopback answers too")
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
	}
}
