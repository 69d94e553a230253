package conformance

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/avnology/idflows/conformance/report"
)

// T is a running case: it sends requests, records evidence and collects findings. Fatalf,
// Skipf and a transport failure end the case (they unwind the case's goroutine, like
// testing.T.FailNow), so they must be called from the goroutine running the case.
type T struct {
	ctx    context.Context
	c      Case
	e      *engine
	scope  Scope
	target Target

	mu        sync.Mutex
	seq       int
	findings  []report.Finding
	exchanges []report.Exchange
	skip      string
	review    []string
	totpSteps map[string]int64 // the last TOTP time step the case used, per secret
}

// stop unwinds a case; the runner recovers it.
type stop struct{}

// Context is cancelled when the case times out or the run is stopped.
func (t *T) Context() context.Context { return t.ctx }

// Case is the case being run.
func (t *T) Case() Case { return t.c }

// Errorf records a violated MUST and continues.
func (t *T) Errorf(format string, args ...any) { t.findingAt(t.lastSeq(), MUST, format, args...) }

// Warnf records a violated SHOULD and continues.
func (t *T) Warnf(format string, args ...any) { t.findingAt(t.lastSeq(), SHOULD, format, args...) }

// Fatalf records a violated MUST and ends the case.
func (t *T) Fatalf(format string, args ...any) { t.fatalAt(t.lastSeq(), format, args...) }

// Skipf ends the case as SKIPPED with the reason.
func (t *T) Skipf(format string, args ...any) {
	t.mu.Lock()
	t.skip = fmt.Sprintf(format, args...)
	t.mu.Unlock()
	panic(stop{})
}

// Reviewf asks a person to judge something the suite cannot decide, and continues.
func (t *T) Reviewf(format string, args ...any) {
	t.mu.Lock()
	t.review = append(t.review, fmt.Sprintf(format, args...))
	t.mu.Unlock()
}

// Check records a MUST finding when ok is false and reports ok.
func (t *T) Check(ok bool, format string, args ...any) bool {
	if !ok {
		t.Errorf(format, args...)
	}
	return ok
}

// ExpectStatus checks the HTTP status of r.
func (t *T) ExpectStatus(r *Response, status int, why string) bool {
	return t.checkAt(r.Seq, r.Status == status, "%s: want HTTP %d, got %s", why, status, r)
}

// ExpectError checks that r is the error (status, code).
func (t *T) ExpectError(r *Response, status int, code, why string) bool {
	return t.checkAt(r.Seq, r.Status == status && r.Code() == code, "%s: want %d %s, got %s", why, status, code, r)
}

// RequireStatus is ExpectStatus that ends the case when it fails.
func (t *T) RequireStatus(r *Response, status int, why string) {
	if !t.ExpectStatus(r, status, why) {
		panic(stop{})
	}
}

func (t *T) checkAt(seq int, ok bool, format string, args ...any) bool {
	if !ok {
		t.findingAt(seq, MUST, format, args...)
	}
	return ok
}

func (t *T) findingAt(seq int, sev Severity, format string, args ...any) {
	if t.c.Severity == SHOULD { // a SHOULD case cannot fail a MUST
		sev = SHOULD
	}
	msg := fmt.Sprintf(format, args...)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.findings = append(t.findings, report.Finding{Severity: string(sev), Message: msg, Exchange: seq, Requirement: t.requirementOf(msg)})
}

var reqID = regexp.MustCompile(`REQ-[A-Z]+-[0-9]{3}`)

// requirementOf is the requirement a finding breaks: the one its message names, else the
// case's first.
func (t *T) requirementOf(msg string) string {
	if id := reqID.FindString(msg); id != "" {
		return id
	}
	for _, r := range t.c.Requirements {
		if strings.HasPrefix(r, "REQ-") {
			return r
		}
	}
	return ""
}

func (t *T) fatalAt(seq int, format string, args ...any) {
	t.findingAt(seq, MUST, format, args...)
	panic(stop{})
}

// suiteError ends a case whose own request is wrong: that is the suite's fault, so a person
// must look, and the target is not blamed.
func (t *T) suiteError(format string, args ...any) {
	t.Reviewf("suite error: "+format, args...)
	panic(stop{})
}

func (t *T) nextSeq() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	return t.seq
}

func (t *T) lastSeq() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

func (t *T) record(ex report.Exchange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.exchanges = append(t.exchanges, ex)
}

// Need ends the case as SKIPPED unless the target has the capability.
func (t *T) Need(c Capability) {
	if !t.target.has(c) {
		t.Skipf("needs %s: the target offers no %s capability", flagFor[c], c)
	}
}
