package conformance

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/openapi"
)

// Traffic judges exchanges the suite did not make — an app's, seen by idflows proxy — each on
// its own and by the flows and sessions before it (history), and reports them as the suite
// reports a run: a case per operation seen ("traffic.<operation>"),
// failed by what its answers broke (MUST), warned by what its requests broke (SHOULD: the
// client's doing, not the server's), with the offending exchanges as redacted evidence. It is
// safe for concurrent use.
type Traffic struct {
	judge    *Judge
	history  history
	coverage *coverage // what the traffic exercised in conformance
	target   string
	started  time.Time

	mu  sync.Mutex
	seq int
	ops map[string]*trafficCase
}

type trafficCase struct {
	exchanges int
	findings  []report.Finding
	evidence  []report.Exchange
	omitted   int
	reqs      []string
}

// MaxTrafficEvidence bounds the exchanges a report keeps per operation.
const MaxTrafficEvidence = 20

// NewTraffic starts judging traffic to target (for the report's header). allowsOrigin says
// whether the deployment lets an origin read its answers with credentials; any other origin
// that is let is reported (REQ-CSRF-005). Nil does not judge CORS.
func NewTraffic(target string, allowsOrigin func(origin string) bool) (*Traffic, error) {
	j, err := NewJudge()
	if err != nil {
		return nil, err
	}
	tr := &Traffic{judge: j, coverage: newCoverage(j.flows), target: target, started: time.Now().UTC(), ops: map[string]*trafficCase{}}
	tr.history.allowsOrigin = allowsOrigin
	return tr, nil
}

// Observe judges one exchange, as Judge.Exchange does, and keeps it for the report. url is
// the request's full URL, for the evidence.
func (tr *Traffic) Observe(ctx context.Context, req *http.Request, url string, reqBody []byte, status int, header http.Header, body []byte) Verdict {
	v := tr.judge.Exchange(ctx, req, reqBody, status, header, body)
	v.Response = append(v.Response, tr.history.judge(v.Operation, req, reqBody, status, header, body)...) // what came before says of it
	if len(v.Response) == 0 {
		tr.coverage.observe(v.Operation, v.answer)
	}
	op := cmp.Or(v.Operation, "unrouted")
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.seq++
	c := tr.ops[op]
	if c == nil {
		c = &trafficCase{}
		if v.Operation != "" {
			c.reqs = []string{v.Operation}
		}
		tr.ops[op] = c
	}
	c.exchanges++
	if len(v.Request)+len(v.Response) == 0 {
		return v
	}
	if len(c.evidence) >= MaxTrafficEvidence {
		c.omitted++
	} else {
		c.evidence = append(c.evidence, report.Exchange{Seq: tr.seq, Operation: v.Operation, At: time.Now().UTC(),
			Request:    report.Message{Method: req.Method, URL: redactURL(url), Header: redactHeader(req.Header), Body: redactBody(reqBody)},
			Response:   &report.Message{Status: status, Header: redactHeader(header), Body: redactBody(body)},
			Violations: slices.Clone(v.Response)})
	}
	add := func(sev Severity, prefix string, rules []string) {
		for _, rule := range rules {
			msg := prefix + rule
			id := reqID.FindString(msg)
			if id != "" && !slices.Contains(c.reqs, id) {
				c.reqs = append(c.reqs, id)
			}
			c.findings = append(c.findings, report.Finding{Severity: string(sev), Message: msg, Exchange: tr.seq, Requirement: id})
		}
	}
	add(MUST, fmt.Sprintf("%s %s answered %d, breaking the contract: ", req.Method, req.URL.Path, status), v.Response)
	add(SHOULD, fmt.Sprintf("the client sent %s %s, which the contract does not allow: ", req.Method, req.URL.Path), v.Request)
	return v
}

// Report is the traffic so far as a suite report, ready for report.JSON, report.JUnit and
// report.HTML.
func (tr *Traffic) Report() *report.Report {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := &report.Report{
		Schema: report.Schema, Suite: report.Suite{Name: "idflows proxy", Version: Version},
		ContractSHA256: openapi.FlowsSHA256(), ContractVersion: tr.judge.flows.Doc.Info.Version, Target: tr.target,
		Profiles: []string{"traffic"}, Capabilities: []string{}, StartedAt: tr.started, FinishedAt: time.Now().UTC(),
	}
	names := make([]string, 0, len(tr.ops))
	for op := range tr.ops {
		names = append(names, op)
	}
	slices.Sort(names)
	for _, op := range names {
		c := tr.ops[op]
		rc := report.Case{ID: "traffic." + op, Title: fmt.Sprintf("%s: %d exchanges seen", op, c.exchanges), Profile: "traffic",
			Severity: string(MUST), Requirements: slices.Clone(c.reqs), Status: report.Passed,
			Findings: slices.Clone(c.findings), Exchanges: slices.Clone(c.evidence), EvidenceOmitted: c.omitted}
		for _, f := range c.findings {
			switch {
			case f.Severity == string(MUST):
				rc.Status = report.Failed
			case rc.Status == report.Passed:
				rc.Status = report.Warning
			}
		}
		if rc.Status != report.Passed {
			rc.Reason = c.findings[0].Message
		}
		r.Cases = append(r.Cases, rc)
	}
	r.Coverage = tr.coverage.report()
	r.Requirements = citedRequirements(r.Cases)
	r.Tally()
	return r
}
