package report

import (
	_ "embed"
	"html"
	"html/template"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"exchange": markedExchange,
	"curl":     Curl,
	"lower":    strings.ToLower,
	"join":     strings.Join,
	"evidence": func(c Case) []Exchange {
		var out []Exchange
		for _, ex := range c.Exchanges {
			if referenced(c, ex.Seq) {
				out = append(out, ex)
			}
		}
		return out
	},
	"label": label,
	"inc":   func(i int) int { return i + 1 },
	"pct":   func(r Ratio) string { return strconv.FormatFloat(r.Percent(), 'f', 1, 64) },
}).Parse(htmlTemplate))

func label(c Case) string {
	switch {
	case c.StaleWaiver:
		return "STALE-WAIVER"
	case c.Waiver != "":
		return "WAIVED"
	}
	return string(c.Status)
}

// HTML writes a self-contained page (no external assets) a vendor can share: the run's
// metadata and verdict, the problems by root cause with a reproduction, the results by profile
// and by requirement, a filterable case table with findings and collapsed evidence (the part
// of the answer a violation points at highlighted), and the coverage matrix.
func HTML(w io.Writer, r *Report) error {
	return page.Execute(w, htmlView{
		Report:       r,
		Problems:     problemViews(r),
		ByProfile:    byProfile(r),
		Requirements: byRequirement(r),
		Matrix:       coverageMatrix(r.Coverage),
		States:       chips(r.Coverage.States),
	})
}

type htmlView struct {
	*Report
	Problems     []problemView
	ByProfile    []profileRow
	Requirements []requirementRow
	Matrix       []operationRow
	States       []chip
}

// problemView is a problem with the line of the requirement it breaks.
type problemView struct {
	Problem
	Line string
}

func problemViews(r *Report) []problemView {
	var out []problemView
	for _, p := range Problems(r, Case.Counts) {
		out = append(out, problemView{Problem: p, Line: r.requirementLine(p.Requirement)})
	}
	return out
}

type profileRow struct {
	Name                                              string
	Passed, Failed, Warnings, Skipped, Review, Waived int
	Certified                                         bool
}

func byProfile(r *Report) []profileRow {
	var out []profileRow
	for _, p := range r.Profiles {
		row := profileRow{Name: p, Certified: slices.Contains(r.Summary.Certified, p)}
		for _, c := range r.Cases {
			if c.Profile != p {
				continue
			}
			switch {
			case c.Waiver != "" && !c.StaleWaiver:
				row.Waived++
			case c.Status == Passed:
				row.Passed++
			case c.Status == Failed:
				row.Failed++
			case c.Status == Warning:
				row.Warnings++
			case c.Status == Skipped:
				row.Skipped++
			case c.Status == Review:
				row.Review++
			}
		}
		out = append(out, row)
	}
	return out
}

type requirementRow struct {
	ID, Severity, Text, Worst string
	Cases                     int
}

// byRequirement lists each requirement the cases cite with its worst result.
func byRequirement(r *Report) []requirementRow {
	rank := map[string]int{"PASSED": 0, "WAIVED": 1, "STALE-WAIVER": 1, "SKIPPED": 2, "WARNING": 3, "REVIEW": 4, "FAILED": 5}
	rows := map[string]*requirementRow{}
	for _, c := range r.Cases {
		for _, id := range c.Requirements {
			req, ok := r.Requirements[id]
			if !ok {
				continue
			}
			row := rows[id]
			if row == nil {
				row = &requirementRow{ID: id, Severity: req.Severity, Text: req.Text, Worst: "PASSED"}
				rows[id] = row
			}
			row.Cases++
			if l := label(c); rank[l] > rank[row.Worst] {
				row.Worst = l
			}
		}
	}
	out := make([]requirementRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b requirementRow) int { return strings.Compare(a.ID, b.ID) })
	return out
}

type chip struct {
	Label string
	Seen  bool
}

type operationRow struct {
	Operation string
	Answered  bool
	Pairs     []chip
}

// coverageMatrix lays the coverage out by operation: whether it was answered in conformance
// with the contract, and which of its documented (status, code) pairs were seen.
func coverageMatrix(cv Coverage) []operationRow {
	var out []operationRow
	index := map[string]int{}
	for _, op := range append(slices.Clone(cv.Operations.Seen), cv.Operations.Missing...) {
		index[op] = len(out)
		out = append(out, operationRow{Operation: op, Answered: slices.Contains(cv.Operations.Seen, op)})
	}
	for _, c := range chips(cv.ErrorPairs) {
		op, pair, _ := strings.Cut(c.Label, " ")
		if i, ok := index[op]; ok {
			out[i].Pairs = append(out[i].Pairs, chip{Label: pair, Seen: c.Seen})
		}
	}
	slices.SortFunc(out, func(a, b operationRow) int { return strings.Compare(a.Operation, b.Operation) })
	for i := range out {
		slices.SortFunc(out[i].Pairs, func(a, b chip) int { return strings.Compare(a.Label, b.Label) })
	}
	return out
}

func chips(r Ratio) []chip {
	out := make([]chip, 0, len(r.Seen)+len(r.Missing))
	for _, s := range r.Seen {
		out = append(out, chip{Label: s, Seen: true})
	}
	for _, m := range r.Missing {
		out = append(out, chip{Label: m})
	}
	slices.SortFunc(out, func(a, b chip) int { return strings.Compare(a.Label, b.Label) })
	return out
}

// pointer finds the JSON pointer a schema violation names: Error at "/ui/nodes/0/type".
var pointer = regexp.MustCompile(`Error at "(/[^"]*)"`)

// markedExchange is an exchange as escaped HTML, the keys its violations point at wrapped in
// <mark>, so the eye lands on what broke the contract.
func markedExchange(ex Exchange) template.HTML {
	text := html.EscapeString(FormatExchange(ex))
	for _, v := range ex.Violations {
		m := pointer.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		parts := strings.Split(m[1], "/")
		key := ""
		for i := len(parts) - 1; i >= 0 && key == ""; i-- {
			if _, err := strconv.Atoi(parts[i]); err != nil {
				key = parts[i]
			}
		}
		if key == "" {
			continue
		}
		quoted := html.EscapeString(`"` + key + `":`)
		text = strings.ReplaceAll(text, quoted, "<mark>"+quoted+"</mark>")
	}
	return template.HTML(text) //nolint:gosec // escaped above; only <mark> is added
}
