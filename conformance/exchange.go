package conformance

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/openapi/contract"
)

// maxResponseBody caps what the suite reads of one response; a target that sends more gets a
// finding, not an exhausted suite.
const maxResponseBody = 2 << 20

// Request is what a case sends. Path is relative to the target's base URL.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	// JSON is marshalled as the body unless Body is set; Body is sent as is.
	JSON any
	Body []byte
	// ContentType defaults to application/json when there is a body.
	ContentType string
	// Deliberate marks a request that breaks the contract on purpose (negative cases): it is
	// not checked before it is sent.
	Deliberate bool
}

// Response is what came back, already checked against the contract.
type Response struct {
	Seq       int // the exchange's number in the case's evidence
	Operation string
	Status    int
	Header    http.Header
	Body      []byte
	Elapsed   time.Duration

	receivedAt time.Time
	decoded    any
	decodeErr  error
}

// JSON returns the decoded body (nil when it is not JSON).
func (r *Response) JSON() any {
	if r.decoded == nil && r.decodeErr == nil {
		r.decodeErr = json.Unmarshal(r.Body, &r.decoded)
	}
	return r.decoded
}

// Get returns the value at a dotted path into the body ("error.details.retry_after",
// "ui.nodes.0"); nil when absent.
func (r *Response) Get(path string) any { return lookup(r.JSON(), path) }

// Str returns the string at path, "" when absent or not a string.
func (r *Response) Str(path string) string {
	s, _ := r.Get(path).(string)
	return s
}

// Code is the error code of an error response, "" otherwise.
func (r *Response) Code() string { return r.Str("error.code") }

func (r *Response) String() string {
	if c := r.Code(); c != "" {
		return fmt.Sprintf("%d %s", r.Status, c)
	}
	return fmt.Sprintf("%d", r.Status)
}

func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			v = node[part]
		case []any:
			var i int
			if _, err := fmt.Sscanf(part, "%d", &i); err != nil || i < 0 || i >= len(node) {
				return nil
			}
			v = node[i]
		default:
			return nil
		}
	}
	return v
}

// engine sends and judges the requests of every case of a run.
type engine struct {
	target   Target
	base     *url.URL
	client   *http.Client
	flows    *contract.Contract
	judge    *Judge
	coverage *coverage
	breaker  *breaker // nil outside a run
}

func newEngine(target Target) (*engine, error) {
	base, err := url.Parse(strings.TrimRight(target.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("target %q is not an http(s) URL", report.Sanitize(target.BaseURL))
	}
	if base.User != nil { // every report and log line quotes the target's URL
		return nil, fmt.Errorf("the target URL carries credentials, which would end up in every report: give a gateway's basic auth as a header (--header \"Authorization: Basic …\"), which is redacted")
	}
	judge, err := NewJudge()
	if err != nil {
		return nil, err
	}
	flows := judge.flows
	timeout := target.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: target.InsecureSkipVerify} //nolint:gosec // an explicit switch for self-signed staging
	transport.MaxIdleConnsPerHost = 32
	client := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// The API answers 303 where a browser is sent on; the suite judges the 303 itself and
		// never follows, so a redirect loop cannot trap it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &engine{
		target: target, base: base, client: client, flows: flows,
		judge:    judge,
		coverage: newCoverage(flows),
	}, nil
}

