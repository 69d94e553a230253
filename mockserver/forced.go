package mockserver

import (
	"net/http"

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
