// Package watch is idflows proxy: a reverse proxy between an app and a deployment of the API
// that forwards every exchange unchanged and judges it with the suite's own checks
// (conformance.Traffic) — request and response against the contract, the operation's (status,
// code) pairs, X-Request-Id, the envelope — printing a line per violation as it happens and
// keeping the session for the suite's reports.
package watch

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
)

// Limits of what is judged: a larger request or response is passed on as it is, and counted
// as not judged (as are calls of the mock's control plane, /_mock/).
const (
	MaxRequestBody  = 1 << 20
	MaxResponseBody = 2 << 20
)

// Proxy forwards to one upstream and judges what goes through. It is an http.Handler.
type Proxy struct {
	// Annotate adds X-Idflows-Violations to every answer that broke the contract (how many,
	// and the first), for a browser's developer tools; the proxy changes nothing else.
	Annotate bool

	upstream *url.URL
	traffic  *conformance.Traffic
	out      io.Writer // a line per violation
	proxy    *httputil.ReverseProxy

	queue  chan exchange
	judged chan struct{} // closed when the queue is drained

	mu         sync.Mutex
	closed     bool
	exchanges  int
	notJudged  int
	violations []Violation
}

// Violation is one broken rule of one exchange.
type Violation struct {
	At        time.Time `json:"at"`
	Operation string    `json:"operation"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	RequestID string    `json:"request_id,omitempty"`
	// Side is "request" (the client broke the contract) or "response" (the server did).
	Side string `json:"side"`
	Rule string `json:"rule"`
}

// New returns a proxy to upstream (the API's base URL) that writes a line per violation to out.
// allowsOrigin says whether the upstream lets an origin read answers with credentials (nil:
// CORS is not judged).
func New(upstream *url.URL, out io.Writer, allowsOrigin func(origin string) bool) (*Proxy, error) {
	traffic, err := conformance.NewTraffic(upstream.Redacted(), allowsOrigin)
	if err != nil {
		return nil, err
	}
	p := &Proxy{upstream: upstream, traffic: traffic, out: out, queue: make(chan exchange, QueueLength), judged: make(chan struct{})}
	go p.judge()
	// Connections to the upstream are kept for reuse: the default transport keeps two, and
	// would open and close one per request as soon as the app makes a few at once.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 256
	p.proxy = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
			r.Out.Host = upstream.Host
		},
		ModifyResponse: p.observe,
	}
	return p, nil
}

type bodyKey struct{}

// ServeHTTP reads the request body (up to MaxRequestBody; a larger one streams on, unjudged)
// and forwards the request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		head, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBody+1))
		if err != nil {
			http.Error(w, "idflows proxy: the request body could not be read", http.StatusBadGateway)
			return
		}
		if len(head) <= MaxRequestBody {
			r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, head))
			r.Body = io.NopCloser(bytes.NewReader(head))
		} else {
			r.Body = readCloser{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
		}
	} else {
		r = r.WithContext(context.WithValue(r.Context(), bodyKey{}, []byte(nil)))
	}
	p.proxy.ServeHTTP(w, r)
}

type readCloser struct {
	io.Reader
	io.Closer
}

// observe judges the answer on its way back; the client gets it byte for byte.
func (p *Proxy) observe(resp *http.Response) error {
	req := resp.Request
	reqBody, judgeable := req.Context().Value(bodyKey{}).([]byte)
	// The mock's own control plane is not the API: passed on, not judged.
	judgeable = judgeable && !strings.HasPrefix(req.URL.Path, strings.TrimRight(p.upstream.Path, "/")+"/_mock/")
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	if err != nil {
		return err
	}
	if len(data) > MaxResponseBody {
		judgeable = false
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(data), resp.Body), resp.Body}
	} else {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(data))
	}
	routed := req.Clone(context.WithoutCancel(req.Context()))
	routed.URL.Path = strings.TrimPrefix(req.URL.Path, strings.TrimRight(p.upstream.Path, "/"))
	ex := exchange{req: routed, url: req.URL.String(), reqBody: reqBody, status: resp.StatusCode, header: resp.Header.Clone(), body: data}
	p.mu.Lock()
	p.exchanges++
	switch {
	case !judgeable || p.closed:
		p.notJudged++
		judgeable = false
	case p.Annotate: // the header needs the verdict: judged before the answer goes on
	default:
		select {
		case p.queue <- ex: // judged behind the answer, in arrival order
		default:
			p.notJudged++ // more traffic than the judge keeps up with: counted, never delayed
		}
		judgeable = false
	}
	p.mu.Unlock()
	if judgeable {
		if v := p.judgeOne(ex); len(v.Response) > 0 {
			resp.Header.Set("X-Idflows-Violations", fmt.Sprintf("%d: %s", len(v.Response), headerSafe(v.Response[0])))
		}
	}
	return nil
}

// exchange is one exchange waiting for the judge.
type exchange struct {
	req     *http.Request
	url     string
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

// QueueLength bounds the exchanges waiting for the judge.
const QueueLength = 4096

// judge judges queued exchanges one at a time, so the rules that depend on the exchanges
// before see them in the order they came back.
func (p *Proxy) judge() {
	defer close(p.judged)
	for ex := range p.queue {
		p.judgeOne(ex)
	}
}

func (p *Proxy) judgeOne(ex exchange) conformance.Verdict {
	v := p.traffic.Observe(context.Background(), ex.req, ex.url, ex.reqBody, ex.status, ex.header, ex.body)
	p.record(ex.req, ex.status, ex.header.Get("X-Request-Id"), v)
	return v
}

// Close waits for the exchanges queued for the judge; after it, exchanges are passed on
// unjudged. Summary and Report are complete after Close.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.queue)
	}
	p.mu.Unlock()
	<-p.judged
}

func (p *Proxy) record(req *http.Request, status int, requestID string, v conformance.Verdict) {
	if len(v.Request)+len(v.Response) == 0 {
		return
	}
	base := Violation{At: time.Now().UTC(), Operation: v.Operation, Method: req.Method, Path: req.URL.Path,
		Status: status, RequestID: requestID}
	var found []Violation
	for side, rules := range map[string][]string{"request": v.Request, "response": v.Response} {
		for _, rule := range rules {
			x := base
			x.Side, x.Rule = side, report.Sanitize(rule)
			found = append(found, x)
		}
	}
	slices.SortFunc(found, func(a, b Violation) int { return strings.Compare(a.Side+a.Rule, b.Side+b.Rule) })
	p.mu.Lock()
	p.violations = append(p.violations, found...)
	p.mu.Unlock()
	for _, x := range found {
		id := ""
		if x.RequestID != "" {
			id = " (" + headerSafe(x.RequestID) + ")"
		}
		fmt.Fprintf(p.out, "VIOLATION %s %s %s → %d [%s] %s%s\n", cmp.Or(x.Operation, "no operation"), x.Method, x.Path, x.Status, x.Side, x.Rule, id)
	}
}

// headerSafe is s fit for a header value: printable ASCII, at most 200 bytes.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b[:min(len(b), 200)])
}

// Summary is what went through so far.
type Summary struct {
	Exchanges  int         `json:"exchanges"`
	NotJudged  int         `json:"not_judged"`
	Violations []Violation `json:"violations"`
}

// Summary returns what went through so far.
func (p *Proxy) Summary() Summary {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Summary{Exchanges: p.exchanges, NotJudged: p.notJudged, Violations: slices.Clone(p.violations)}
}

// ByOperation counts the violations per operation, for the terminal's summary.
func (s Summary) ByOperation() map[string]int {
	out := map[string]int{}
	for _, v := range s.Violations {
		out[cmp.Or(v.Operation, "no operation")]++
	}
	return out
}

// Report is the session as a suite report: a case per operation seen, its violations as
// findings, the offending exchanges (redacted) as evidence.
func (p *Proxy) Report() *report.Report { return p.traffic.Report() }
