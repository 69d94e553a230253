package mockserver

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/openapi/contract"
)

// checkResponses, when the mock runs with strict responses (its own tests do), validates what
// the handler wrote before it reaches the client; a response the contract does not allow
// becomes a 500 _900 and an error log.
func (s *Server) checkResponses(ctr *contract.Contract) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !s.opts.strictResponses {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := callFrom(r.Context())
			rec := &recorder{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			for k, v := range w.Header() { // headers set before the handler (request id, CORS)
				if _, ok := rec.header[k]; !ok {
					rec.header[k] = v
				}
			}
			err := ctr.ValidateResponse(context.WithoutCancel(r.Context()), c.validated, rec.status, rec.header, rec.body.Bytes(), c.errorCode)
			if err != nil {
				s.log.ErrorContext(r.Context(), "response violates the contract", "operation", c.operationID, "status", rec.status, "error", err)
				for k := range w.Header() {
					if k != "X-Request-Id" && k != "Cache-Control" && !strings.HasPrefix(k, "Access-Control-") {
						w.Header().Del(k)
					}
				}
				s.writeError(w, r, apierr.InternalError())
				return
			}
			dst := w.Header()
			for k, v := range rec.header {
				dst[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
		})
	}
}

// recorder holds a response until it is checked.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}
