package apierr_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// Every code's status comes from the contract's x-codes table; no call site picks one.
func TestStatusesComeFromTheContract(t *testing.T) {
	for code, want := range map[api.ErrorCode]int{
		apierr.InvalidCredentials: http.StatusUnauthorized,
		apierr.AccountLocked:      http.StatusLocked,
		apierr.CSRFViolation:      http.StatusForbidden,
		apierr.DuplicateAccount:   http.StatusConflict,
		apierr.RateLimited:        http.StatusTooManyRequests,
		apierr.NotFound:           http.StatusNotFound,
		apierr.InvalidRequest:     http.StatusBadRequest,
		apierr.Internal:           http.StatusInternalServerError,
	} {
		assert.Equal(t, want, apierr.StatusOf(code), code)
		assert.Equal(t, want, apierr.New(code, "x").Status, code)
	}
	assert.Equal(t, http.StatusInternalServerError, apierr.StatusOf("AVNOLOGY_AUTH_999"), "an unknown code is an internal error")
	assert.Equal(t, http.StatusRequestEntityTooLarge, apierr.TooLarge("x").Status)
	assert.Equal(t, apierr.InvalidRequest, apierr.UnsupportedMediaType("x").Code)
}
