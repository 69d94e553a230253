package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// The mock's memory is bounded across tenants (REQ-CTL-003): a request that would hold more
// than the capacity gets 429 _021 in the envelope, and no tenant's live state is dropped.
func TestCapacityIsGlobalAndRefusesRatherThanEvicts(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.Capacity = mockserver.Capacity{Flows: 10, Sessions: 100, Identities: 100}
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	mine := newBrowser(t, srv)
	mine.tenant = "mine"
	f, _ := mine.flow("login")

	noisy := newBrowser(t, srv)
	var refused response
	for i := range 20 {
		noisy.tenant = fmt.Sprintf("noisy-%d", i%3)
		if r := noisy.do(http.MethodGet, "/v1/flows/login", nil); r.status != http.StatusOK {
			refused = r
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, refused.status, "%s", refused.raw)
	assert.Equal(t, "AVNOLOGY_AUTH_021", refused.code())
	assert.Equal(t, "60", refused.header.Get("Retry-After"))
	assert.EqualValues(t, 10, refused.get("error", "details", "limit"))

	again := mine.do(http.MethodGet, "/v1/flows/login/"+f.str("id"), nil)
	assert.Equal(t, http.StatusOK, again.status, "the first tenant's flow is still there")
}

// A client opening tenants in a loop is refused once every tenant is in use; it never wipes
// the worlds others are working in.
func TestTenantChurnCannotWipeOthers(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.MaxTenants = 3
	srv := mockservertest.NewServer(t, mockservertest.WithConfig(cfg))
	mine := newBrowser(t, srv)
	mine.tenant = "mine"
	require.Equal(t, http.StatusOK, mine.login("jane@acme.com", personaPassword).status)

	churn := newBrowser(t, srv)
	var refused response
	for i := range 10 {
		churn.tenant = fmt.Sprintf("churn-%d", i)
		if r := churn.do(http.MethodGet, "/v1/flows/login", nil); r.status != http.StatusOK {
			refused = r
			break
		}
	}
	require.Equal(t, http.StatusTooManyRequests, refused.status, "%s", refused.raw)
	assert.Equal(t, "AVNOLOGY_AUTH_021", refused.code())
	assert.NotEmpty(t, refused.header.Get("Retry-After"))
	assert.Equal(t, http.StatusOK, mine.do(http.MethodGet, "/v1/sessions/whoami", nil).status, "my session survived the churn")

	srv.Clock().Advance(2 * time.Minute) // every tenant idle: the least recently used gives way
	churn.tenant = "churn-late"
	assert.Equal(t, http.StatusOK, churn.do(http.MethodGet, "/v1/flows/login", nil).status)
}

// New tenants copy the personas' password hashes instead of hashing again, so that creating
// one costs no password hashing, whatever the configured hash cost. Measured in bytes
// allocated: Argon2id allocates its memory parameter for every hash.
func TestNewTenantsDoNotHashPasswords(t *testing.T) {
	cfg := mockserver.DefaultConfig()
	cfg.PasswordHashMemoryKiB = 16 << 10 // 16 MiB per hash
	srv, err := mockserver.New(cfg, mockserver.WithLogger(discardLogger()))
	require.NoError(t, err)
	const tenants = 5
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range tenants {
		req := httptest.NewRequest(http.MethodGet, "/v1/sessions/whoami", nil)
		req.Header.Set("X-Mock-Tenant", fmt.Sprintf("t%d", i))
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	runtime.ReadMemStats(&after)
	perTenant := (after.TotalAlloc - before.TotalAlloc) / tenants
	assert.Less(t, perTenant, uint64(2<<20), "a new tenant allocated %d bytes: it hashed passwords", perTenant)
}
