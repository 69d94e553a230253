package openapi

import (
	_ "embed"
	"regexp"
	"strings"
	"sync"
)

//go:embed requirements.md
var requirementsMD string

// Requirement is one numbered rule of requirements.md.
type Requirement struct {
	ID       string // REQ-LOGIN-003
	Severity string // MUST or SHOULD
	Text     string // the rule, without its source note
}

var requirementLine = regexp.MustCompile(`(?m)^- \*\*(REQ-[A-Z]+-[0-9]{3})\*\* (MUST|SHOULD) — (.*)$`)

var requirements = sync.OnceValue(func() map[string]Requirement {
	out := map[string]Requirement{}
	for _, m := range requirementLine.FindAllStringSubmatch(requirementsMD, -1) {
		text, _, _ := strings.Cut(m[3], " _Source:")
		out[m[1]] = Requirement{ID: m[1], Severity: m[2], Text: strings.TrimSpace(text)}
	}
	return out
})

// Requirements returns the numbered rules of requirements.md by id.
func Requirements() map[string]Requirement { return requirements() }
