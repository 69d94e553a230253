package mockserver_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

// browser is one client of the mock: its own cookie jar, optional bearer token and tenant.
type browser struct {
	t      *testing.T
	srv    *mockservertest.Server
	client *http.Client
	token  string
	tenant string
}

func newBrowser(t *testing.T, srv *mockservertest.Server) *browser {
	return &browser{t: t, srv: srv, client: srv.Client()}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r response) str(path ...string) string {
	v, _ := r.get(path...).(string)
	return v
}

func (r response) get(path ...string) any {
	var cur any = r.body
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (r response) code() string { return r.str("error", "code") }

func (b *browser) do(method, path string, body any, headers ...string) response {
	b.t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	default:
		data, err := json.Marshal(v)
		require.NoError(b.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.srv.URL+path, rd)
	require.NoError(b.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	if b.tenant != "" {
		req.Header.Set("X-Mock-Tenant", b.tenant)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1] // Go sends req.Host, never a Host header
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := b.client.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(b.t, json.Unmarshal(raw, &out.body), "body: %s", raw)
	}
	require.NotEmpty(b.t, resp.Header.Get("X-Request-Id"), "every response has X-Request-Id")
	if out.status >= 400 {
		require.Equal(b.t, resp.Header.Get("X-Request-Id"), out.str("error", "request_id"))
	}
	return out
}

// flow creates a flow of kind and returns it with its CSRF token.
func (b *browser) flow(kind string, query ...string) (response, string) {
	b.t.Helper()
	path := "/v1/flows/" + kind
	if len(query) > 0 {
		path += "?" + strings.Join(query, "&")
	}
	r := b.do(http.MethodGet, path, nil)
	require.Equal(b.t, http.StatusOK, r.status, "%s", r.raw)
	return r, csrfOf(r.body)
}

func csrfOf(flow map[string]any) string {
	ui, _ := flow["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	for _, n := range nodes {
		attrs := n.(map[string]any)["attributes"].(map[string]any)
		if attrs["name"] == "csrf_token" {
			return attrs["value"].(string)
		}
	}
	return ""
}

func (b *browser) submit(kind, flowID, method string, body map[string]any) response {
	b.t.Helper()
	return b.do(http.MethodPost, "/v1/flows/"+kind+"/"+flowID+":submit", map[string]any{"method": method, "body": body})
}

// login signs in with a password and keeps the session token.
func (b *browser) login(identifier, password string) response {
	b.t.Helper()
	f, csrf := b.flow("login")
	r := b.submit("login", f.str("id"), "password", map[string]any{"identifier": identifier, "password": password, "csrf_token": csrf})
	if tok := r.str("session", "token"); tok != "" {
		b.token = tok
	}
	return r
}

const personaPassword = "Secure-Passw0rd!"

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
