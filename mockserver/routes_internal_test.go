package mockserver

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneRouterServesEveryOperation pins "route once": chi's routes and the contracts'
// operations are the same set, so the contract middlewares always learn their operation from
// chi's match.
func TestOneRouterServesEveryOperation(t *testing.T) {
	s, err := New(DefaultConfig())
	require.NoError(t, err)
	routed := map[string]bool{}
	err = chi.Walk(s.router(), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		op := s.flows.OperationAt(method, route)
		if op == nil {
			op = s.control.OperationAt(method, route)
		}
		if assert.NotNil(t, op, "%s %s is routed but is no operation of the contracts", method, route) {
			routed[op.ID] = true
		}
		return nil
	})
	require.NoError(t, err)
	for _, op := range append(s.flows.Operations(), s.control.Operations()...) {
		assert.True(t, routed[op.ID], "operation %s (%s %s) has no route", op.ID, op.Method, op.Path)
	}
}
