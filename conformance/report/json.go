package report

import (
	"encoding/json"
	"io"
)

// JSON writes the report in the layout of schema.json.
func JSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
