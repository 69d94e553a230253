package conformance

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/avnology/idflows/conformance/report"
)

// ErrUnreachable is what a PreflightError is (errors.Is): the run could not start, and no
// case was judged.
var ErrUnreachable = errors.New("target unreachable")

// PreflightError says which part of a run's setup does not answer as it must: the target
// ("target"), the control plane ("control") or the inbox ("inbox"), what is wrong, and a hint.
type PreflightError struct {
	Part    string
	Problem string
	Hint    string
}

func (e *PreflightError) Error() string {
	msg := e.Part + ": " + e.Problem
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Is makes a PreflightError an ErrUnreachable.
func (e *PreflightError) Is(target error) bool { return target == ErrUnreachable }

// Preflighter is a capability that can prove, before any case, that it works: a control plane
// that answers with the token it was given, an inbox that answers.
type Preflighter interface {
	Preflight(ctx context.Context) error
}

// preflightTimeout bounds each preflight call: a target that cannot create a login flow in
// this long is not worth a run.
const preflightTimeout = 5 * time.Second

// maxPreflightBody caps what the preflight reads of any answer.
const maxPreflightBody = 64 << 10

// preflight checks, before any case, that the target answers GET /v1/flows/login in time and
// looks like this API, and that every capability it was given works.
func (e *engine) preflight(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, min(preflightTimeout, e.client.Timeout))
	defer cancel()
	if err := e.preflightTarget(ctx); err != nil {
		return err
	}
	checked := map[any]bool{}
	for _, c := range []struct {
		part string
		cap  any
	}{{"control", e.target.Clock}, {"control", e.target.Seeder}, {"control", e.target.Isolation}, {"inbox", e.target.Inbox}} {
		p, ok := c.cap.(Preflighter)
		if !ok || checked[c.cap] {
			continue
		}
		checked[c.cap] = true
		if err := p.Preflight(ctx); err != nil {
			return &PreflightError{Part: c.part, Problem: err.Error()}
		}
	}
	return nil
}

func (e *engine) preflightTarget(ctx context.Context) error {
	url := e.base.String() + "/v1/flows/login"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &PreflightError{Part: "target", Problem: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	for k, vs := range e.target.Header {
		req.Header[k] = vs
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return &PreflightError{Part: "target", Problem: "GET " + url + ": " + report.Sanitize(transportError(err)), Hint: transportHint(err, e.base.Scheme)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPreflightBody))
	if err != nil {
		return &PreflightError{Part: "target", Problem: "GET " + url + ": reading the answer: " + report.Sanitize(transportError(err)), Hint: "the target accepted the request but did not send a whole answer in time"}
	}
	var doc struct {
		ID    string          `json:"id"`
		UI    json.RawMessage `json:"ui"`
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &doc)
	switch {
	case resp.StatusCode == http.StatusOK && doc.ID != "" && len(doc.UI) > 0:
		return nil
	case doc.Error != nil && strings.HasPrefix(doc.Error.Code, "AVNOLOGY_AUTH_"):
		return nil // an answer of this API, if not a flow (a rate limit, say): the cases judge it
	}
	hint := "is --target the API root? For https://id.example.com/v1/flows/login it is https://id.example.com"
	if strings.HasSuffix(strings.TrimRight(e.base.Path, "/"), "/v1") {
		hint = "leave /v1 out of --target: the suite adds it"
	}
	return &PreflightError{Part: "target", Problem: fmt.Sprintf("GET %s answered HTTP %d, which is neither a login flow nor an AVNOLOGY_AUTH error", url, resp.StatusCode), Hint: hint}
}

// transportHint suggests a fix for an error that reached no answer.
func transportHint(err error, scheme string) string {
	var dns *net.DNSError
	var op *net.OpError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	msg := err.Error()
	switch {
	case errors.As(err, &dns):
		return "the host name does not resolve; check --target"
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		return "the TLS certificate is not trusted; --insecure accepts a self-signed staging certificate"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "the target speaks plain HTTP: use http:// in --target"
	case strings.Contains(msg, "malformed HTTP response") && scheme == "http":
		return "the target speaks TLS: use https:// in --target"
	case errors.As(err, &op) && op.Op == "dial":
		return "nothing listens there: check the host and port of --target"
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout"):
		return fmt.Sprintf("no answer within %s: a wrong port, or a server that accepts connections but does not answer HTTP", preflightTimeout)
	}
	return ""
}

// ErrTargetStopped is the cause a run is stopped with when its breaker trips.
var ErrTargetStopped = errors.New("the target stopped answering")

// breakerLimit is how many exchanges in a row may fail to get any answer before the run stops:
// enough to ride out one dropped connection, few enough that a dead target ends the run in
// about one exchange timeout.
const breakerLimit = 3

// breaker stops a run whose target stops answering: breakerLimit exchanges in a row that got
// no answer (a timeout, a refused or reset connection) trip it.
type breaker struct {
	mu     sync.Mutex
	failed int
	last   string
	trip   func(cause error)
}

// observe records whether an exchange got an answer; err is its transport error, if any.
func (b *breaker) observe(answered bool, err string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if answered {
		b.failed = 0
		return
	}
	b.failed++
	b.last = err
	if b.failed == breakerLimit && b.trip != nil {
		b.trip(fmt.Errorf("%w: %d exchanges in a row got no answer (the last: %s)", ErrTargetStopped, b.failed, report.Sanitize(err)))
	}
}
