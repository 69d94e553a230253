package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample has a case of every kind, with evidence.
func sample() *Report {
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	ex := Exchange{Seq: 1, Operation: "submitLoginFlow", At: start, DurationMS: 3,
		Request:    Message{Method: "POST", URL: "http://127.0.0.1:4433/v1/flows/login/x:submit", Header: map[string][]string{"Content-Type": {"application/json"}}, Body: `{"method":"password"}`},
		Response:   &Message{Status: 422, Header: map[string][]string{"X-Request-Id": {"req_1"}}, Body: `{"error":{"code":"AVNOLOGY_AUTH_902"}}`},
		Violations: []string{"status is not supported"}}
	r := &Report{
		Schema: Schema, Suite: Suite{Name: "idflows conformance", Version: "v1.2.3"}, ContractSHA256: strings.Repeat("ab", 32),
		Target: "http://127.0.0.1:4433", Profiles: []string{"core", "security"}, Capabilities: []string{"clock", "isolation"},
		StartedAt: start, FinishedAt: start.Add(2 * time.Second),
		Cases: []Case{
			{ID: "login.a", Title: "passes", Profile: "core", Severity: "MUST", Requirements: []string{"REQ-LOGIN-001"}, Status: Passed},
			{ID: "login.b", Title: "fails <script>alert(1)</script>", Profile: "core", Severity: "MUST", Requirements: []string{"submitLoginFlow"}, Status: Failed,
				Findings: []Finding{{Severity: "MUST", Message: "want 400, got 422", Exchange: 1}}, Exchanges: []Exchange{ex}},
			{ID: "login.c", Title: "waived", Profile: "core", Severity: "MUST", Requirements: []string{"REQ-X"}, Status: Failed, Waiver: "not built"},
			{ID: "login.d", Title: "stale", Profile: "core", Severity: "MUST", Requirements: []string{"REQ-X"}, Status: Passed, Waiver: "old", StaleWaiver: true},
			{ID: "security.e", Title: "warns", Profile: "security", Severity: "SHOULD", Requirements: []string{"REQ-LIMIT-001"}, Status: Warning,
				Findings: []Finding{{Severity: "SHOULD", Message: "no X-RateLimit-Limit", Requirement: "REQ-LIMIT-001"}}},
			{ID: "security.f", Title: "skips", Profile: "security", Severity: "MUST", Requirements: []string{"REQ-X"}, Status: Skipped, Reason: "the target offers no clock capability"},
			{ID: "security.g", Title: "review", Profile: "security", Severity: "MUST", Requirements: []string{"REQ-X"}, Status: Review, Reason: "timing differs"},
		},
		Coverage: Coverage{
			Operations: Ratio{Covered: 1, Declared: 2, Missing: []string{"getSession"}},
			ErrorPairs: Ratio{Covered: 0, Declared: 1, Missing: []string{"getSession 401 AVNOLOGY_AUTH_005"}},
			States:     Ratio{Covered: 1, Declared: 1, Missing: []string{}},
		},
	}
	r.Tally()
	return r
}

func TestTally(t *testing.T) {
	s := sample().Summary
	assert.Equal(t, Summary{Total: 7, Passed: 2, Failed: 1, Warnings: 1, Skipped: 1, Review: 1, Waived: 1, StaleWaivers: 1, Ok: false,
		Outcome: Fail, Reason: "1 cases failed a MUST", Certified: []string{}}, s)
}

