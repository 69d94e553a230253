// Package conformance drives a deployment of the Avnology ID flow API through its flows and
// judges every answer against the contract (openapi/avnology-id-flows.yaml and its numbered
// rules in openapi/requirements.md).
//
// The model is plan → case → check: a plan selects cases by profile and id; a case drives real
// HTTP through one behaviour and records findings when a check fails; every exchange is
// validated against the contract on the way. Results are PASSED, FAILED (a MUST violated),
// WARNING (only SHOULDs violated), SKIPPED (with the reason) or REVIEW (a person must judge).
//
// Check runs a plan and returns a report (the `idflows conform` command); Run does the same
// inside `go test`, one subtest per case (see ExampleRun). The suite knows nothing about the
// mock: it needs a Target — a base URL and, optionally, capabilities (an inbox, the mock's
// clock, seeding and isolation) and provisioned Accounts.
//
// A run's outcome (report.Summary.Outcome) is PASS only when something passed and nothing was
// left unverified; a preflight stops a run whose target, control plane or inbox does not
// answer, and a breaker one whose target stops answering.
package conformance

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/avnology/idflows/openapi/contract"
)

// Severity is how binding a case's requirement is.
type Severity string

// Severities, as in RFC 2119.
const (
	MUST   Severity = "MUST"
	SHOULD Severity = "SHOULD"
)

// Profiles group cases; certification runs a named profile.
const (
	ProfileCore     = "core"
	ProfileMFA      = "mfa"
	ProfilePasskeys = "passkeys"
	ProfileSocial   = "social"
	ProfileRecovery = "recovery"
	ProfileSecurity = "security"
	ProfileOAuth2   = "oauth2" // "Sign in with Avnology": the OAuth 2.1 endpoints the flows meet
	// ProfileControl is a control plane's: forcing every documented error, as the mock's
	// /_mock/faults does. A deployment without one is not certified for it, and needs not be.
	ProfileControl = "control"
)

// Profiles lists every profile in report order.
func Profiles() []string {
	return []string{ProfileCore, ProfileMFA, ProfilePasskeys, ProfileSocial, ProfileRecovery, ProfileSecurity, ProfileOAuth2, ProfileControl}
}

// Case is one behaviour the suite checks.
type Case struct {
	ID           string   // stable and dotted: login.password.invalid-credentials
	Title        string   // one line
	Profile      string   // one of Profiles()
	Severity     Severity // of its requirements
	Requirements []string // REQ ids of requirements.md and the operationIds it exercises
	Needs        []Capability
	Run          func(t *T)
}

var registry = map[string]Case{}

// derivers register the cases derived from the compiled contract. They run once, when the
// catalog is first needed — never at import time, so a contract that fails to compile is an
// error Plan returns, not a panic.
var derivers []func(*contract.Contract)

func derive(f func(*contract.Contract)) { derivers = append(derivers, f) }

var loadCatalog = sync.OnceValue(func() error {
	c, err := contract.Flows()
	if err != nil {
		return fmt.Errorf("conformance: the embedded contract does not compile: %w", err)
	}
	for _, f := range derivers {
		f(c)
	}
	return nil
})

// register adds cases at init time; a duplicate id is a programming error.
func register(cases ...Case) {
	for _, c := range cases {
		if _, dup := registry[c.ID]; dup {
			panic("conformance: duplicate case " + c.ID)
		}
		if !slices.Contains(Profiles(), c.Profile) {
			panic("conformance: case " + c.ID + " has unknown profile " + c.Profile)
		}
		if c.Severity == "" {
			c.Severity = MUST
		}
		registry[c.ID] = c
	}
}

// Cases returns every case, ordered by profile then id. Should the embedded contract not
// compile, the cases derived from it are missing (Plan reports the error).
func Cases() []Case {
	_ = loadCatalog()
	out := make([]Case, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Case) int {
		return cmp.Or(cmp.Compare(slices.Index(Profiles(), a.Profile), slices.Index(Profiles(), b.Profile)), strings.Compare(a.ID, b.ID))
	})
	return out
}
