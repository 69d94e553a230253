package mockserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/avnology/idflows/mockserver"
)

// BenchmarkCreateLoginFlow measures createLoginFlow through the whole handler, request
// validation included; BenchmarkBareJSON is the baseline of a handler answering fixed JSON.
// Compare the two with: go test -run '^$' -bench . ./mockserver/
func BenchmarkCreateLoginFlow(b *testing.B) {
	srv, err := mockserver.New(mockserver.DefaultConfig(), mockserver.WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/v1/flows/login", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

func BenchmarkBareJSON(b *testing.B) {
	body := []byte(`{"id":"f1a2b3c4-d5e6-7890-abcd-ef1234567890","type":"login","state":"choose_method"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	req := httptest.NewRequest(http.MethodGet, "/v1/flows/login", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}

// BenchmarkLiveFlowMemory reports the heap one stored login flow costs (metric B/flow), the
// design's "≤ 4 KiB per live flow": each round creates flows on a fresh mock, collects
// garbage, and divides.
func BenchmarkLiveFlowMemory(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/v1/flows/login", nil)
	const flows = 20_000
	var perFlow float64
	for b.Loop() {
		srv, err := mockserver.New(mockserver.DefaultConfig(), mockserver.WithLogger(discardLogger()))
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range flows {
			srv.ServeHTTP(httptest.NewRecorder(), req)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(srv) // its flows must still be alive when measured
		perFlow = float64(after.HeapAlloc-before.HeapAlloc) / flows
	}
	b.ReportMetric(perFlow, "B/flow")
}

// BenchmarkGetSettingsFlow measures getSettingsFlow of a signed-in identity with no second
// factor, whose flow offers TOTP enrolment (a QR code), through the whole handler.
func BenchmarkGetSettingsFlow(b *testing.B) {
	srv, err := mockserver.New(mockserver.DefaultConfig(), mockserver.WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	token, flowID := settingsFlowFor(b, srv)
	req := httptest.NewRequest(http.MethodGet, "/v1/flows/settings/"+flowID, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// settingsFlowFor signs jane in and opens a settings flow, returning the session token and the
// flow's id.
func settingsFlowFor(b *testing.B, h http.Handler) (token, flowID string) {
	b.Helper()
	call := func(method, path, body, token string) map[string]any {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var out map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != http.StatusOK {
			b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body)
		}
		return out
	}
	f := call(http.MethodGet, "/v1/flows/login", "", "")
	done := call(http.MethodPost, "/v1/flows/login/"+f["id"].(string)+":submit",
		`{"method":"password","body":{"identifier":"jane@acme.com","password":"`+personaPassword+`","csrf_token":"`+csrfOf(f)+`"}}`, "")
	token = done["session"].(map[string]any)["token"].(string)
	return token, call(http.MethodGet, "/v1/flows/settings", "", token)["id"].(string)
}
