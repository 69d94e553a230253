// Package report holds the conformance suite's results and writes them for people and tools:
// a live human log with a summary, JSON (a versioned schema, see schema.json), JUnit XML and a
// self-contained HTML page a vendor can share.
package report

import "time"

// Schema names the JSON layout of a Report; it changes only when the layout does.
const Schema = "https://idflows.dev/schemas/conformance-report/v1"

// Status is a case's result.
type Status string

// The results a case can have.
const (
	Passed  Status = "PASSED"
	Failed  Status = "FAILED"  // a MUST was violated
	Warning Status = "WARNING" // only SHOULDs were violated
	Skipped Status = "SKIPPED" // not run; Reason says why (a capability the target lacks)
	Review  Status = "REVIEW"  // ran, but a person has to judge part of it; Reason says what
)

// Report is one run of the suite against one target.
type Report struct {
	Schema         string    `json:"schema"`
	Suite          Suite     `json:"suite"`
	ContractSHA256 string    `json:"contract_sha256"`
	Target         string    `json:"target"`
	Profiles       []string  `json:"profiles"`
	Filter         string    `json:"filter,omitempty"`
	Capabilities   []string  `json:"capabilities"`
	StartedAt      time.Time `json:"started_at"`
	FinishedAt     time.Time `json:"finished_at"`
	Summary        Summary   `json:"summary"`
	Cases          []Case    `json:"cases"`
	Coverage       Coverage  `json:"coverage"`
}

// Suite identifies the suite that produced a report.
type Suite struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Summary counts the cases by result. Waived counts failures a waiver excused (they are not in
// Failed); StaleWaivers counts waived cases that passed, whose waivers should be deleted.
type Summary struct {
	Total        int  `json:"total"`
	Passed       int  `json:"passed"`
	Failed       int  `json:"failed"`
	Warnings     int  `json:"warnings"`
	Skipped      int  `json:"skipped"`
	Review       int  `json:"review"`
	Waived       int  `json:"waived"`
	StaleWaivers int  `json:"stale_waivers"`
	Ok           bool `json:"ok"` // no unwaived failure and at least one case ran
}

// Case is the result of one case.
type Case struct {
	ID           string     `json:"id"`
	Title        string     `json:"title"`
	Profile      string     `json:"profile"`
	Severity     string     `json:"severity"`
	Requirements []string   `json:"requirements"`
	Status       Status     `json:"status"`
	Reason       string     `json:"reason,omitempty"`
	Waiver       string     `json:"waiver,omitempty"`       // the waiver's reason, when one applies
	StaleWaiver  bool       `json:"stale_waiver,omitempty"` // waived, yet it passed
	DurationMS   int64      `json:"duration_ms"`
	Findings     []Finding  `json:"findings,omitempty"`
	Exchanges    []Exchange `json:"exchanges,omitempty"` // kept as evidence unless the case passed
}

// Counts reports whether the case counts against the run: an unwaived failure.
func (c Case) Counts() bool { return c.Status == Failed && c.Waiver == "" }

// Finding is one violated check. Exchange is the 1-based sequence number of the exchange that
// shows it, or 0 when none does.
type Finding struct {
	Severity string `json:"severity"` // MUST or SHOULD
	Message  string `json:"message"`
	Exchange int    `json:"exchange,omitempty"`
}

// Exchange is one recorded HTTP request and its response, with secrets redacted.
type Exchange struct {
	Seq        int       `json:"seq"`
	Operation  string    `json:"operation,omitempty"`
	Deliberate bool      `json:"deliberate,omitempty"` // a request invalid on purpose
	Request    Message   `json:"request"`
	Response   *Message  `json:"response,omitempty"`
	Error      string    `json:"error,omitempty"` // transport failure
	DurationMS int64     `json:"duration_ms"`
	Violations []string  `json:"violations,omitempty"` // where the response breaks the contract
	At         time.Time `json:"at"`
}

// Message is a request or a response.
type Message struct {
	Method    string              `json:"method,omitempty"`
	URL       string              `json:"url,omitempty"`
	Status    int                 `json:"status,omitempty"`
	Header    map[string][]string `json:"header,omitempty"`
	Body      string              `json:"body,omitempty"`
	Truncated bool                `json:"truncated,omitempty"`
}

// Coverage measures what the run exercised against what the contract declares.
type Coverage struct {
	Operations Ratio `json:"operations"`
	ErrorPairs Ratio `json:"error_pairs"` // operationId + status + code
	States     Ratio `json:"states"`      // flow type + state
}

// Ratio is a covered part of a declared whole; Missing lists what was not exercised.
type Ratio struct {
	Covered  int      `json:"covered"`
	Declared int      `json:"declared"`
	Missing  []string `json:"missing"`
}

// Percent is Covered over Declared, 0 when nothing is declared.
func (r Ratio) Percent() float64 {
	if r.Declared == 0 {
		return 0
	}
	return 100 * float64(r.Covered) / float64(r.Declared)
}

// Tally fills the summary from the cases.
func (r *Report) Tally() {
	s := Summary{Total: len(r.Cases)}
	ran := 0
	for _, c := range r.Cases {
		switch c.Status {
		case Passed:
			s.Passed++
		case Failed:
			if c.Waiver != "" {
				s.Waived++
			} else {
				s.Failed++
			}
		case Warning:
			s.Warnings++
		case Skipped:
			s.Skipped++
		case Review:
			s.Review++
		}
		if c.Status != Skipped {
			ran++
		}
		if c.StaleWaiver {
			s.StaleWaivers++
		}
	}
	s.Ok = s.Failed == 0 && ran > 0
	r.Summary = s
}
