package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/openapi"
)

// Version is the suite's version, recorded in every report.
var Version = "dev"

// Options select and shape a run.
type Options struct {
	Profiles    []string       // empty: every profile
	Run         *regexp.Regexp // only case ids it matches
	Parallel    int            // cases at once (default 4)
	CaseTimeout time.Duration  // per case (default 30s)
	Waivers     Waivers
	// AllowSkips lets cases skipped for a missing capability pass the run (they are still
	// reported, and their profiles are not certified).
	AllowSkips bool
	// Progress, when set, is called as each case finishes (from one goroutine at a time).
	Progress func(report.Case)
}

// Plan returns the cases the options select, in report order.
func Plan(opts Options) ([]Case, error) {
	if err := loadCatalog(); err != nil {
		return nil, err
	}
	for _, p := range opts.Profiles {
		if !slices.Contains(Profiles(), p) {
			return nil, fmt.Errorf("unknown profile %q (have %v)", p, Profiles())
		}
	}
	var out []Case
	for _, c := range Cases() {
		if len(opts.Profiles) > 0 && !slices.Contains(opts.Profiles, c.Profile) {
			continue
		}
		if opts.Run != nil && !opts.Run.MatchString(c.ID) {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Check runs the selected cases against the target and reports. It returns an error only for
// a run that could not start: bad options, or a *PreflightError (errors.Is ErrUnreachable)
// when the target, its control plane or its inbox does not answer as it must. A target that
// stops answering during the run trips a breaker: the rest is SKIPPED and the outcome is ERROR.
func Check(ctx context.Context, target Target, opts Options) (*report.Report, error) {
	r, err := startRun(ctx, target, opts)
	if err != nil {
		return nil, err
	}
	defer r.stop(nil)
	results := make([]report.Case, len(r.cases))
	var (
		wg       sync.WaitGroup
		progress sync.Mutex
		slots    = make(chan struct{}, r.opts.Parallel)
	)
	for i, c := range r.cases {
		slots <- struct{}{}
		if r.ctx.Err() != nil { // stopped: what did not run is not judged
			<-slots
			results[i] = unreached(c, r.ctx)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			results[i] = r.runCase(c)
			if opts.Progress != nil {
				progress.Lock()
				opts.Progress(results[i])
				progress.Unlock()
			}
		}()
	}
	wg.Wait()
	return r.finish(results), nil
}

// suiteRun is one run of the suite: its plan, its engine and the report it fills. Its context
// is stopped by the breaker when the target stops answering.
type suiteRun struct {
	opts  Options
	cases []Case
	e     *engine
	ctx   context.Context
	stop  context.CancelCauseFunc
	rep   *report.Report
}

// startRun plans, checks the target and its capabilities (the preflight) and opens the report.
func startRun(ctx context.Context, target Target, opts Options) (*suiteRun, error) {
	cases, err := Plan(opts)
	if err != nil {
		return nil, err
	}
	e, err := newEngine(target)
	if err != nil {
		return nil, err
	}
	if err := e.preflight(ctx); err != nil {
		return nil, err
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.CaseTimeout <= 0 {
		opts.CaseTimeout = 30 * time.Second
	}
	runCtx, stop := context.WithCancelCause(ctx)
	e.breaker = &breaker{trip: stop}
	rep := &report.Report{
		Schema: report.Schema, Suite: report.Suite{Name: "idflows conformance", Version: Version},
		ContractSHA256: openapi.FlowsSHA256(), ContractVersion: e.flows.Doc.Info.Version, Target: target.BaseURL, Profiles: opts.Profiles,
		Capabilities: target.capabilities(), StartedAt: time.Now().UTC(), AllowSkips: opts.AllowSkips,
	}
	if len(rep.Profiles) == 0 {
		rep.Profiles = Profiles()
	}
	if opts.Run != nil {
		rep.Filter = opts.Run.String()
	}
	if rep.Capabilities == nil {
		rep.Capabilities = []string{}
	}
	return &suiteRun{opts: opts, cases: cases, e: e, ctx: runCtx, stop: stop, rep: rep}, nil
}

// runCase runs one case of the plan, or reports it not run when the run has stopped.
func (r *suiteRun) runCase(c Case) report.Case {
	if r.ctx.Err() != nil {
		return unreached(c, r.ctx)
	}
	return applyWaiver(r.e.run(r.ctx, c, r.opts.CaseTimeout), r.opts.Waivers)
}

// finish closes the report over the results.
func (r *suiteRun) finish(results []report.Case) *report.Report {
	if cause := context.Cause(r.ctx); errors.Is(cause, ErrTargetStopped) {
		r.rep.Aborted = cause.Error()
	}
	budgetEvidence(results)
	r.rep.Cases = results
	r.rep.Requirements = citedRequirements(results)
	r.rep.FinishedAt = time.Now().UTC()
	r.rep.Coverage = r.e.coverage.report()
	r.rep.Tally()
	return r.rep
}

// citedRequirements is the text of every requirement the cases cite.
func citedRequirements(cases []report.Case) map[string]report.Requirement {
	all := openapi.Requirements()
	out := map[string]report.Requirement{}
	for _, c := range cases {
		for _, id := range c.Requirements {
			if r, ok := all[id]; ok {
				out[id] = report.Requirement{Severity: r.Severity, Text: r.Text}
			}
		}
	}
	return out
}

// run runs one case with its timeout; a case that overruns is abandoned as FAILED (its
// requests carry the cancelled context, so it unwinds on its own).
func (e *engine) run(parent context.Context, c Case, timeout time.Duration) report.Case {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	t := &T{ctx: ctx, c: c, e: e, target: e.target, scope: Scope{Header: http.Header{}}}
	if e.target.Isolation != nil {
		t.scope = e.target.Isolation.NewScope(c.ID)
	}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stop); !ok {
					t.Reviewf("suite error: the case panicked: %v\n%s", v, debug.Stack())
				}
			}
		}()
		for _, need := range c.Needs {
			t.Need(need)
		}
		c.Run(t)
	}()
	timedOut := false
	select {
	case <-done:
	case <-ctx.Done():
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			timedOut = true
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	res := report.Case{
		ID: c.ID, Title: c.Title, Profile: c.Profile, Severity: string(c.Severity),
		Requirements: c.Requirements, DurationMS: time.Since(start).Milliseconds(),
		Findings: slices.Clone(t.findings), Exchanges: slices.Clone(t.exchanges),
	}
	if timedOut || errors.Is(ctx.Err(), context.DeadlineExceeded) && parent.Err() == nil {
		res.Findings = append(res.Findings, report.Finding{Severity: string(MUST), Message: fmt.Sprintf("the case did not finish within %s", timeout)})
	}
	// A stopped run reports what its cases had found by then; a case that found nothing was
	// not judged.
	if parent.Err() != nil && (len(res.Findings) == 0 || !errors.Is(context.Cause(parent), ErrTargetStopped)) {
		return unreached(c, parent)
	}
	res.Status = verdict(res.Findings, t.skip, t.review)
	switch res.Status {
	case report.Skipped:
		res.Reason = t.skip
	case report.Review:
		res.Reason = fmt.Sprint(t.review)
	}
	if res.Status == report.Passed || res.Status == report.Skipped {
		res.Exchanges = nil // evidence is for what needs looking at
	}
	keepEvidence(&res)
	return res
}

// unreached is a case the run never judged, because ctx — the run's — was stopped.
func unreached(c Case, ctx context.Context) report.Case {
	reason := "the run was interrupted"
	if errors.Is(context.Cause(ctx), ErrTargetStopped) {
		reason = "not run: the target stopped answering"
	}
	return report.Case{ID: c.ID, Title: c.Title, Profile: c.Profile, Severity: string(c.Severity), Requirements: c.Requirements,
		Status: report.Skipped, Reason: reason, Unreached: true}
}

func verdict(findings []report.Finding, skip string, review []string) report.Status {
	must, should := false, false
	for _, f := range findings {
		must = must || f.Severity == string(MUST)
		should = should || f.Severity == string(SHOULD)
	}
	switch {
	case must:
		return report.Failed
	case len(review) > 0:
		return report.Review
	case should:
		return report.Warning
	case skip != "":
		return report.Skipped
	}
	return report.Passed
}

func applyWaiver(c report.Case, w Waivers) report.Case {
	reason, ok := w[c.ID]
	if !ok {
		return c
	}
	switch c.Status {
	case report.Failed, report.Warning:
		c.Waiver = reason
	case report.Passed:
		c.StaleWaiver = true
		c.Waiver = reason
	}
	return c
}
