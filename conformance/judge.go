package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/avnology/idflows/openapi/contract"
)

// Judge checks single exchanges against the contract — what the suite checks of every answer
// it gets, for traffic the suite did not make itself (idflows proxy). It is safe for
// concurrent use.
type Judge struct {
	flows    *contract.Contract
	oauth2   *contract.Contract // the OAuth 2.1 endpoints the flows meet: OAuth's errors, not the envelope
	errorDoc *openapi3.SchemaRef
}

// NewJudge compiles the contracts once.
func NewJudge() (*Judge, error) {
	flows, err := contract.Flows()
	if err != nil {
		return nil, err
	}
	oauth2, err := contract.OAuth2()
	if err != nil {
		return nil, err
	}
	return &Judge{flows: flows, oauth2: oauth2, errorDoc: flows.Doc.Components.Schemas["ErrorResponse"]}, nil
}

// find routes a request to its operation: the flow API's, else the OAuth endpoints'.
func (e *Judge) find(r *http.Request) (*contract.Contract, *routers.Route, map[string]string, error) {
	route, params, err := e.flows.FindRoute(r)
	if err == nil {
		return e.flows, route, params, nil
	}
	if route, params, oerr := e.oauth2.FindRoute(r); oerr == nil {
		return e.oauth2, route, params, nil
	}
	return nil, nil, nil, err
}

// Verdict is what one exchange broke: of the contract, by its request (the client's doing) and
// by its response (the server's).
type Verdict struct {
	Operation string // "" when the request matches no operation
	Request   []string
	Response  []string

	answer *Response // the response as judged, its JSON decoded once for what else reads it
}

// Exchange judges a request (its path relative to the API's base, its body read whole) and
// the answer it got (its body as far as the caller read it).
func (e *Judge) Exchange(ctx context.Context, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) Verdict {
	var v Verdict
	routed := req.Clone(context.WithoutCancel(ctx))
	routed.URL.RawPath = ""
	routed.Body = io.NopCloser(bytes.NewReader(reqBody))
	var input *openapi3filter.RequestValidationInput
	ctr, route, params, err := e.find(routed)
	if err == nil {
		v.Operation = route.Operation.OperationID
		var verr error
		if input, verr = contract.ValidateRequest(ctx, routed, route, params, reqBody); verr != nil {
			v.Request = describe(verr)
		}
	}
	r := &Response{Operation: v.Operation, Status: status, Header: header, Body: body}
	v.answer = r
	if tooDeep := contract.CheckDepth(body); tooDeep != nil {
		v.Response = []string{fmt.Sprintf("the response body nests deeper than %d levels (REQ-ERR-009)", contract.MaxDepth)}
		return v
	}
	v.Response = e.answer(ctx, ctr, input, reqBody, r)
	return v
}

// answer is every check of one answer, the suite's and the proxy's alike: its contract, the
// rules that hold for every answer, and those one exchange shows (what a submit sent says
// what its answer must be).
func (e *Judge) answer(ctx context.Context, ctr *contract.Contract, input *openapi3filter.RequestValidationInput, reqBody []byte, r *Response) []string {
	out := append(e.response(ctx, ctr, input, r), secondFactor(r.Operation, reqBody, r)...)
	return append(out, documentedMessage(r.Operation, r)...)
}

// documentedMessage checks the outcomes whose message id the documentation fixes: a taken
// email (REQ-REG-003), saved settings (REQ-SET-003), a verified address (REQ-VER-003).
func documentedMessage(op string, r *Response) []string {
	var want, rule, what string
	flow := flowOf(r.Get("continue_flow"))
	switch {
	case flow == nil:
		return nil
	case op == "submitRegistrationFlow" && r.Status == http.StatusConflict && r.Code() == "AVNOLOGY_AUTH_012":
		want, rule, what = "4000005", "REQ-REG-003", "an email that has an identity"
	case op == "submitSettingsFlow" && r.Status == http.StatusOK && flow.State == "success":
		want, rule, what = "1050001", "REQ-SET-003", "saved settings"
	case op == "submitVerificationFlow" && r.Status == http.StatusOK && flow.State == "passed_challenge":
		want, rule, what = "1080002", "REQ-VER-003", "a verified address"
	default:
		return nil
	}
	if have := flow.Messages(); !slices.Contains(have, want) {
		return []string{fmt.Sprintf("%s answered messages %v, want %s (%s)", what, have, want, rule)}
	}
	return nil
}

// secondFactor checks a sign-in that completed with a second factor: its session is at aal2
// (REQ-LOGIN-009).
func secondFactor(op string, reqBody []byte, r *Response) []string {
	if op != "submitLoginFlow" || r.Status != http.StatusOK || r.Get("session") == nil {
		return nil
	}
	var sent struct {
		Method string `json:"method"`
	}
	if json.Unmarshal(reqBody, &sent) != nil || (sent.Method != "totp" && sent.Method != "lookup_secret") {
		return nil
	}
	if aal := r.Str("session.authenticator_assurance_level"); aal != "aal2" {
		return []string{fmt.Sprintf("a sign-in completed with %s answered a session at %q, want aal2 (REQ-LOGIN-009)", sent.Method, aal)}
	}
	return nil
}

