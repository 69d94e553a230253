package conformance

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/openapi/contract"
)

func TestEveryCaseIsWellFormed(t *testing.T) {
	idPattern := regexp.MustCompile(`^[a-z0-9]+(\.[a-zA-Z0-9-]+)+$`)
	c, err := contract.Flows()
	require.NoError(t, err)
	oauth2, err := contract.OAuth2()
	require.NoError(t, err)
	reqs := requirementIDs(t)
	for _, cs := range Cases() {
		assert.Regexp(t, idPattern, cs.ID)
		assert.NotEmpty(t, cs.Title, cs.ID)
		assert.NotNil(t, cs.Run, cs.ID)
		require.NotEmpty(t, cs.Requirements, "%s cites no requirement", cs.ID)
		for _, r := range cs.Requirements {
			if strings.HasPrefix(r, "REQ-") {
				assert.True(t, reqs[r], "%s cites %s, which requirements.md does not define", cs.ID, r)
			} else {
				assert.True(t, c.Operation(r) != nil || oauth2.Operation(r) != nil, "%s cites %s, which is not an operationId", cs.ID, r)
			}
		}
	}
}

// Every operation of the contracts is exercised by at least one case.
func TestEveryOperationHasACase(t *testing.T) {
	cited := map[string]bool{}
	for _, cs := range Cases() {
		for _, r := range cs.Requirements {
			cited[r] = true
		}
	}
	for _, load := range []func() (*contract.Contract, error){contract.Flows, contract.OAuth2} {
		c, err := load()
		require.NoError(t, err)
		for _, op := range c.Operations() {
			assert.True(t, cited[op.ID], "no case exercises %s", op.ID)
		}
	}
}

func TestPlan(t *testing.T) {
	all, err := Plan(Options{})
	require.NoError(t, err)
	assert.Len(t, all, len(Cases()))
	mfa, err := Plan(Options{Profiles: []string{ProfileMFA}})
	require.NoError(t, err)
	for _, c := range mfa {
		assert.Equal(t, ProfileMFA, c.Profile)
	}
	one, err := Plan(Options{Run: regexp.MustCompile(`^login\.create\.fresh$`)})
	require.NoError(t, err)
	assert.Len(t, one, 1)
	_, err = Plan(Options{Profiles: []string{"everything"}})
	assert.Error(t, err)
}

// The negative inputs come from the contract: every method of every submit operation is broken
// in every way that applies, with the flow's CSRF token kept right.
func TestMutationsCoverEveryMethod(t *testing.T) {
	c, err := contract.Flows()
	require.NoError(t, err)
	for _, kind := range flowKinds {
		op := c.Operation("submit" + upperFirst(kind) + "Flow")
		variants := submitVariants(op.Op)
		mapping := op.Op.RequestBody.Value.Content.Get("application/json").Schema.Value.Discriminator.Mapping
		assert.Len(t, variants, len(mapping), "%s: every method needs an example to derive from", op.ID)
		for _, m := range []string{"missing-field", "wrong-type", "extra-field", "unknown-method"} {
			bad := mutate(m, variants, "csrf")
			assert.GreaterOrEqual(t, len(bad), len(variants), "%s %s", op.ID, m)
			for _, b := range bad {
				req := httptest.NewRequest(http.MethodPost, "/v1/flows/"+kind+"/f1a2b3c4-d5e6-4890-abcd-ef1234567890:submit", bytes.NewReader(b.body))
				req.Header.Set("Content-Type", "application/json")
				route, params, err := c.FindRoute(req)
				require.NoError(t, err)
				_, err = contract.ValidateRequest(t.Context(), req, route, params, b.body)
				assert.Error(t, err, "%s %s: %s must break the contract", op.ID, m, b.what)
			}
		}
	}
}

func requirementIDs(t *testing.T) map[string]bool {
	data, err := os.ReadFile("../openapi/requirements.md")
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\*\*(REQ-[A-Z]+-[0-9]{3})\*\*`).FindAllStringSubmatch(string(data), -1) {
		ids[m[1]] = true
	}
	require.NotEmpty(t, ids)
	return ids
}

// Every requirement is checked by some case — or, for the few listed here, by the judge of
// every exchange, or not yet, with the reason (so the list can only be a conscious choice).
func TestEveryRequirementIsChecked(t *testing.T) {
	notByACase := map[string]string{
		"REQ-CTL-001": "the mock's own control plane, tested by its own tests, not certified on targets",
		"REQ-CTL-002": "the mock's own control plane, tested by its own tests, not certified on targets",
		"REQ-CTL-003": "the mock's own control plane, tested by its own tests, not certified on targets",
	}
	cited := map[string]bool{}
	for _, c := range Cases() {
		for _, r := range c.Requirements {
			cited[r] = true
		}
	}
	for id := range requirementIDs(t) {
		if why, ok := notByACase[id]; ok {
			assert.False(t, cited[id], "%s is cited by a case now: take it off the list (%s)", id, why)
			continue
		}
		assert.True(t, cited[id], "no case checks %s", id)
	}
}
