package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Line is the live progress line of one finished case.
func Line(c Case) string {
	status := string(c.Status)
	switch {
	case c.StaleWaiver:
		status = "PASSED*"
	case c.Waiver != "":
		status = "WAIVED"
	}
	line := fmt.Sprintf("%-8s %-58s %5d ms", status, c.ID, c.DurationMS)
	switch {
	case c.StaleWaiver:
		line += "  (waived, yet passed: delete the waiver)"
	case c.Status == Skipped || c.Status == Review:
		line += "  " + firstLine(c.Reason)
	case len(c.Findings) > 0:
		line += "  " + firstLine(c.Findings[0].Message)
	}
	return Sanitize(line)
}

// Problem is one root cause: the findings of every case that broke the same rule the same way
// — the same operation answering the same wrong status and code, or the same violation of the
// contract — counted once.
type Problem struct {
	Key         string   // what went wrong, without the case-specific wording
	Details     []string // what the cases expected instead, or how they put it (distinct)
	Requirement string   // the REQ id it breaks
	Cases       []string // the ids of the cases that show it, in report order
	Example     Case     // the first of them
	Finding     Finding  // its finding
}

// Problems groups the findings of the cases that match by root cause, most cases first.
func Problems(r *Report, match func(Case) bool) []Problem {
	var out []Problem
	index := map[string]int{}
	for _, c := range r.Cases {
		if !match(c) {
			continue
		}
		seen := map[string]bool{}
		for _, f := range c.Findings {
			key, detail := rootCause(c, f)
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, Problem{Key: key, Requirement: f.Requirement, Example: c, Finding: f})
			}
			if detail != "" && !slices.Contains(out[i].Details, detail) {
				out[i].Details = append(out[i].Details, detail)
			}
			if !seen[key] {
				seen[key] = true
				out[i].Cases = append(out[i].Cases, c.ID)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Problem) int { return len(b.Cases) - len(a.Cases) })
	return out
}

var (
	// "submitLoginFlow answered 401 AVNOLOGY_AUTH_004, breaking the contract: 401 AVNOLOGY_AUTH_004 is not in …"
	unlistedAnswer = regexp.MustCompile(`^(.+ answered [0-9]{3}(?: [A-Z_0-9]+)?), breaking the contract: [0-9]{3} \S* ?is not in .*x-error-codes`)
	// "… breaking the contract: no X-Request-Id header (REQ-ERR-002)"
	violation = regexp.MustCompile(`^.+ answered [0-9]{3}(?: [A-Z_0-9]+)?, breaking the contract: (.+)$`)
	// "the fifth wrong password: want 423 AVNOLOGY_AUTH_002, got 401 AVNOLOGY_AUTH_001"
	expectation = regexp.MustCompile(`(?:^|: )(want .+), got (.+)$`)
)

// rootCause is a finding without the case's own wording: an unexpected answer is keyed by the
// operation and what it answered (what was wanted is the detail); a contract violation by the
// violation itself, whichever operation showed it.
func rootCause(c Case, f Finding) (key, detail string) {
	msg := firstLine(f.Message)
	if m := unlistedAnswer.FindStringSubmatch(msg); m != nil {
		return m[1], "not a (status, code) the operation lists"
	}
	if m := violation.FindStringSubmatch(msg); m != nil {
		return m[1], ""
	}
	if m := expectation.FindStringSubmatch(msg); m != nil {
		op := ""
		if ex := exchangeOf(c, f.Exchange); ex != nil {
			op = ex.Operation
			if op == "" {
				op = ex.Request.Method + " " + pathOf(ex.Request.URL)
			}
		}
		if op == "" {
			return "got " + m[2], m[1]
		}
		return op + " answered " + strings.TrimPrefix(m[2], "HTTP "), m[1]
	}
	return msg, ""
}

func exchangeOf(c Case, seq int) *Exchange {
	for i := range c.Exchanges {
		if c.Exchanges[i].Seq == seq {
			return &c.Exchanges[i]
		}
	}
	return nil
}

func pathOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Path
	}
	return raw
}

