package apierr

import (
	"net/http"
	"sync"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/openapi"
)

// statuses is the contract's x-codes table (on the ErrorCode schema): each code's one status.
var statuses = sync.OnceValue(func() map[api.ErrorCode]int {
	out := map[api.ErrorCode]int{}
	doc, err := openapi.LoadFlows()
	if err != nil {
		return out // the mock does not start without its contract; nothing is answered
	}
	codes, _ := doc.Components.Schemas["ErrorCode"].Value.Extensions["x-codes"].(map[string]any)
	for code, entry := range codes {
		if m, ok := entry.(map[string]any); ok {
			if status, ok := m["status"].(float64); ok {
				out[api.ErrorCode(code)] = int(status)
			}
		}
	}
	return out
})

// StatusOf is the HTTP status the contract gives code (500 for a code it does not know).
func StatusOf(code api.ErrorCode) int {
	if s, ok := statuses()[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
