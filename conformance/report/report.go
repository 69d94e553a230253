// Package report holds the conformance suite's results and writes them for people and tools:
// a live human log with a summary, JSON (a versioned schema, see schema.json), JUnit XML and a
// self-contained HTML page a vendor can share.
package report

import (
	"fmt"
	"time"
)

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

// Outcome is what a whole run proves (D14); each has its exit status.
type Outcome string

// The outcomes of a run.
const (
	// Pass: every selected case passed, was waived or only warns, and at least one passed.
	Pass Outcome = "PASS"
	// Fail: a MUST failed.
	Fail Outcome = "FAIL"
	// Error: the target (or the control plane or inbox) could not be reached, or stopped
	// answering during the run.
	Error Outcome = "ERROR"
	// Incomplete: nothing failed, but something was not verified — a case needs review, a
	// selected case was skipped for a missing capability, or nothing passed at all.
	Incomplete Outcome = "INCOMPLETE"
)

// ExitCode is the process exit status of an outcome: 0, 1, 2 or 3.
func (o Outcome) ExitCode() int {
	switch o {
	case Pass:
		return 0
	case Fail:
		return 1
	case Error:
		return 2
	}
	return 3
}

// Report is one run of the suite against one target.
type Report struct {
	Schema         string `json:"schema"`
	Suite          Suite  `json:"suite"`
	ContractSHA256 string `json:"contract_sha256"`
	// ContractVersion is the contract's info.version.
	ContractVersion string   `json:"contract_version,omitempty"`
	Target          string   `json:"target"`
	Profiles        []string `json:"profiles"`
	Filter          string   `json:"filter,omitempty"`
	Capabilities    []string `json:"capabilities"`
	// AllowSkips counts cases skipped for a missing capability as no obstacle to PASS.
	AllowSkips bool `json:"allow_skips,omitempty"`
	// Aborted says why the run stopped before its end (the target stopped answering).
	Aborted    string    `json:"aborted,omitempty"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Summary    Summary   `json:"summary"`
	Cases      []Case    `json:"cases"`
	Coverage   Coverage  `json:"coverage"`
	// Requirements holds the text of every requirement the cases cite, so a report explains
	// itself without the contract at hand.
	Requirements map[string]Requirement `json:"requirements,omitempty"`
}

// Requirement is one numbered rule of the contract's requirements.md.
type Requirement struct {
	Severity string `json:"severity"`
	Text     string `json:"text"`
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
	Ok           bool `json:"ok"` // the outcome is PASS
	// Outcome is the run's verdict and Reason why, when it is not PASS.
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason,omitempty"`
	// Certified lists the profiles every one of whose selected cases passed or was waived.
	Certified []string `json:"certified_profiles"`
}

// Case is the result of one case.
type Case struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Profile      string   `json:"profile"`
	Severity     string   `json:"severity"`
	Requirements []string `json:"requirements"`
	Status       Status   `json:"status"`
	Reason       string   `json:"reason,omitempty"`
	// Unreached marks a case SKIPPED because the run stopped (interrupted, or the target
	// stopped answering), not for a missing capability.
	Unreached   bool       `json:"unreached,omitempty"`
	Waiver      string     `json:"waiver,omitempty"`       // the waiver's reason, when one applies
	StaleWaiver bool       `json:"stale_waiver,omitempty"` // waived, yet it passed
	DurationMS  int64      `json:"duration_ms"`
	Findings    []Finding  `json:"findings,omitempty"`
	Exchanges   []Exchange `json:"exchanges,omitempty"` // kept as evidence unless the case passed
	// EvidenceOmitted counts exchanges not kept, to bound the report (those no finding points
	// at, or past the run's evidence budget).
	EvidenceOmitted int `json:"evidence_omitted,omitempty"`
}

// Counts reports whether the case counts against the run: an unwaived failure.
func (c Case) Counts() bool { return c.Status == Failed && c.Waiver == "" }

// Finding is one violated check. Exchange is the 1-based sequence number of the exchange that
// shows it, or 0 when none does.
type Finding struct {
	Severity string `json:"severity"` // MUST or SHOULD
	Message  string `json:"message"`
	Exchange int    `json:"exchange,omitempty"`
	// Requirement is the REQ id the finding breaks: the one its message names, else the
	// case's first.
	Requirement string `json:"requirement,omitempty"`
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

// Ratio is a covered part of a declared whole: Seen lists what was exercised, Missing what
// was not.
type Ratio struct {
	Covered  int      `json:"covered"`
	Declared int      `json:"declared"`
	Seen     []string `json:"seen,omitempty"`
	Missing  []string `json:"missing"`
}

// Percent is Covered over Declared, 0 when nothing is declared.
func (r Ratio) Percent() float64 {
	if r.Declared == 0 {
		return 0
	}
	return 100 * float64(r.Covered) / float64(r.Declared)
}

// Tally fills the summary from the cases: the counts, the outcome (D14) and the certified
// profiles.
func (r *Report) Tally() {
	s := Summary{Total: len(r.Cases), Certified: []string{}}
	capabilitySkips, unreached := 0, 0
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
			if c.Unreached {
				unreached++
			} else {
				capabilitySkips++
			}
		case Review:
			s.Review++
		}
		if c.StaleWaiver {
			s.StaleWaivers++
		}
	}
	switch {
	case r.Aborted != "":
		s.Outcome, s.Reason = Error, r.Aborted
	case s.Failed > 0:
		s.Outcome, s.Reason = Fail, fmt.Sprintf("%d cases failed a MUST", s.Failed)
	case s.Review > 0:
		s.Outcome, s.Reason = Incomplete, fmt.Sprintf("%d cases need a person's review", s.Review)
	case unreached > 0:
		s.Outcome, s.Reason = Incomplete, fmt.Sprintf("%d cases did not run: the run was interrupted", unreached)
	case capabilitySkips > 0 && !r.AllowSkips:
		s.Outcome, s.Reason = Incomplete, fmt.Sprintf("%d cases were skipped for a missing capability (see SKIPPED; --allow-skips accepts that)", capabilitySkips)
	case s.Passed == 0:
		s.Outcome, s.Reason = Incomplete, "no case passed: nothing was verified"
	default:
		s.Outcome = Pass
	}
	s.Ok = s.Outcome == Pass
	for _, p := range r.Profiles {
		n, good := 0, 0
		for _, c := range r.Cases {
			if c.Profile != p {
				continue
			}
			n++
			if c.Status == Passed || c.Waiver != "" && !c.StaleWaiver {
				good++
			}
		}
		if n > 0 && good == n {
			s.Certified = append(s.Certified, p)
		}
	}
	r.Summary = s
}
