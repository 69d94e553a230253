package mockserver

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

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

// validate checks the request against its operation (REQ-ERR-003, REQ-ERR-005): a JSON body
// where one is expected (415 otherwise), nesting at most contract.MaxDepth, and the schema of
// every parameter and the body (400 _902 with field_errors).
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r.Context())
		if rb := c.operation.Op.RequestBody; rb != nil && !jsonContent(r) {
			form := rb.Value.Content.Get(formContent)
			if form == nil || !hasMediaType(r, formContent) {
				s.writeError(w, r, apierr.UnsupportedMediaType("The request body must be application/json."))
				return
			}
			c.form = form.Schema.Value
		}
		input, err := contract.ValidateRequest(r.Context(), r, c.operation.Route, c.params, c.body)
		if errors.Is(err, contract.ErrTooDeep) {
			s.writeError(w, r, apierr.Invalid("The request body is invalid.", apierr.Field("body", fmt.Sprintf("JSON may nest at most %d levels deep", contract.MaxDepth))))
			return
		}
		if err != nil {
			s.writeError(w, r, apierr.Invalid("The request is invalid.", fieldErrors(err)...))
			return
		}
		c.validated = input
		next.ServeHTTP(w, r)
	})
}

func jsonContent(r *http.Request) bool {
	if r.Header.Get("Content-Type") == "" {
		return r.ContentLength == 0 // an absent body is the validator's 400, not a 415
	}
	return jsonContentType(r)
}

// hasMediaType reports whether the request's body is of media type mt.
func hasMediaType(r *http.Request, mt string) bool {
	got, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && got == mt
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
