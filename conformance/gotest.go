package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance/report"
)

// Run runs the suite inside `go test`: each case is a subtest named by its id, run as the
// subtest runs, so `go test -run 'TestStaging/login\.password'` runs only those cases and
// -failfast stops at the first failure. A failed case fails its subtest with each finding and
// its evidence; SKIPPED and waived cases skip with their reason; REVIEW fails (a verdict that
// needs a person is no pass); a stale waiver fails, so waiver files only shrink. Cases run one
// after another (the whole suite takes seconds). It returns the report of the cases that ran.
func Run(t *testing.T, target Target, opts Options) *report.Report {
	t.Helper()
	r, err := startRun(t.Context(), target, opts)
	require.NoError(t, err, "the conformance run could not start")
	defer r.stop(nil)
	var results []report.Case
	for _, c := range r.cases {
		t.Run(c.ID, func(t *testing.T) {
			res := r.runCase(c)
			results = append(results, res)
			judge(t, res)
		})
	}
	return r.finish(results)
}

// judge turns one case's result into its subtest's outcome.
func judge(t *testing.T, c report.Case) {
	switch {
	case c.StaleWaiver:
		assert.Fail(t, "stale waiver", "%s passes but is waived (%q): delete its waiver", c.ID, c.Waiver)
	case c.Waiver != "":
		t.Skipf("waived: %s", c.Waiver)
	case c.Status == report.Skipped:
		t.Skip(c.Reason)
	case c.Status == report.Review:
		assert.Fail(t, "REVIEW", "the suite could not decide %s: %s", c.ID, c.Reason)
	}
	for _, f := range c.Findings {
		msg := evidenceFor(c, f)
		if f.Severity == string(MUST) {
			assert.Fail(t, f.Message, msg)
		} else {
			t.Logf("WARNING (SHOULD): %s\n%s", f.Message, msg)
		}
	}
}

func evidenceFor(c report.Case, f report.Finding) string {
	for _, ex := range c.Exchanges {
		if ex.Seq == f.Exchange {
			return report.FormatExchange(ex)
		}
	}
	return ""
}
