package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// FormatExchange renders one exchange as an HTTP transcript.
func FormatExchange(ex Exchange) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s", ex.Seq, ex.Operation)
	if ex.Deliberate {
		b.WriteString(" (deliberately invalid request)")
	}
	fmt.Fprintf(&b, "\n> %s %s\n", ex.Request.Method, ex.Request.URL)
	writeHeader(&b, "> ", ex.Request.Header)
	if ex.Request.Body != "" {
		b.WriteString(indent(ex.Request.Body, "> ") + "\n")
	}
	if ex.Error != "" {
		fmt.Fprintf(&b, "! %s\n", ex.Error)
	}
	if ex.Response != nil {
		fmt.Fprintf(&b, "< %d (%d ms)\n", ex.Response.Status, ex.DurationMS)
		writeHeader(&b, "< ", ex.Response.Header)
		if ex.Response.Body != "" {
			b.WriteString(indent(ex.Response.Body, "< ") + "\n")
		}
		if ex.Response.Truncated {
			b.WriteString("< …truncated\n")
		}
	}
	for _, v := range ex.Violations {
		fmt.Fprintf(&b, "✗ %s\n", v)
	}
	return Sanitize(b.String())
}

func writeHeader(w io.Writer, prefix string, h map[string][]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, k, v)
		}
	}
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
