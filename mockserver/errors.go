package mockserver

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// writeError is the one boundary where errors become the contract's envelope (REQ-ERR-001,
// REQ-ERR-002). Anything that is not an *apierr.Error is a 500 _900 whose internals go only
// to the log (REQ-ERR-007).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	c := callFrom(r.Context())
	var e *apierr.Error
	var busy *tenant.ErrTooManyTenants
	switch {
	case errors.As(err, &e):
	case errors.As(err, &busy):
		e = apierr.OverCapacity("Every tenant of the mock is in use; retry when one has been idle.",
			s.cfg.MaxTenants, int(math.Ceil(busy.RetryAfter.Seconds())))
	case errors.Is(err, flow.ErrTransition):
		e = apierr.New(apierr.MethodNotEnabled, "This method is not offered in the flow's current state.")
	case errors.Is(err, store.ErrUnavailable):
		s.log.WarnContext(r.Context(), "shared store unavailable", "request_id", c.requestID, "error", err)
		e = apierr.Unavailable()
	case errors.Is(err, store.ErrFull):
		var full *store.FullError
		errors.As(err, &full)
		e = apierr.OverCapacity("The mock holds as many "+full.What+" as it may; retry once expired ones are swept.",
			int(full.Limit), int(s.cfg.Limits.SweepEvery.Seconds()))
	default:
		s.log.ErrorContext(r.Context(), "internal error", "request_id", c.requestID, "error", err)
		e = apierr.InternalError()
	}
	c.errorCode = string(e.Code)
	for k, v := range e.Header {
		w.Header()[k] = v
	}
	body := api.ErrorResponse{
		Error: api.Error{
			Code: e.Code, Status: e.Status, Message: e.Message,
			RequestId: c.requestID, Details: e.Details,
		},
		ContinueFlow: e.ContinueFlow,
	}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "error", err) // the client went away
	}
}
