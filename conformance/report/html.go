package report

import (
	_ "embed"
	"html/template"
	"io"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"exchange": FormatExchange,
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
	"label": func(c Case) string {
		switch {
		case c.StaleWaiver:
			return "STALE-WAIVER"
		case c.Waiver != "":
			return "WAIVED"
		}
		return string(c.Status)
	},
	"pct": func(r Ratio) string { return strconv.FormatFloat(r.Percent(), 'f', 1, 64) },
}).Parse(htmlTemplate))

// HTML writes a self-contained page (no external assets) a vendor can share: the run's
// metadata, the summary, a filterable case table with findings and evidence, and coverage.
func HTML(w io.Writer, r *Report) error { return page.Execute(w, r) }
