package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance/report"
)

// Run runs the suite inside `go test`: one subtest per case, named by its id. A failed case
// fails its subtest with each finding and the evidence; SKIPPED and waived cases skip with
// their reason; a stale waiver fails, so waiver files only shrink. It returns the report for
// further assertions or writing.
func Run(t *testing.T, target Target, opts Options) *report.Report {
	t.Helper()
	rep, err := Check(t.Context(), target, opts)
	require.NoError(t, err, "the conformance run could not start")
	for _, c := range rep.Cases {
		t.Run(c.ID, func(t *testing.T) {
			switch {
			case c.StaleWaiver:
				assert.Fail(t, "stale waiver", "%s passes but is waived (%q): delete its waiver", c.ID, c.Waiver)
			case c.Waiver != "":
				t.Skipf("waived: %s", c.Waiver)
			case c.Status == report.Skipped:
				t.Skip(c.Reason)
			case c.Status == report.Review:
				t.Logf("REVIEW: %s", c.Reason)
			}
			for _, f := range c.Findings {
				if c.Waiver != "" {
					continue
				}
				msg := evidenceFor(c, f)
				if f.Severity == string(MUST) {
					assert.Fail(t, f.Message, msg)
				} else {
					t.Logf("WARNING (SHOULD): %s\n%s", f.Message, msg)
				}
			}
		})
	}
	return rep
}

func evidenceFor(c report.Case, f report.Finding) string {
	for _, ex := range c.Exchanges {
		if ex.Seq == f.Exchange {
			return report.FormatExchange(ex)
		}
	}
	return ""
}
