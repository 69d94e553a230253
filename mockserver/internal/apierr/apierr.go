// Package apierr is the mock's one error type: a contract error code with its status, message
// and details. Services return these; the HTTP boundary renders them as the error envelope.
package apierr

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/avnology/idflows/gen/api"
)

// Codes of the contract's ErrorCode enum that the mock emits.
const (
	InvalidCredentials      api.ErrorCode = "AVNOLOGY_AUTH_001"
	AccountLocked           api.ErrorCode = "AVNOLOGY_AUTH_002"
	AccountDisabled         api.ErrorCode = "AVNOLOGY_AUTH_003"
	SessionExpired          api.ErrorCode = "AVNOLOGY_AUTH_004"
	SessionInvalid          api.ErrorCode = "AVNOLOGY_AUTH_005"
	InvalidVerificationCode api.ErrorCode = "AVNOLOGY_AUTH_007"
	InvalidCode             api.ErrorCode = "AVNOLOGY_AUTH_008"
	FlowExpired             api.ErrorCode = "AVNOLOGY_AUTH_009"
	PasswordBreached        api.ErrorCode = "AVNOLOGY_AUTH_010"
	PasswordTooWeak         api.ErrorCode = "AVNOLOGY_AUTH_011"
	DuplicateAccount        api.ErrorCode = "AVNOLOGY_AUTH_012"
	MethodNotEnabled        api.ErrorCode = "AVNOLOGY_AUTH_013"
	FactorEnrolled          api.ErrorCode = "AVNOLOGY_AUTH_014"
	CSRFViolation           api.ErrorCode = "AVNOLOGY_AUTH_015"
	ReturnToNotAllowed      api.ErrorCode = "AVNOLOGY_AUTH_016"
	SessionAlreadyExists    api.ErrorCode = "AVNOLOGY_AUTH_017"
	InvalidRecoveryCode     api.ErrorCode = "AVNOLOGY_AUTH_018"
	RecoveryCodeExpired     api.ErrorCode = "AVNOLOGY_AUTH_019"
	CodeExpired             api.ErrorCode = "AVNOLOGY_AUTH_020"
	RateLimited             api.ErrorCode = "AVNOLOGY_AUTH_021"
	InsufficientPermissions api.ErrorCode = "AVNOLOGY_AUTH_100"
	StepUpRequired          api.ErrorCode = "AVNOLOGY_AUTH_102"
	NotAMember              api.ErrorCode = "AVNOLOGY_AUTH_302"
	RegistrationDisabled    api.ErrorCode = "AVNOLOGY_AUTH_304"
	Internal                api.ErrorCode = "AVNOLOGY_AUTH_900"
	NotFound                api.ErrorCode = "AVNOLOGY_AUTH_901"
	InvalidRequest          api.ErrorCode = "AVNOLOGY_AUTH_902"
)

// Error is a contract error.
type Error struct {
	Status  int
	Code    api.ErrorCode
	Message string
	Details api.ErrorDetails
	// ContinueFlow is the re-rendered flow whose nodes carry the field messages, if any.
	ContinueFlow *api.Flow
	// Header holds response headers the error needs (Retry-After, X-RateLimit-*).
	Header http.Header
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// New returns the error code with its status — the one the contract's x-codes table gives it,
// so no call site picks a status — and an empty details object.
func New(code api.ErrorCode, message string) *Error {
	return &Error{Status: StatusOf(code), Code: code, Message: message}
}

// The three transport answers that carry _902 with a status of their own (the contract's
// x-codes: "also with 405, 413 and 415").

// MethodNotAllowed is 405 _902.
func MethodNotAllowed(message string) *Error {
	return &Error{Status: http.StatusMethodNotAllowed, Code: InvalidRequest, Message: message}
}

// TooLarge is 413 _902.
func TooLarge(message string) *Error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: InvalidRequest, Message: message}
}

// UnsupportedMediaType is 415 _902.
func UnsupportedMediaType(message string) *Error {
	return &Error{Status: http.StatusUnsupportedMediaType, Code: InvalidRequest, Message: message}
}

// AtStatus is code answered with a status an operation documents for it (a forced error of
// the Prefer header or the control plane, which names its (status, code) pair).
func AtStatus(status int, code api.ErrorCode, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// WithRetryAfter sets Retry-After and details.retry_after to seconds.
func (e *Error) WithRetryAfter(seconds int) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set("Retry-After", strconv.Itoa(seconds))
	e.Details.RetryAfter = &seconds
	return e
}

// RetryAt sets Retry-After to the whole seconds from now until t (at least 1).
func (e *Error) RetryAt(now, t time.Time) *Error {
	return e.WithRetryAfter(max(int(math.Ceil(t.Sub(now).Seconds())), 1))
}

// OverCapacity is 429 _021 for a mock that holds as much as it may: limit is the bound that
// was met, retryAfter the seconds until a retry may succeed.
func OverCapacity(message string, limit, retryAfter int) *Error {
	e := New(RateLimited, message).WithRetryAfter(retryAfter)
	remaining := 0
	e.Details.Limit, e.Details.Remaining = &limit, &remaining
	return e
}

// Invalid is 400 _902 with the given field errors.
func Invalid(message string, fields ...api.FieldError) *Error {
	e := New(InvalidRequest, message)
	if len(fields) > 0 {
		e.Details.FieldErrors = &fields
	}
	return e
}

// Field is one field error.
func Field(field, message string) api.FieldError {
	return api.FieldError{Field: field, Message: message}
}

// NotFoundError is 404 _901.
func NotFoundError() *Error {
	return New(NotFound, "The requested resource was not found.")
}

// Unauthenticated is 401 _005.
func Unauthenticated() *Error {
	return New(SessionInvalid, "The session is invalid, revoked or missing.")
}

// Expired is 401 _004.
func Expired() *Error {
	return New(SessionExpired, "The session has expired.")
}

// CSRF is 403 _015.
func CSRF() *Error {
	return New(CSRFViolation, "The CSRF token is missing or does not match.")
}

// Unavailable is 503 _900 with Retry-After: what the mock had to keep could not be kept (its
// shared store was unreachable), nothing of the request was kept, and it may be retried.
func Unavailable() *Error {
	return (&Error{Status: http.StatusServiceUnavailable, Code: Internal,
		Message: "The service is temporarily unavailable; nothing was changed. Retry shortly."}).WithRetryAfter(1)
}

// InternalError is 500 _900; its message never carries internals.
func InternalError() *Error {
	return New(Internal, "An internal error occurred. Quote the request id when reporting it.")
}

// Lookup is the answer to a flow lookup (store.Tx.UsableFlow): nil for a usable flow, 404 _901
// for an unknown one (REQ-FLOW-005), 400 _009 with a fresh flow to use for an expired or
// consumed one (REQ-FLOW-003).
func Lookup(flowType, flowID, fresh string, found bool) *Error {
	switch {
	case !found:
		return NotFoundError()
	case fresh != "":
		return ExpiredFlow(flowType, flowID, fresh)
	}
	return nil
}

// ExpiredFlow is 400 _009 for an expired or consumed flow, with a fresh flow to use instead.
func ExpiredFlow(flowType, flowID, useFlowID string) *Error {
	e := New(FlowExpired, "The "+flowType+" flow has expired or was already used. Start a new one.")
	e.Details.FlowId = &flowID
	if useFlowID != "" {
		e.Details.UseFlowId = &useFlowID
	}
	return e
}
