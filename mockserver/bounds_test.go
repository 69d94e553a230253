package mockserver_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
	"github.com/avnology/idflows/openapi/contract"
)

func nested(depth int) string { return strings.Repeat("[", depth) + strings.Repeat("]", depth) }

// Every operation with a body refuses JSON nested deeper than 64 levels with 400 _902, before
// schema validation and before any session or CSRF check (REQ-ERR-009).
func TestDeepJSONIsRefused(t *testing.T) {
	srv := mockservertest.NewServer(t)
	b := newBrowser(t, srv)
	flows, err := contract.Flows()
	require.NoError(t, err)
	control, err := contract.Control()
	require.NoError(t, err)
	for _, ctr := range []*contract.Contract{flows, control} {
		for _, op := range ctr.Operations() {
			if op.Op.RequestBody == nil {
				continue
			}
			for _, body := range []string{nested(10_000), `{"method":"password","body":{"identifier":` + nested(65) + `}}`} {
				r := b.do(op.Method, samplePath(op.Path), body)
				assert.Equal(t, http.StatusBadRequest, r.status, "%s %s", op.ID, r.raw)
				assert.Equal(t, "AVNOLOGY_AUTH_902", r.code(), op.ID)
				assert.Contains(t, string(r.raw), "at most 64 levels", op.ID)
			}
		}
	}
	// 64 levels are allowed: the schema, not the bound, refuses this body.
	f, csrf := b.flow("login")
	r := b.do("POST", "/v1/flows/login/"+f.str("id")+":submit",
		`{"method":"password","body":{"csrf_token":"`+csrf+`","password":"x","identifier":`+nested(62)+`}}`)
	assert.Equal(t, "AVNOLOGY_AUTH_902", r.code())
	assert.NotContains(t, string(r.raw), "at most 64 levels")
}

// samplePath fills a path template with values its parameters' patterns accept.
func samplePath(template string) string {
	r := strings.NewReplacer("{flow_id}", "f1a2b3c4-d5e6-4890-abcd-ef1234567890",
		"{session_id}", "ses_f1a2b3c4-d5e6-4890-abcd-ef1234567890", "{provider}", "google",
		"{identity_id}", "usr_00000000-0000-4000-8000-000000000001")
	return r.Replace(template)
}

// The cost of refusing a hostile body is linear in its size: the bytes allocated per request,
// measured (not timed) at depths 10 to 10,000, stay within a constant per byte of body. Before
// the bound, depth 1,000 allocated 154 MB and depth 3,000 1.4 GB.
func TestDeepJSONCostIsLinear(t *testing.T) {
	srv, err := mockserver.New(mockserver.DefaultConfig(), mockserver.WithLogger(discardLogger()))
	require.NoError(t, err)
	shapes := map[string]func(n int) string{
		"deep": nested,
		"deep in a field": func(n int) string {
			return `{"method":"password","body":{"csrf_token":"x","password":"x","identifier":` + nested(n) + `}}`
		},
		"wide": func(n int) string { // n nested arrays side by side: every one a schema error
			return `{"method":"password","body":{"csrf_token":"x","password":"x","identifier":[` + strings.TrimSuffix(strings.Repeat(nested(8)+",", n), ",") + `]}}`
		},
	}
	for name, shape := range shapes {
		for _, n := range []int{10, 100, 1_000, 10_000} {
			body := shape(n)
			t.Run(fmt.Sprintf("shape=%s/n=%d", name, n), func(t *testing.T) {
				allocated := allocatedPerRequest(t, srv, body)
				t.Logf("%d bytes of body: %d bytes allocated", len(body), allocated)
				assert.Less(t, allocated, uint64(64*len(body)+512<<10), "allocation must stay linear in the body size")
				assert.Less(t, allocated, uint64(10<<20))
			})
		}
	}
}

func allocatedPerRequest(t *testing.T, h http.Handler, body string) uint64 {
	const rounds = 4
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range rounds {
		req := httptest.NewRequest(http.MethodPost, "/v1/flows/login/f1a2b3c4-d5e6-4890-abcd-ef1234567890:submit", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge}, w.Code, w.Body.String())
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / rounds
}

// BenchmarkDeepJSON measures refusing a 20 KB body nested 10,000 deep, the request that once
// cost a minute of CPU and gigabytes: go test -run '^$' -bench DeepJSON ./mockserver/
func BenchmarkDeepJSON(b *testing.B) {
	srv, err := mockserver.New(mockserver.DefaultConfig(), mockserver.WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	body := nested(10_000)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/flows/login/f1a2b3c4-d5e6-4890-abcd-ef1234567890:submit", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusBadRequest {
			b.Fatalf("status %d", w.Code)
		}
	}
}
