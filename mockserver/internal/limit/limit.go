// Package limit counts requests against the store's rate windows and answers the way the
// contract asks: X-RateLimit-* headers on every counted request (REQ-LIMIT-001), and past the
// limit 429 _021 with Retry-After and details.limit/remaining/retry_after (REQ-ERR-004, -006).
package limit

import (
	"net/http"
	"strconv"
	"time"

	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Hit counts one request for key, at most max per window. It returns the headers to send,
// and the error to answer instead when the limit is exceeded.
func Hit(tx *store.Tx, key string, max int, window time.Duration, message string) (http.Header, *apierr.Error) {
	allowed, remaining, resetAt := tx.Hit(key, max, window)
	h := http.Header{}
	h.Set("X-RateLimit-Limit", strconv.Itoa(max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(resetAt.Unix(), 10))
	if allowed {
		return h, nil
	}
	e := apierr.New(apierr.RateLimited, message).RetryAt(tx.Now, resetAt)
	e.Details.Limit, e.Details.Remaining = &max, &remaining
	for k, v := range h {
		e.Header[k] = v
	}
	return h, e
}