// The outcome never says PASS for a run that verified nothing or left something unverified
// (D14).
func TestOutcomes(t *testing.T) {
	passed := Case{Profile: "core", Status: Passed}
	for _, tc := range []struct {
		name       string
		cases      []Case
		allowSkips bool
		aborted    string
		want       Outcome
		certified  []string
	}{
		{"all passed", []Case{passed, passed}, false, "", Pass, []string{"core"}},
		{"a warning still passes", []Case{passed, {Profile: "core", Status: Warning}}, false, "", Pass, []string{}},
		{"a waived failure passes", []Case{passed, {Profile: "core", Status: Failed, Waiver: "later"}}, false, "", Pass, []string{"core"}},
		{"a failure fails", []Case{passed, {Profile: "core", Status: Failed}}, false, "", Fail, []string{}},
		{"review is incomplete", []Case{passed, {Profile: "core", Status: Review}}, false, "", Incomplete, []string{}},
		{"a capability skip is incomplete", []Case{passed, {Profile: "social", Status: Skipped}}, false, "", Incomplete, []string{"core"}},
		{"unless skips are allowed", []Case{passed, {Profile: "social", Status: Skipped}}, true, "", Pass, []string{"core"}},
		{"review is never allowed", []Case{passed, {Profile: "core", Status: Review}}, true, "", Incomplete, []string{}},
		{"nothing passed", []Case{{Profile: "core", Status: Skipped}}, true, "", Incomplete, []string{}},
		{"no case at all", nil, true, "", Incomplete, []string{}},
		{"an interrupted run", []Case{passed, {Profile: "core", Status: Skipped, Unreached: true}}, true, "", Incomplete, []string{}},
		{"a target that stopped answering", []Case{passed, {Profile: "core", Status: Failed}}, false, "the target stopped answering", Error, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Profiles: []string{"core", "social"}, Cases: tc.cases, AllowSkips: tc.allowSkips, Aborted: tc.aborted}
			r.Tally()
			assert.Equal(t, tc.want, r.Summary.Outcome, r.Summary.Reason)
			assert.Equal(t, tc.want == Pass, r.Summary.Ok)
			assert.Equal(t, tc.certified, r.Summary.Certified)
			assert.Equal(t, map[Outcome]int{Pass: 0, Fail: 1, Error: 2, Incomplete: 3}[tc.want], tc.want.ExitCode())
		})
	}
}

// The JSON report matches its published schema.
func TestJSONMatchesSchema(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, JSON(&buf, sample()))
	var doc any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	require.NoError(t, reportSchema(t).VisitJSON(doc))

	var broken map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &broken))
	broken["summary"].(map[string]any)["ok"] = "yes"
	assert.Error(t, reportSchema(t).VisitJSON(broken), "the schema must be able to fail")
}

// reportSchema loads schema.json. kin-openapi resolves references only inside an OpenAPI
// document, so the draft-07 definitions are mounted as components.
func reportSchema(t *testing.T) *openapi3.Schema {
	t.Helper()
	data, err := os.ReadFile("schema.json")
	require.NoError(t, err)
	var root map[string]any
	require.NoError(t, json.Unmarshal(bytes.ReplaceAll(data, []byte("#/definitions/"), []byte("#/components/schemas/")), &root))
	schemas := root["definitions"].(map[string]any)
	delete(root, "definitions")
	schemas["Report"] = root
	doc, err := json.Marshal(map[string]any{"openapi": "3.0.3", "info": map[string]any{"title": "report", "version": "1"}, "paths": map[string]any{}, "components": map[string]any{"schemas": schemas}})
	require.NoError(t, err)
	loaded, err := openapi3.NewLoader().LoadFromData(doc)
	require.NoError(t, err)
	require.NoError(t, loaded.Validate(context.Background()))
	return loaded.Components.Schemas["Report"].Value
}

func TestJUnit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, JUnit(&buf, sample()))
	var parsed struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(buf.Bytes(), &parsed))
	assert.Equal(t, 7, parsed.Tests)
	assert.Equal(t, 1, parsed.Failures, "only the unwaived failure")
	assert.Equal(t, 2, parsed.Skipped, "the skipped and the waived case")
	require.Len(t, parsed.Suites, 2)
	assert.Equal(t, "core", parsed.Suites[0].Name)
	f := parsed.Suites[0].Cases[1].Failure
	require.NotNil(t, f)
	assert.Equal(t, "want 400, got 422", f.Message)
	assert.Equal(t, "fails <script>alert(1)</script> [login.b]", parsed.Suites[0].Cases[1].Name, "named by title and id")
	assert.Contains(t, f.Text, "POST http://127.0.0.1:4433/v1/flows/login/x:submit", "the evidence travels with the failure")
}

