package mockserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/openapi/contract"
)

func loadContracts() (flows, control *contract.Contract, err error) {
	if flows, err = contract.Flows(); err != nil {
		return nil, nil, err
	}
	if control, err = contract.Control(); err != nil {
		return nil, nil, err
	}
	return flows, control, nil
}

// validate routes the request in its contract and checks it (REQ-ERR-003, REQ-ERR-005); it then
// applies a forced error (Prefer header or an armed fault) of that operation.
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r.Context())
		ctr := s.flows
		if strings.HasPrefix(r.URL.Path, "/_mock/") {
			ctr = s.control
		}
		route, params, err := ctr.FindRoute(r)
		switch {
		case errors.Is(err, routers.ErrMethodNotAllowed):
			s.writeError(w, r, apierr.MethodNotAllowed("The method "+r.Method+" is not allowed on this path."))
			return
		case err != nil:
			s.writeError(w, r, apierr.New(apierr.NotFound, "No operation matches "+r.Method+" "+r.URL.Path+"."))
			return
		}
		c.operationID = route.Operation.OperationID
		if route.Operation.RequestBody != nil && !jsonContent(r) {
			s.writeError(w, r, apierr.UnsupportedMediaType("The request body must be application/json."))
			return
		}
		input, err := contract.ValidateRequest(r.Context(), r, route, params, c.body)
		if errors.Is(err, contract.ErrTooDeep) {
			s.writeError(w, r, apierr.Invalid("The request body is invalid.", apierr.Field("body", fmt.Sprintf("JSON may nest at most %d levels deep", contract.MaxDepth))))
			return
		}
		if err != nil {
			s.writeError(w, r, apierr.Invalid("The request is invalid.", fieldErrors(err)...))
			return
		}
		if e := s.forcedError(r, c, ctr); e != nil {
			s.writeError(w, r, e)
			return
		}
		if s.opts.strictResponses {
			s.checkResponse(w, r, input, ctr, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func jsonContent(r *http.Request) bool {
	if r.Header.Get("Content-Type") == "" {
		return r.ContentLength == 0 // an absent body is the validator's 400, not a 415
	}
	return jsonContentType(r)
}

// jsonContentType reports whether the request says its body is application/json.
func jsonContentType(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// fieldErrors turns the validator's errors into details.field_errors: dotted paths into the
// request (`body.traits.email`, `query.page_size`) with the validator's reason.
func fieldErrors(err error) []api.FieldError {
	var out []api.FieldError
	var walk func(prefix string, err error)
	walk = func(prefix string, err error) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(prefix, inner)
			}
		case *openapi3filter.RequestError:
			if e.Parameter != nil {
				prefix = e.Parameter.In + "." + e.Parameter.Name
			}
			if e.Err == nil {
				out = append(out, apierr.Field(prefixOr(prefix, "body"), e.Reason))
				return
			}
			walk(prefix, e.Err)
		case *openapi3.SchemaError:
			if e.Origin != nil { // a oneOf: the chosen alternative's own errors say more
				walk(strings.Trim(strings.Join(append([]string{prefix}, e.JSONPointer()...), "."), "."), e.Origin)
				return
			}
			path := append([]string{}, e.JSONPointer()...)
			if m := namedProperty.FindStringSubmatch(e.Reason); m != nil && (len(path) == 0 || path[len(path)-1] != m[1]) {
				path = append(path, m[1])
			}
			field := strings.Join(append([]string{prefix}, path...), ".")
			out = append(out, apierr.Field(prefixOr(strings.Trim(field, "."), "body"), e.Reason))
		default:
			if inner := errors.Unwrap(err); inner != nil {
				walk(prefix, inner)
				return
			}
			out = append(out, apierr.Field(prefixOr(prefix, "body"), firstLine(err.Error())))
		}
	}
	walk("", err)
	return out
}

var namedProperty = regexp.MustCompile(`^property "([^"]+)" is (?:unsupported|missing)$`)

func prefixOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// checkResponse validates what the handler wrote before it reaches the client; a response the
// contract does not allow becomes a 500 _900 and an error log.
func (s *Server) checkResponse(w http.ResponseWriter, r *http.Request, input *openapi3filter.RequestValidationInput, ctr *contract.Contract, next http.Handler) {
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	next.ServeHTTP(rec, r)
	for k, v := range w.Header() { // headers set before the handler (request id, CORS)
		if _, ok := rec.header[k]; !ok {
			rec.header[k] = v
		}
	}
	err := ctr.ValidateResponse(context.WithoutCancel(r.Context()), input, rec.status, rec.header, rec.body.Bytes(), callFrom(r.Context()).errorCode)
	if err != nil {
		s.log.ErrorContext(r.Context(), "response violates the contract", "operation", input.Route.Operation.OperationID, "status", rec.status, "error", err)
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

// forcedError answers a documented error on purpose: `Prefer: error=AVNOLOGY_AUTH_102` on the
// request, or a fault armed through the control plane. Only codes the operation lists are
// honoured; a fault may add latency first.
func (s *Server) forcedError(r *http.Request, c *call, ctr *contract.Contract) *apierr.Error {
	if ctr == s.control || c.world == nil {
		return nil
	}
	var code string
	if fault, ok := c.world.Faults.Take(c.operationID); ok {
		if fault.Latency > 0 {
			select {
			case <-time.After(fault.Latency):
			case <-r.Context().Done():
			}
		}
		code = fault.ErrorCode
	}
	for _, pref := range strings.Split(r.Header.Get("Prefer"), ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(pref), "error="); ok {
			code = v
		}
	}
	if code == "" {
		return nil
	}
	if op := ctr.Operation(c.operationID); op != nil {
		for _, pair := range op.Pairs {
			if pair.Code == code {
				return forced(pair.Status, code, s.cfg.BaseURL)
			}
		}
	}
	return nil
}