// Curl is a command that sends the exchange's request again, secrets still redacted: replace
// each [REDACTED] with a value of your own run.
func Curl(ex Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl -sS -X %s %s", ex.Request.Method, shellQuote(ex.Request.URL))
	keys := make([]string, 0, len(ex.Request.Header))
	for k := range ex.Request.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "Accept-Encoding" || k == "User-Agent" {
			continue
		}
		for _, v := range ex.Request.Header[k] {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if body := ex.Request.Body; body != "" {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(body)) == nil {
			body = compact.String()
		}
		b.WriteString(" --data-raw " + shellQuote(body))
	}
	return Sanitize(b.String())
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// HumanProblems is how many problems of a section the human summary shows in full; the rest
// get one line each (every report format keeps all the evidence).
const HumanProblems = 10

// Human writes the summary for a person: the problems first, each once with the cases that
// show it, the requirement it breaks, a curl reproduction and a compact piece of evidence;
// then reviews, stale waivers, skips grouped by what would let them run, coverage, the
// certified profiles and the verdict.
func Human(w io.Writer, r *Report) error {
	p := &printer{w: w}
	p.f("\nidflows conformance %s — contract %s (sha256 %s)\n", r.Suite.Version, cmp.Or(r.ContractVersion, "?"), short(r.ContractSHA256))
	p.f("target %s · profiles %s · %s\n", r.Target, strings.Join(r.Profiles, ","), r.FinishedAt.Sub(r.StartedAt).Round(1e6))
	problems := func(title string, match func(Case) bool) {
		list := Problems(r, match)
		if len(list) == 0 {
			return
		}
		cases := 0
		for _, c := range r.Cases {
			if match(c) {
				cases++
			}
		}
		p.f("\n%s — %d cases, %d distinct problems\n", title, cases, len(list))
		for i, pr := range list {
			if i == HumanProblems {
				p.f("\n  … and %d more problems, one line each:\n", len(list)-i)
			}
			if i >= HumanProblems {
				p.f("  [%d] %s — %d cases\n", i+1, pr.Key, len(pr.Cases))
				continue
			}
			p.f("\n[%d] %s — %d %s\n", i+1, pr.Key, len(pr.Cases), plural(len(pr.Cases), "case", "cases"))
			if line := r.requirementLine(pr.Requirement); line != "" {
				p.f("    %s\n", line)
			}
			for _, d := range pr.Details[:min(len(pr.Details), 3)] {
				p.f("    · %s\n", d)
			}
			p.f("    cases: %s\n", strings.Join(pr.Cases, ", "))
			if ex := exchangeOf(pr.Example, pr.Finding.Exchange); ex != nil {
				p.f("    reproduce (%s, exchange #%d): %s\n", pr.Example.ID, ex.Seq, Curl(*ex))
				if ex.Response != nil {
					p.f("    answered: %d %s\n", ex.Response.Status, errorCodeOf(ex.Response.Body))
				} else if ex.Error != "" {
					p.f("    answered: nothing (%s)\n", ex.Error)
				}
			}
		}
	}
	problems("FAILED", Case.Counts)
	problems("WARNINGS", func(c Case) bool { return c.Status == Warning && c.Waiver == "" })
	var review []string
	for _, c := range r.Cases {
		if c.Status == Review {
			review = append(review, c.ID+": "+firstLine(c.Reason))
		}
	}
	if len(review) > 0 {
		p.f("\nREVIEW — the suite could not decide (%d)\n  %s\n", len(review), strings.Join(review, "\n  "))
	}
	var stale []string
	for _, c := range r.Cases {
		if c.StaleWaiver {
			stale = append(stale, c.ID)
		}
	}
	if len(stale) > 0 {
		p.f("\nSTALE WAIVERS — these pass; delete their waivers (%d)\n  %s\n", len(stale), strings.Join(stale, ", "))
	}
	skips := map[string][]string{}
	var reasons []string
	for _, c := range r.Cases {
		if c.Status == Skipped {
			if _, ok := skips[c.Reason]; !ok {
				reasons = append(reasons, c.Reason)
			}
			skips[c.Reason] = append(skips[c.Reason], c.ID)
		}
	}
	if len(reasons) > 0 {
		p.f("\nSKIPPED (%d)\n", r.Summary.Skipped)
		for _, reason := range reasons {
			p.f("  %s — %d: %s\n", reason, len(skips[reason]), strings.Join(skips[reason], ", "))
		}
	}
	cv := r.Coverage
	p.f("\nCoverage: operations %d/%d (%.0f%%) · error pairs %d/%d (%.0f%%) · flow states %d/%d (%.0f%%)\n",
		cv.Operations.Covered, cv.Operations.Declared, cv.Operations.Percent(),
		cv.ErrorPairs.Covered, cv.ErrorPairs.Declared, cv.ErrorPairs.Percent(),
		cv.States.Covered, cv.States.Declared, cv.States.Percent())
	s := r.Summary
	certified := "none"
	if len(s.Certified) > 0 {
		certified = strings.Join(s.Certified, ", ")
	}
	p.f("Certified profiles (every case passed or waived): %s\n", certified)
	if r.Aborted != "" {
		p.f("\nThe run stopped early: %s\n", r.Aborted)
	}
	p.f("\n%s: %d cases — %d passed, %d failed, %d waived, %d warnings, %d review, %d skipped",
		s.Outcome, s.Total, s.Passed, s.Failed, s.Waived, s.Warnings, s.Review, s.Skipped)
	if s.StaleWaivers > 0 {
		p.f(", %d stale waivers", s.StaleWaivers)
	}
	p.f("\n")
	if s.Reason != "" {
		p.f("%s (exit %d): %s\n", s.Outcome, s.Outcome.ExitCode(), s.Reason)
	}
	return p.err
}

// requirementLine is "REQ-… MUST: text", or just the id when the report lacks its text.
func (r *Report) requirementLine(id string) string {
	if req, ok := r.Requirements[id]; ok {
		return id + " " + req.Severity + ": " + req.Text
	}
	return id
}

// errorCodeOf is the error code in a (redacted) response body, "" when none.
func errorCodeOf(body string) string {
	var doc struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &doc)
	return doc.Error.Code
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func referenced(c Case, seq int) bool {
	for _, f := range c.Findings {
		if f.Exchange == seq {
			return true
		}
	}
	return false
}

type printer struct {
	w   io.Writer
	err error
}

// f prints; whatever the arguments hold (they may come from the target) is sanitised.
func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = io.WriteString(p.w, Sanitize(fmt.Sprintf(format, args...)))
	}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
