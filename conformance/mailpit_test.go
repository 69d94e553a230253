package conformance

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A Mailpit-shaped API on loopback: search lists newest first, each message has a text body.
func TestMailpitInbox(t *testing.T) {
	messages := map[string]map[string]any{
		"m1": {"Text": "Your recovery code is 111111. It expires in 15 minutes.", "To": []map[string]string{{"Address": "jane@example.com"}}},
		"m2": {"Text": "Use 222222 to verify your address.", "To": []map[string]string{{"Address": "jane@example.com"}}},
		"m3": {"Text": "Your code is 333333.", "To": []map[string]string{{"Address": "JANE@example.com"}}}, // the search folds case
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/search", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, `to:"jane@example.com"`, r.URL.Query().Get("query"))
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": []map[string]string{{"ID": "m3"}, {"ID": "m2"}, {"ID": "m1"}}})
	})
	mux.HandleFunc("GET /api/v1/message/{id}", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(messages[r.PathValue("id")])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	codes, err := Mailpit{BaseURL: srv.URL}.Codes(t.Context(), Scope{}, "jane@example.com")
	require.NoError(t, err)
	assert.Equal(t, []string{"111111", "222222"}, codes, "oldest first, only those to the very address")

	_, err = Mailpit{BaseURL: srv.URL + "/nope"}.Codes(t.Context(), Scope{}, "jane@example.com")
	assert.Error(t, err)
}

// An inbox that answers without end cannot exhaust the suite: its answers are cut off.
func TestMailpitAnswersAreBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"messages":[`))
		chunk := []byte(strings.Repeat(`{"ID":"m"},`, 6000))
		for range 128 { // 8 MiB of a list that never ends
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	_, err := Mailpit{BaseURL: srv.URL}.Codes(t.Context(), Scope{}, "jane@example.com")
	assert.ErrorContains(t, err, "larger than 4194304 bytes")
}
