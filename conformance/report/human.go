package report

import (
	"fmt"
	"io"
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

// HumanEvidence is how many cases of a section the human summary shows with their exchanges;
// the rest show their findings only (every report format keeps all the evidence).
const HumanEvidence = 10

// Human writes the summary for a person: failures first with their evidence, then warnings,
// reviews, stale waivers, skips, coverage and the verdict.
func Human(w io.Writer, r *Report) error {
	p := &printer{w: w}
	p.f("\nidflows conformance %s — contract %s\n", r.Suite.Version, short(r.ContractSHA256))
	p.f("target %s · profiles %s · %s\n", r.Target, strings.Join(r.Profiles, ","), r.FinishedAt.Sub(r.StartedAt).Round(1e6))
	section := func(title string, match func(Case) bool, evidence bool) {
		var list []Case
		for _, c := range r.Cases {
			if match(c) {
				list = append(list, c)
			}
		}
		if len(list) == 0 {
			return
		}
		p.f("\n%s (%d)\n", title, len(list))
		for i, c := range list {
			if evidence && i == HumanEvidence {
				p.f("\n  (the evidence of the %d cases below is in the --json, --junit and --html reports)\n", len(list)-i)
			}
			p.f("\n● %s — %s\n  %s · %s\n", c.ID, c.Title, c.Severity, strings.Join(c.Requirements, ", "))
			if c.Reason != "" {
				p.f("  %s\n", c.Reason)
			}
			for _, f := range c.Findings {
				p.f("  ✗ [%s] %s\n", f.Severity, f.Message)
			}
			if evidence && i < HumanEvidence {
				for _, ex := range c.Exchanges {
					if referenced(c, ex.Seq) {
						p.f("%s", indent(FormatExchange(ex), "    ")+"\n")
					}
				}
			}
		}
	}
	section("FAILED", Case.Counts, true)
	section("WARNINGS", func(c Case) bool { return c.Status == Warning && c.Waiver == "" }, true)
	section("REVIEW", func(c Case) bool { return c.Status == Review }, true)
	section("STALE WAIVERS — these pass; delete their waivers", func(c Case) bool { return c.StaleWaiver }, false)
	var skipped []string
	for _, c := range r.Cases {
		if c.Status == Skipped {
			skipped = append(skipped, c.ID+": "+c.Reason)
		}
	}
	if len(skipped) > 0 {
		p.f("\nSKIPPED (%d)\n  %s\n", len(skipped), strings.Join(skipped, "\n  "))
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
