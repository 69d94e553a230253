package mockserver

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// forced builds a realistic error for a code forced by Prefer or a fault: the details a client
// expects of that code are filled in (REQ-ERR-004, REQ-ERR-006).
func forced(status int, code, baseURL string) *apierr.Error {
	e := apierr.AtStatus(status, api.ErrorCode(code), "Forced by the mock: "+code+".")
	switch {
	case status == http.StatusLocked:
		e.WithRetryAfter(900)
	case status == http.StatusServiceUnavailable:
		e.WithRetryAfter(1)
	case status == http.StatusTooManyRequests:
		limit, remaining := 10, 0
		e.WithRetryAfter(60)
		e.Details.Limit, e.Details.Remaining = &limit, &remaining
	case code == string(apierr.StepUpRequired):
		aal, url := api.AuthenticatorAssuranceLevel("aal2"), baseURL+"/v1/flows/login?aal=aal2"
		e.Details.RequiredAal, e.Details.LoginUrl = &aal, &url
	case code == string(apierr.InvalidCode) || code == "AVNOLOGY_AUTH_007" || code == "AVNOLOGY_AUTH_018":
		n := 4
		e.Details.AttemptsRemaining = &n
	case code == string(apierr.PasswordTooWeak):
		reason := "The password must be at least 8 characters long."
		e.Details.Reason = &reason
	}
	return e
}

// ForcedHeader marks an answer forced by Prefer or a fault, with its error code: a tool that
// watches the traffic judges its shape, not the behaviour it seems to show.
const ForcedHeader = "X-Mock-Forced"

// forceError answers a documented error on purpose (after validation: a forced error is still
// an answer to a valid request): `Prefer: error=AVNOLOGY_AUTH_102` on the request, or a fault
// armed through the control plane for the operation. Only codes the operation lists are
// honoured; an armed fault may add latency first.
func (s *Server) forceError(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := s.forcedError(r, callFrom(r.Context())); e != nil {
			w.Header().Set(ForcedHeader, string(e.Code))
			s.writeError(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// forcedError is the error forced on the call, if any.
func (s *Server) forcedError(r *http.Request, c *call) *apierr.Error {
	if c.world == nil {
		return nil
	}
	var code string
	status := 0
	fault, ok, err := c.world.Faults.Take(r.Context(), c.operationID)
	if err != nil {
		return apierr.Unavailable()
	}
	if ok {
		if fault.Latency > 0 {
			select {
			case <-time.After(fault.Latency):
			case <-r.Context().Done():
			}
		}
		code, status = fault.ErrorCode, fault.Status
	}
	for _, pref := range strings.Split(r.Header.Get("Prefer"), ",") {
		name, v, _ := strings.Cut(strings.TrimSpace(pref), "=")
		switch name {
		case "error":
			code = v
		case "status": // which of the code's statuses, when the operation lists it at several
			status, _ = strconv.Atoi(v)
		}
	}
	if code == "" {
		return nil
	}
	for _, pair := range c.operation.Pairs {
		if pair.Code == code && (status == 0 || pair.Status == status) {
			return forced(pair.Status, code, s.cfg.BaseURL)
		}
	}
	return nil
}
