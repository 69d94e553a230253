package mockserver_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

func mockservertestConfig() mockserver.Config { return mockserver.DefaultConfig() }

func TestControlPlane(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)

	t.Run("case=health and ready", func(t *testing.T) {
		for _, p := range []string{"/_mock/health", "/_mock/ready"} {
			r := b.do(http.MethodGet, p, nil)
			assert.Equal(t, http.StatusOK, r.status)
			assert.Regexp(t, `^[0-9a-f]{64}$`, r.str("contract_sha256"))
		}
	})
	t.Run("case=seed, list, conflict", func(t *testing.T) {
		r := b.do(http.MethodPost, "/_mock/identities", map[string]any{"email": "new@acme.com", "password": "x", "locked": true})
		require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)
		assert.Equal(t, true, r.get("locked"))
		assert.Equal(t, http.StatusConflict, b.do(http.MethodPost, "/_mock/identities", map[string]any{"email": "new@acme.com"}).status)
		assert.Equal(t, http.StatusBadRequest, b.do(http.MethodPost, "/_mock/identities", map[string]any{"email": "x"}).status)
		list := b.do(http.MethodGet, "/_mock/identities", nil)
		assert.Len(t, list.get("identities").([]any), len(fixtures.Default())+1)
		assert.Equal(t, http.StatusLocked, newBrowser(t, srv).login("new@acme.com", "x").status, "seeded as locked")
	})
	t.Run("case=tenants are isolated", func(t *testing.T) {
		other := newBrowser(t, srv)
		other.tenant = "team-b"
		assert.Len(t, other.do(http.MethodGet, "/_mock/identities", nil).get("identities").([]any), len(fixtures.Default()), "fixtures only")
		other.do(http.MethodPost, "/_mock/clock:advance", map[string]any{"seconds": 3600})
		assert.NotEqual(t, other.do(http.MethodGet, "/_mock/clock", nil).str("now"), b.do(http.MethodGet, "/_mock/clock", nil).str("now"))
	})
	t.Run("case=reset", func(t *testing.T) {
		srv.Reset()
		assert.Len(t, b.do(http.MethodGet, "/_mock/identities", nil).get("identities").([]any), len(fixtures.Default()))
	})
	t.Run("case=clock", func(t *testing.T) {
		r := b.do(http.MethodPut, "/_mock/clock", map[string]any{"now": "2030-01-01T00:00:00Z"})
		assert.Equal(t, "2030-01-01T00:00:00Z", r.str("now"))
		f, _ := b.flow("login")
		assert.Equal(t, "2030-01-01T00:30:00Z", f.str("expires_at"))
		assert.Equal(t, "Tue, 01 Jan 2030 00:00:00 GMT", f.header.Get("Date"), "the answer's Date is the tenant's clock")
		srv.Reset()
	})
	t.Run("case=Prefer forces a listed error", func(t *testing.T) {
		r := b.do(http.MethodGet, "/v1/flows/login", nil, "Prefer", "error=AVNOLOGY_AUTH_017")
		assert.Equal(t, http.StatusBadRequest, r.status)
		assert.Equal(t, "AVNOLOGY_AUTH_017", r.code())
		assert.Equal(t, "AVNOLOGY_AUTH_017", r.header.Get("X-Mock-Forced"), "a forced answer says so")
		unlisted := b.do(http.MethodGet, "/v1/flows/login", nil, "Prefer", "error=AVNOLOGY_AUTH_102")
		assert.Equal(t, http.StatusOK, unlisted.status, "createLoginFlow does not list _102")
		assert.Empty(t, unlisted.header.Get("X-Mock-Forced"))
	})
	t.Run("case=faults", func(t *testing.T) {
		r := b.do(http.MethodPost, "/_mock/faults", map[string]any{"operation_id": "createRegistrationFlow", "error_code": "AVNOLOGY_AUTH_304", "times": 1})
		require.Equal(t, http.StatusCreated, r.status, "%s", r.raw)
		assert.Len(t, b.do(http.MethodGet, "/_mock/faults", nil).get("faults").([]any), 1)
		assert.Equal(t, "AVNOLOGY_AUTH_304", b.do(http.MethodGet, "/v1/flows/registration", nil).code())
		assert.Equal(t, http.StatusOK, b.do(http.MethodGet, "/v1/flows/registration", nil).status, "used up")
		bad := b.do(http.MethodPost, "/_mock/faults", map[string]any{"operation_id": "getSession", "error_code": "AVNOLOGY_AUTH_304"})
		assert.Equal(t, http.StatusBadRequest, bad.status)
	})
	t.Run("case=journal", func(t *testing.T) {
		r := b.do(http.MethodGet, "/_mock/journal?limit=2", nil)
		entries := r.get("entries").([]any)
		require.Len(t, entries, 2)
		assert.Equal(t, "armFault", entries[0].(map[string]any)["operation_id"])
	})
	t.Run("case=outbox", func(t *testing.T) {
		r := b.do(http.MethodGet, "/_mock/outbox", nil)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, http.StatusUnsupportedMediaType, b.do(http.MethodDelete, "/_mock/outbox", nil).status, "a state change must say it is JSON")
		assert.Equal(t, http.StatusNoContent, b.do(http.MethodDelete, "/_mock/outbox", nil, "Content-Type", "application/json").status)
	})
}

func TestConfiguredLifetimes(t *testing.T) {
	cfg := mockservertestConfig()
	cfg.FlowLifetimes = map[string]time.Duration{"login": 5 * time.Minute}
	cfg.SessionLifetime = time.Hour
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	b := newBrowser(t, srv)
	f, _ := b.flow("login")
	assert.Equal(t, mockservertest.Start.Add(5*time.Minute).Format(time.RFC3339), f.str("expires_at"))
	r := b.login("jane@acme.com", personaPassword)
	assert.Equal(t, mockservertest.Start.Add(time.Hour).Format(time.RFC3339), r.str("session", "expires_at"))
}

// The control plane answers only the mock's own Host names, so a page cannot rebind a DNS name
// to it, and refuses state changes a cross-site form or "simple" request could send
// (REQ-CTL-002).
func TestControlPlaneRefusesForeignHostsAndSimpleRequests(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	r := b.do(http.MethodGet, "/_mock/identities", nil, "Host", "rebound.attacker.test")
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Equal(t, "AVNOLOGY_AUTH_100", r.code())
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, "/_mock/identities", nil, "Host", "localhost:4433").status)
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, "/_mock/health", nil, "Host", "rebound.attacker.test").status, "health is public")
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, "/v1/flows/login", nil, "Host", "rebound.attacker.test").status, "the flow API is not guarded")

	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/_mock/reset", nil)
		require.NoError(t, err)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode, "Content-Type %q", ct)
	}
	r = b.do(http.MethodPost, "/_mock/reset", "", "Content-Type", "application/json")
	assert.Equal(t, http.StatusNoContent, r.status)
}