// response checks a response against the contract of its operation (ctr; nil when it has
// none) and the rules that hold for every answer.
func (e *Judge) response(ctx context.Context, ctr *contract.Contract, input *openapi3filter.RequestValidationInput, r *Response) []string {
	if ctr != nil && ctr == e.oauth2 {
		return oauthResponse(ctx, ctr, input, r)
	}
	var out []string
	if r.Header.Get("X-Request-Id") == "" {
		out = append(out, "no X-Request-Id header (REQ-ERR-002)")
	}
	if input != nil {
		if err := e.flows.ValidateResponse(ctx, input, r.Status, r.Header, r.Body, r.Code()); err != nil {
			for _, v := range describe(err) {
				if v == "status is not supported" {
					v = fmt.Sprintf("the status %d is not one %s declares", r.Status, r.Operation)
				}
				if strings.Contains(v, "x-error-codes") {
					v += " (REQ-ERR-001)"
				}
				out = append(out, v)
			}
		}
	} else if r.Status >= 400 { // a request outside any operation still gets the envelope
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
			out = append(out, fmt.Sprintf("the error's Content-Type is %q, want application/json", r.Header.Get("Content-Type")))
		}
		if err := e.errorDoc.Value.VisitJSON(r.JSON(), openapi3.MultiErrors(), openapi3.VisitAsResponse()); err != nil {
			out = append(out, "the error body is not the ErrorResponse envelope: "+firstLine(err.Error()))
		}
	}
	if after, ok := r.Get("error.details.retry_after").(float64); ok && r.Header.Get("Retry-After") != strconv.Itoa(int(after)) {
		out = append(out, fmt.Sprintf("Retry-After %q differs from details.retry_after %v (REQ-ERR-006)", r.Header.Get("Retry-After"), after))
	}
	if carriesSecret(r.JSON()) && !noStore(r.Header.Get("Cache-Control")) {
		out = append(out, fmt.Sprintf("the answer carries a secret but Cache-Control is %q, want no-store (REQ-SEC-005)", r.Header.Get("Cache-Control")))
	}
	if r.Status >= 500 {
		if code := r.Code(); code != "AVNOLOGY_AUTH_900" {
			out = append(out, fmt.Sprintf("a %d must carry AVNOLOGY_AUTH_900, not %q (REQ-ERR-007)", r.Status, code))
		}
		if m := internals.FindString(r.Str("error.message")); m != "" {
			out = append(out, fmt.Sprintf("the error message shows internals (%q) (REQ-ERR-007)", m))
		}
	}
	if r.Status >= 400 && r.Code() != "" {
		if id := r.Str("error.request_id"); id != r.Header.Get("X-Request-Id") {
			out = append(out, fmt.Sprintf("error.request_id %q differs from X-Request-Id %q (REQ-ERR-002)", id, r.Header.Get("X-Request-Id")))
		}
		if status, _ := r.Get("error.status").(float64); int(status) != r.Status {
			out = append(out, fmt.Sprintf("error.status %v differs from the HTTP status %d (REQ-ERR-001)", r.Get("error.status"), r.Status))
		}
	}
	return dedupe(out)
}

// internals are signs of a server's insides in a message meant for clients: stack frames,
// source positions, runtime panics (REQ-ERR-007).
var internals = regexp.MustCompile(`(?i)goroutine \d+|\.(go|java|py|rb|js|ts|cs):\d+|\bpanic\b|runtime error|nil pointer|null ?pointer|traceback|stack ?trace|\bat [\w.$]+\(`)

// oauthResponse checks an answer of the OAuth endpoints: its schema, the secrets it must not
// let a cache keep (REQ-OAUTH-007), and no internals in a 5xx.
func oauthResponse(ctx context.Context, ctr *contract.Contract, input *openapi3filter.RequestValidationInput, r *Response) []string {
	var out []string
	if input != nil {
		if err := ctr.ValidateResponse(ctx, input, r.Status, r.Header, r.Body, ""); err != nil {
			out = append(out, describe(err)...)
		}
	}
	if r.Status == http.StatusOK && (r.Operation == "exchangeOAuth2Token" || r.Operation == "getOAuth2Consent" || r.Operation == "decideOAuth2Consent") &&
		!noStore(r.Header.Get("Cache-Control")) {
		out = append(out, fmt.Sprintf("the answer carries tokens or a challenge but Cache-Control is %q, want no-store (REQ-OAUTH-007)", r.Header.Get("Cache-Control")))
	}
	if m := internals.FindString(r.Str("error_description")); r.Status >= 500 && m != "" {
		out = append(out, fmt.Sprintf("the error shows internals (%q)", m))
	}
	return dedupe(out)
}