// do sends one request for the case and records it as evidence; findings go to t.
func (e *engine) do(t *T, a *Agent, req Request) *Response {
	ctx := t.Context()
	body := req.Body
	if body == nil && req.JSON != nil {
		var err error
		if body, err = json.Marshal(req.JSON); err != nil {
			t.suiteError("marshal request: %v", err)
		}
	}
	u := *e.base
	u.Path = e.base.Path + req.Path
	u.RawPath = ""
	if strings.Contains(req.Path, ":") { // keep ":submit" literal
		u.RawPath = e.base.Path + req.Path
	}
	u.RawQuery = req.Query.Encode()
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		t.suiteError("build request: %v", err)
	}
	if body == nil {
		hr.Body, hr.ContentLength = http.NoBody, 0
	}
	// The target's extra headers (a gateway key), then the case's scope, then the request's own:
	// a later source replaces an earlier one's header of the same name.
	for _, h := range []http.Header{e.target.Header, t.scope.Header, req.Header} {
		for k, vs := range h {
			hr.Header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
		}
	}
	if body != nil && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", cmp.Or(req.ContentType, "application/json"))
	}
	if hr.Header.Get("Accept") == "" {
		hr.Header.Set("Accept", "application/json")
	}
	a.authorize(hr, e.target.Header.Get("Authorization") != "" && req.Header.Get("Authorization") == "")

	// Route and check the request as the contract sees it: the path without the base prefix.
	routed := hr.Clone(context.WithoutCancel(ctx))
	routed.URL.Path = strings.TrimPrefix(hr.URL.Path, e.base.Path)
	routed.URL.RawPath = ""
	routed.Body = io.NopCloser(bytes.NewReader(body))
	var input *openapi3filter.RequestValidationInput
	ctr, route, params, routeErr := e.judge.find(routed)
	if routeErr == nil {
		var verr error
		input, verr = contract.ValidateRequest(ctx, routed, route, params, body)
		if verr != nil && !req.Deliberate {
			t.suiteError("the suite's own %s %s breaks the contract: %v", req.Method, req.Path, firstLine(verr.Error()))
		}
	} else if !req.Deliberate {
		t.suiteError("the suite's own %s %s matches no operation", req.Method, req.Path)
	}

	ex := report.Exchange{Seq: t.nextSeq(), Deliberate: req.Deliberate, At: time.Now().UTC(), Request: report.Message{
		Method: hr.Method, URL: redactURL(hr.URL.String()), Header: e.redactHeader(hr.Header), Body: redactBody(body),
	}}
	if route != nil {
		ex.Operation = route.Operation.OperationID
	}
	start := time.Now()
	resp, err := e.client.Do(hr)
	if err != nil {
		ex.Error = transportError(err)
		ex.DurationMS = time.Since(start).Milliseconds()
		t.record(ex)
		if ctx.Err() == nil { // the case's own end is no sign of the target's
			e.breaker.observe(false, ex.Error)
		} else if errors.Is(context.Cause(ctx), ErrTargetStopped) {
			panic(stop{}) // the run stopped under this case: not its target's answer to judge
		}
		t.fatalAt(ex.Seq, "no answer to %s %s: %s", req.Method, req.Path, ex.Error)
	}
	e.breaker.observe(true, "")
	defer resp.Body.Close()
	a.keepCookies(hr.URL, resp)
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	truncated := len(data) > maxResponseBody
	if truncated {
		data = data[:maxResponseBody]
	}
	out := &Response{Seq: ex.Seq, Operation: ex.Operation, Status: resp.StatusCode, Header: resp.Header, Body: data, Elapsed: time.Since(start), receivedAt: time.Now()}
	ex.DurationMS = out.Elapsed.Milliseconds()
	ex.Response = &report.Message{Status: resp.StatusCode, Header: e.redactHeader(resp.Header), Body: redactBody(data), Truncated: truncated}
	tooDeep := contract.CheckDepth(data)
	if tooDeep != nil {
		out.decodeErr = tooDeep // the cases read no JSON that deep: decoding and judging it cost more than linear time
	}
	switch {
	case truncated:
		ex.Violations = append(ex.Violations, fmt.Sprintf("the response body exceeds %d bytes", maxResponseBody))
	case tooDeep != nil:
		ex.Violations = append(ex.Violations, fmt.Sprintf("the response body nests deeper than %d levels (REQ-ERR-009)", contract.MaxDepth))
	case readErr != nil:
		ex.Violations = append(ex.Violations, "reading the response body failed: "+transportError(readErr))
	default:
		ex.Violations = append(ex.Violations, e.judge.answer(ctx, ctr, input, body, out)...)
	}
	t.record(ex)
	for _, v := range ex.Violations {
		t.findingAt(ex.Seq, MUST, "%s answered %s, breaking the contract: %s", requestName(ex), out, v)
	}
	if len(ex.Violations) == 0 {
		e.coverage.observe(ex.Operation, out)
	}
	return out
}

// describe flattens a validation error into one line per problem.
func describe(err error) []string {
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		var out []string
		for _, e := range multi {
			out = append(out, describe(e)...)
		}
		return out
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) {
		if re.Err != nil {
			var inner openapi3.MultiError
			if errors.As(re.Err, &inner) {
				var out []string
				for _, e := range inner {
					out = append(out, re.Reason+": "+firstLine(e.Error()))
				}
				return out
			}
			return []string{re.Reason + ": " + firstLine(re.Err.Error())}
		}
		return []string{re.Reason}
	}
	return []string{firstLine(err.Error())}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func requestName(ex report.Exchange) string {
	if ex.Operation != "" {
		return ex.Operation
	}
	return ex.Request.Method + " " + ex.Request.URL
}

func transportError(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout") {
		return "timed out: " + err.Error()
	}
	return err.Error()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