// The HTML page is self-contained (no external scripts, styles or images) and escapes what the
// target sent.
func TestHTMLIsSelfContained(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, sample()))
	page := buf.String()
	for _, c := range sample().Cases {
		assert.Contains(t, page, c.ID)
	}
	assert.NotRegexp(t, regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`), page)
	assert.NotContains(t, page, "<script>alert(1)</script>")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, page, strings.Repeat("ab", 32), "the contract hash is on the page")
	assert.Contains(t, page, `<tr><td><code>getSession</code></td><td><span class="no">—</span></td><td><span class="chip unseen">401 AVNOLOGY_AUTH_005</span>`, "the coverage matrix shows the gaps")
	assert.Contains(t, page, "<h3>[1] submitLoginFlow answered 422 — 1 cases</h3>", "problems by root cause")
	assert.Contains(t, page, "curl -sS -X POST", "a reproduction")
}

func TestHuman(t *testing.T) {
	var buf bytes.Buffer
	r := sample()
	r.Requirements = map[string]Requirement{"REQ-LIMIT-001": {Severity: "MUST", Text: "Every rate-limited submit carries X-RateLimit-*."}}
	require.NoError(t, Human(&buf, r))
	out := buf.String()
	failed := strings.Index(out, "FAILED — 1 cases, 1 distinct problems")
	warnings := strings.Index(out, "WARNINGS — 1 cases, 1 distinct problems")
	require.True(t, failed >= 0 && warnings > failed, "failures come first:\n%s", out)
	assert.Contains(t, out, "[1] submitLoginFlow answered 422 — 1 case\n    · want 400\n")
	assert.Contains(t, out, "REQ-LIMIT-001 MUST: Every rate-limited submit carries X-RateLimit-*.", "the requirement's text")
	assert.Contains(t, out, `reproduce (login.b, exchange #1): curl -sS -X POST 'http://127.0.0.1:4433/v1/flows/login/x:submit' -H 'Content-Type: application/json' --data-raw '{"method":"password"}'`)
	assert.Contains(t, out, "answered: 422 AVNOLOGY_AUTH_902")
	assert.Contains(t, out, "STALE WAIVERS")
	assert.Contains(t, out, "the target offers no clock capability — 1: security.f")
	assert.Contains(t, out, "FAIL: 7 cases — 2 passed, 1 failed, 1 waived, 1 warnings, 1 review, 1 skipped, 1 stale waivers")
	assert.Contains(t, Line(sample().Cases[2]), "WAIVED")
	assert.Contains(t, Line(sample().Cases[3]), "delete the waiver")
}

// One wrong error code in many cases is one problem on one screen: the cases are counted and
// named once, with one reproduction (every report format keeps each case's evidence).
func TestHumanGroupsByRootCause(t *testing.T) {
	r := sample()
	failing := r.Cases[1]
	r.Cases = nil
	for i := range 40 {
		c := failing
		c.ID = fmt.Sprintf("login.f%02d", i)
		c.Findings = []Finding{{Severity: "MUST", Message: fmt.Sprintf("case %d's own words: want 400, got 422", i), Exchange: 1}}
		r.Cases = append(r.Cases, c)
	}
	r.Tally()
	var buf bytes.Buffer
	require.NoError(t, Human(&buf, r))
	out := buf.String()
	assert.Contains(t, out, "FAILED — 40 cases, 1 distinct problems")
	assert.Contains(t, out, "[1] submitLoginFlow answered 422 — 40 cases")
	assert.Equal(t, 1, strings.Count(out, "curl "), "one reproduction")
	assert.Less(t, strings.Count(out, "\n"), 25, "it fits on one screen:\n%s", out)
}

// Text from a target cannot drive the terminal: escape sequences and bidi overrides become �.
func TestHumanSanitises(t *testing.T) {
	r := sample()
	r.Cases[1].Findings[0].Message = "want 400, got \x1b[2J\x1b]0;pwned\x07 \u202egnp.exe"
	var buf bytes.Buffer
	require.NoError(t, Human(&buf, r))
	assert.NotContains(t, buf.String(), "\x1b")
	assert.NotContains(t, buf.String(), "\u202e")
	assert.Contains(t, buf.String(), "\uFFFD[2J")
	assert.NotContains(t, Line(r.Cases[1]), "\x1b")
}
