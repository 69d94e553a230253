// Package contract compiles a loaded OpenAPI document for request-time use: a router that finds
// the operation of a request, each operation's documented (status, code) error pairs, and the
// validation of requests and responses. The mock checks itself with it and the conformance
// suite judges targets with it, so both read the contract the same way.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/avnology/idflows/openapi"
)

// The control plane serves the browser's WebAuthn glue as text/javascript; kin-openapi checks
// such bodies as plain strings once told how to read them.
func init() {
	openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.PlainBodyDecoder)
}

// Pair is one documented error answer of an operation: an HTTP status and an error code.
type Pair struct {
	Status int
	Code   string
}

func (p Pair) String() string { return fmt.Sprintf("%d %s", p.Status, p.Code) }

// Operation is one operation of the contract.
type Operation struct {
	ID     string
	Method string
	Path   string
	Pairs  []Pair // from x-error-codes, sorted
	Op     *openapi3.Operation
	// Route is the operation as request and response validation take it, so a server that
	// routes requests itself validates them without routing them again.
	Route *routers.Route
}

// Contract is a compiled contract. It is safe for concurrent use.
type Contract struct {
	Doc    *openapi3.T
	router routers.Router
	ops    map[string]*Operation
	order  []string
	// byPath finds an operation by method and path template ("GET /v1/flows/login/{flow_id}").
	byPath map[string]*Operation
}

// New compiles doc. The router ignores the document's servers: requests are matched on their
// path whatever host they reach.
func New(doc *openapi3.T) (*Contract, error) {
	local := *doc
	local.Servers = nil
	router, err := gorillamux.NewRouter(&local)
	if err != nil {
		return nil, fmt.Errorf("router: %w", err)
	}
	c := &Contract{Doc: doc, router: router, ops: map[string]*Operation{}, byPath: map[string]*Operation{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			o := &Operation{ID: op.OperationID, Method: method, Path: path, Op: op,
				Route: &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}}
			list, _ := op.Extensions["x-error-codes"].([]any)
			for _, entry := range list {
				if m, ok := entry.(map[string]any); ok {
					status, _ := m["status"].(float64)
					code, _ := m["code"].(string)
					o.Pairs = append(o.Pairs, Pair{int(status), code})
				}
			}
			slices.SortFunc(o.Pairs, func(a, b Pair) int {
				if a.Status != b.Status {
					return a.Status - b.Status
				}
				return strings.Compare(a.Code, b.Code)
			})
			c.ops[o.ID] = o
			c.byPath[method+" "+path] = o
			c.order = append(c.order, o.ID)
		}
	}
	slices.Sort(c.order)
	return c, nil
}

var (
	flows   = sync.OnceValues(func() (*Contract, error) { return compile(openapi.LoadFlows) })
	control = sync.OnceValues(func() (*Contract, error) { return compile(openapi.LoadControl) })
	oauth2  = sync.OnceValues(func() (*Contract, error) { return compile(openapi.LoadOAuth2) })
)

// Flows is the compiled Avnology ID flow API contract, built once per process.
func Flows() (*Contract, error) { return flows() }

// Control is the compiled control-plane contract of the mock, built once per process.
func Control() (*Contract, error) { return control() }

// OAuth2 is the compiled contract of the OAuth 2.1 endpoints, built once per process.
func OAuth2() (*Contract, error) { return oauth2() }

func compile(load func() (*openapi3.T, error)) (*Contract, error) {
	doc, err := load()
	if err != nil {
		return nil, err
	}
	return New(doc)
}

// FindRoute finds the operation of r (routers.ErrMethodNotAllowed or routers.ErrPathNotFound
// when there is none).
func (c *Contract) FindRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	return c.router.FindRoute(r)
}

// OperationAt returns the operation of a method on a path template as the document spells it
// ("/v1/flows/login/{flow_id}:submit"), or nil: how a server that routes with the same
// templates learns which operation it matched.
func (c *Contract) OperationAt(method, pathTemplate string) *Operation {
	return c.byPath[method+" "+pathTemplate]
}

// HasPath reports whether the document has the path template.
func (c *Contract) HasPath(pathTemplate string) bool { return c.Doc.Paths.Value(pathTemplate) != nil }

// Operation returns the operation with the given operationId, or nil.
func (c *Contract) Operation(id string) *Operation { return c.ops[id] }

// Operations returns every operation, ordered by operationId.
func (c *Contract) Operations() []*Operation {
	out := make([]*Operation, 0, len(c.order))
	for _, id := range c.order {
		out = append(out, c.ops[id])
	}
	return out
}

// Allows reports whether the operation lists the (status, code) pair in x-error-codes.
func (c *Contract) Allows(operationID string, p Pair) bool {
	op := c.ops[operationID]
	return op != nil && slices.Contains(op.Pairs, p)
}

// RequestOptions are the options requests are validated with: every error, no authentication
// check (whether a session is valid is the server's answer to give), and schema errors that
// carry only their reason — never a copy of the value, which may be large or a secret.
var RequestOptions = &openapi3filter.Options{
	MultiError:              true,
	AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
}

// responseOptions are the options responses are validated with.
var responseOptions = &openapi3filter.Options{
	MultiError:              true,
	IncludeResponseStatus:   true,
	SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()},
}

// ValidateRequest checks a routed request whose body the caller has read (and bounded) into
// body; r.Body is replaced by a reader over it. A JSON body nesting deeper than MaxDepth is
// refused before the schema sees it.
func ValidateRequest(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, body []byte) (*openapi3filter.RequestValidationInput, error) {
	input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: RequestOptions}
	if isJSON(r.Header) {
		if err := CheckDepth(body); err != nil {
			return input, err
		}
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	return input, openapi3filter.ValidateRequest(ctx, input)
}

func isJSON(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// ValidateResponse checks a response to a validated request: its status is declared, its
// headers and body match, and — for an error — its (status, code) pair is one the operation
// lists. A 500 _900 is always allowed. errorCode is the response's error.code ("" if none).
func (c *Contract) ValidateResponse(ctx context.Context, input *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte, errorCode string) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 header,
		Options:                responseOptions,
	}
	if isJSON(header) {
		if err := CheckDepth(body); err != nil {
			return err
		}
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return err
	}
	if status >= 400 && len(c.ops[input.Route.Operation.OperationID].Pairs) > 0 && status != http.StatusInternalServerError {
		if !c.Allows(input.Route.Operation.OperationID, Pair{status, errorCode}) {
			return fmt.Errorf("%d %s is not in %s's x-error-codes", status, errorCode, input.Route.Operation.OperationID)
		}
	}
	return nil
}
