package mockserver_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestTransportErrors(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	f, csrf := b.flow("login")
	submit := "/v1/flows/login/" + f.str("id") + ":submit"
	valid := `{"method":"password","body":{"identifier":"jane@acme.com","password":"x","csrf_token":"` + csrf + `"}}`
	for _, tc := range []struct {
		name, method, path, body, contentType string
		status                                int
		code                                  string
	}{
		{"unknown route", "GET", "/v2/nothing", "", "", 404, "AVNOLOGY_AUTH_901"},
		{"wrong method", "PUT", "/v1/sessions/whoami", "", "", 405, "AVNOLOGY_AUTH_902"},
		{"POST on a create path", "POST", "/v1/flows/login", "", "", 405, "AVNOLOGY_AUTH_902"},
		{"GET on a submit path", "GET", submit, "", "", 405, "AVNOLOGY_AUTH_902"},
		{"wrong content type", "POST", submit, valid, "text/plain", 415, "AVNOLOGY_AUTH_902"},
		{"text body", "POST", submit, "method=password", "text/plain", 415, "AVNOLOGY_AUTH_902"},
		{"body over 1 MiB", "POST", submit, `{"method":"password","body":{"identifier":"` + strings.Repeat("a", 1<<20) + `"}}`, "application/json", 413, "AVNOLOGY_AUTH_902"},
		{"malformed JSON", "POST", submit, `{"method":`, "application/json", 400, "AVNOLOGY_AUTH_902"},
		{"empty body", "POST", submit, "", "application/json", 400, "AVNOLOGY_AUTH_902"},
		{"flat Kratos body", "POST", submit, `{"method":"password","identifier":"a","password":"b","csrf_token":"c"}`, "application/json", 400, "AVNOLOGY_AUTH_902"},
		{"unknown method", "POST", submit, `{"method":"magic","body":{"csrf_token":"c"}}`, "application/json", 400, "AVNOLOGY_AUTH_902"},
		{"malformed session id", "DELETE", "/v1/sessions/ses_nope", "", "", 400, "AVNOLOGY_AUTH_902"},
		{"bad tenant", "GET", "/v1/flows/login", "", "", 400, "AVNOLOGY_AUTH_902"},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.name == "bad tenant" {
				req.Header.Set("X-Mock-Tenant", "no spaces allowed")
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Code      string `json:"code"`
					Status    int    `json:"status"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Equal(t, tc.status, body.Error.Status)
			assert.Equal(t, tc.code, body.Error.Code)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			assert.Equal(t, resp.Header.Get("X-Request-Id"), body.Error.RequestID)
		})
	}
}

func TestCORS(t *testing.T) {
	cfg := mockservertestConfig()
	cfg.CORSOrigins = []string{"http://localhost:5173"}
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	b := newBrowser(t, srv)
	pre, err := http.NewRequestWithContext(t.Context(), http.MethodOptions, srv.URL+"/v1/flows/login", nil)
	require.NoError(t, err)
	pre.Header.Set("Origin", "http://localhost:5173")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(pre)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:5173", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))

	got := b.do(http.MethodGet, "/v1/flows/login?return_to=http://localhost:5173/home", nil, "Origin", "http://localhost:5173")
	assert.Equal(t, http.StatusOK, got.status, "a CORS origin is an allowed return_to")
	assert.Equal(t, "http://localhost:5173", got.header.Get("Access-Control-Allow-Origin"))
	other := b.do(http.MethodGet, "/v1/flows/login", nil, "Origin", "http://evil.example")
	assert.Empty(t, other.header.Get("Access-Control-Allow-Origin"))
}

func TestLoginFlowGolden(t *testing.T) {
	srv := mockservertest.NewServer(t)
	f, _ := newBrowser(t, srv).flow("login", "return_to=https://app.acme.com/dashboard")
	// The port differs per run; everything else is fixed by the clock and the seed.
	got := strings.ReplaceAll(string(f.raw), srv.URL, "http://mock.test")
	var pretty map[string]any
	require.NoError(t, json.Unmarshal([]byte(got), &pretty))
	out, err := json.MarshalIndent(pretty, "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "login_flow.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(out, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(out))
}
