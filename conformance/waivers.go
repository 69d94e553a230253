package conformance

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Waivers excuse expected failures: case id → reason. A waived failure does not fail the run;
// a waived case that passes is reported as a stale waiver, so the file only shrinks.
type Waivers map[string]string

// LoadWaivers reads a waiver file:
//
//	waivers:
//	  - case: settings.profile.update
//	    reason: settings flows are not implemented yet
func LoadWaivers(path string) (Waivers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	return ParseWaivers(data)
}

// ParseWaivers parses a waiver file; every entry needs a known case id and a reason.
func ParseWaivers(data []byte) (Waivers, error) {
	var file struct {
		Waivers []struct {
			Case   string `yaml:"case"`
			Reason string `yaml:"reason"`
		} `yaml:"waivers"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("waivers: %w", err)
	}
	out := Waivers{}
	var problems []string
	for i, w := range file.Waivers {
		switch {
		case w.Case == "":
			problems = append(problems, fmt.Sprintf("entry %d has no case", i+1))
		case strings.TrimSpace(w.Reason) == "":
			problems = append(problems, fmt.Sprintf("%s has no reason", w.Case))
		case registry[w.Case].ID == "":
			problems = append(problems, fmt.Sprintf("%s is not a case of this suite", w.Case))
		case out[w.Case] != "":
			problems = append(problems, fmt.Sprintf("%s is waived twice", w.Case))
		default:
			out[w.Case] = strings.TrimSpace(w.Reason)
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("waivers: %s", strings.Join(problems, "; "))
	}
	return out, nil
}
