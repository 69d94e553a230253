package conformance

import (
	"slices"

	"github.com/avnology/idflows/conformance/report"
)

// The bounds of the evidence a report keeps, so that a hostile or broken target — huge
// answers, hundreds of headers, every case failing — cannot make a report too big to share:
// a whole run's reports stay well under 20 MB.
const (
	maxEvidenceBody    = 16 << 10 // body text per message
	maxEvidenceHeaders = 48       // header names per message
	maxHeaderValue     = 512      // characters per header value
	maxCaseExchanges   = 4        // exchanges per case: those its findings point at, first
	maxRunEvidence     = 8 << 20  // the bytes of evidence a whole run keeps
)

const truncatedMark = "…[truncated]"

// keepEvidence keeps the exchanges the findings point at, up to maxCaseExchanges, and says
// how many it left out.
func keepEvidence(c *report.Case) {
	var kept []report.Exchange
	for _, ex := range c.Exchanges {
		if len(kept) < maxCaseExchanges && slices.ContainsFunc(c.Findings, func(f report.Finding) bool { return f.Exchange == ex.Seq }) {
			kept = append(kept, ex)
		}
	}
	c.EvidenceOmitted += len(c.Exchanges) - len(kept)
	c.Exchanges = kept
}

// budgetEvidence drops the evidence of the cases past the run's budget, in report order, so
// the first failures keep theirs.
func budgetEvidence(cases []report.Case) {
	spent := 0
	for i := range cases {
		size := 0
		for _, ex := range cases[i].Exchanges {
			size += exchangeSize(ex)
		}
		if spent+size > maxRunEvidence {
			cases[i].EvidenceOmitted += len(cases[i].Exchanges)
			cases[i].Exchanges = nil
			continue
		}
		spent += size
	}
}

func exchangeSize(ex report.Exchange) int {
	n := len(ex.Request.URL) + len(ex.Request.Body) + headerSize(ex.Request.Header)
	if ex.Response != nil {
		n += len(ex.Response.Body) + headerSize(ex.Response.Header)
	}
	for _, v := range ex.Violations {
		n += len(v)
	}
	return n
}

func headerSize(h map[string][]string) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}
