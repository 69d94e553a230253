package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// JUnit writes the report as JUnit XML: one testsuite per profile, one testcase per case.
// Failures carry their findings and evidence; skipped and waived cases are <skipped>.
func JUnit(w io.Writer, r *Report) error {
	type failure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type skipped struct {
		Message string `xml:"message,attr"`
	}
	type errored struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	type testcase struct {
		Name      string   `xml:"name,attr"`
		Classname string   `xml:"classname,attr"`
		Time      string   `xml:"time,attr"`
		Failure   *failure `xml:"failure,omitempty"`
		Error     *errored `xml:"error,omitempty"`
		Skipped   *skipped `xml:"skipped,omitempty"`
		SystemOut string   `xml:"system-out,omitempty"`
	}
	type testsuite struct {
		Name      string     `xml:"name,attr"`
		Tests     int        `xml:"tests,attr"`
		Failures  int        `xml:"failures,attr"`
		Errors    int        `xml:"errors,attr"`
		Skipped   int        `xml:"skipped,attr"`
		Time      string     `xml:"time,attr"`
		Timestamp string     `xml:"timestamp,attr"`
		Cases     []testcase `xml:"testcase"`
	}
	type testsuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Suites   []testsuite `xml:"testsuite"`
	}
	out := testsuites{Name: fmt.Sprintf("idflows conformance %s against %s", r.Suite.Version, r.Target)}
	index := map[string]int{}
	for _, c := range r.Cases {
		i, ok := index[c.Profile]
		if !ok {
			i = len(out.Suites)
			index[c.Profile] = i
			out.Suites = append(out.Suites, testsuite{Name: c.Profile, Timestamp: r.StartedAt.Format("2006-01-02T15:04:05Z")})
		}
		tc := testcase{Name: c.Title + " [" + c.ID + "]", Classname: "conformance." + c.Profile, Time: seconds(c.DurationMS)}
		var details strings.Builder
		for _, id := range c.Requirements {
			if req, ok := r.Requirements[id]; ok {
				fmt.Fprintf(&details, "%s %s: %s\n", id, req.Severity, req.Text)
			}
		}
		if details.Len() > 0 {
			details.WriteString("\n")
		}
		for _, f := range c.Findings {
			fmt.Fprintf(&details, "[%s] %s\n", f.Severity, f.Message)
		}
		for _, ex := range c.Exchanges {
			if referenced(c, ex.Seq) {
				details.WriteString("\n" + FormatExchange(ex))
			}
		}
		s := &out.Suites[i]
		switch {
		case c.Counts():
			tc.Failure = &failure{Message: firstFinding(c), Type: c.Severity, Text: Sanitize(details.String())}
			s.Failures++
		case c.Waiver != "" && !c.StaleWaiver:
			tc.Skipped = &skipped{Message: "waived: " + c.Waiver}
			s.Skipped++
		case c.Status == Skipped:
			tc.Skipped = &skipped{Message: c.Reason}
			s.Skipped++
		case c.Status == Review: // the suite could not decide: neither a pass nor the target's failure
			tc.Error = &errored{Message: "REVIEW: " + firstLine(c.Reason), Type: "REVIEW", Text: c.Reason + "\n" + details.String()}
			s.Errors++
		case c.StaleWaiver:
			tc.SystemOut = "passed while waived (" + c.Waiver + "): delete the waiver"
		case c.Status == Warning:
			tc.SystemOut = string(c.Status) + ": " + c.Reason + "\n" + details.String()
		}
		s.Tests++
		s.Cases = append(s.Cases, tc)
	}
	for i := range out.Suites {
		var ms int64
		for _, c := range r.Cases {
			if c.Profile == out.Suites[i].Name {
				ms += c.DurationMS
			}
		}
		out.Suites[i].Time = seconds(ms)
		out.Tests += out.Suites[i].Tests
		out.Failures += out.Suites[i].Failures
		out.Errors += out.Suites[i].Errors
		out.Skipped += out.Suites[i].Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// firstFinding is a failure's one-line message, with the requirement it breaks.
func firstFinding(c Case) string {
	if len(c.Findings) == 0 {
		return Sanitize(firstLine(c.Reason))
	}
	f := c.Findings[0]
	msg := firstLine(f.Message)
	if f.Requirement != "" && !strings.Contains(msg, f.Requirement) {
		msg += " (" + f.Requirement + ")"
	}
	return Sanitize(msg)
}
