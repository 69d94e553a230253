package conformance

import (
	"fmt"
	"slices"
	"sync"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/openapi/contract"
)

// coverage records what a run saw answered in conformance with the contract: operations,
// documented (status, code) pairs and flow states. An answer that breaks the contract covers
// nothing.
type coverage struct {
	declaredOps, declaredPairs, declaredStates []string

	mu                     sync.Mutex
	ops, pairs, statesSeen map[string]bool
}

var flowSchemas = map[string]string{
	"login": "LoginFlow", "registration": "RegistrationFlow", "settings": "SettingsFlow",
	"recovery": "RecoveryFlow", "verification": "VerificationFlow",
}

func newCoverage(c *contract.Contract) *coverage {
	cov := &coverage{ops: map[string]bool{}, pairs: map[string]bool{}, statesSeen: map[string]bool{}}
	for _, op := range c.Operations() {
		cov.declaredOps = append(cov.declaredOps, op.ID)
		for _, p := range op.Pairs {
			cov.declaredPairs = append(cov.declaredPairs, pairKey(op.ID, p.Status, p.Code))
		}
	}
	for kind, name := range flowSchemas {
		if s := c.Doc.Components.Schemas[name]; s != nil && s.Value.Properties["state"] != nil {
			for _, v := range s.Value.Properties["state"].Value.Enum {
				cov.declaredStates = append(cov.declaredStates, fmt.Sprintf("%s.%v", kind, v))
			}
		}
	}
	slices.Sort(cov.declaredStates)
	return cov
}

func pairKey(op string, status int, code string) string {
	return fmt.Sprintf("%s %d %s", op, status, code)
}

func (c *coverage) observe(op string, r *Response) {
	if op == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops[op] = true
	if r.Status >= 400 {
		c.pairs[pairKey(op, r.Status, r.Code())] = true
	}
	for _, path := range []string{"", "continue_flow"} {
		if f := flowOf(r.Get(path)); f != nil && f.Type != "" && f.State != "" {
			c.statesSeen[f.Type+"."+f.State] = true
		}
	}
}

func (c *coverage) report() report.Coverage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return report.Coverage{
		Operations: ratio(c.declaredOps, c.ops),
		ErrorPairs: ratio(c.declaredPairs, c.pairs),
		States:     ratio(c.declaredStates, c.statesSeen),
	}
}

func ratio(declared []string, seen map[string]bool) report.Ratio {
	r := report.Ratio{Declared: len(declared), Missing: []string{}}
	for _, d := range declared {
		if seen[d] {
			r.Covered++
			r.Seen = append(r.Seen, d)
		} else {
			r.Missing = append(r.Missing, d)
		}
	}
	return r
}
