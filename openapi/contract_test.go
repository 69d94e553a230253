package openapi_test

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/openapi"
)

func flows(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi.LoadFlows()
	require.NoError(t, err)
	return doc
}

type operation struct {
	method, path string
	op           *openapi3.Operation
}

func operations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method, path, op})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].op.OperationID < ops[j].op.OperationID })
	return ops
}

type statusCode struct {
	Status int
	Code   string
}

func errorCodes(t *testing.T, op *openapi3.Operation) []statusCode {
	t.Helper()
	raw, ok := op.Extensions["x-error-codes"].([]any)
	require.True(t, ok, "%s: x-error-codes missing or not a list", op.OperationID)
	var out []statusCode
	for _, entry := range raw {
		m, ok := entry.(map[string]any)
		require.True(t, ok, "%s: x-error-codes entry %v", op.OperationID, entry)
		status, ok := m["status"].(float64)
		require.True(t, ok, "%s: status of %v", op.OperationID, entry)
		code, ok := m["code"].(string)
		require.True(t, ok, "%s: code of %v", op.OperationID, entry)
		out = append(out, statusCode{int(status), code})
	}
	return out
}

// codeCatalog reads ErrorCode's x-codes: code → (status, provisional).
func codeCatalog(t *testing.T, doc *openapi3.T) map[string]struct {
	Status      int
	Provisional bool
} {
	t.Helper()
	schema := doc.Components.Schemas["ErrorCode"].Value
	raw, ok := schema.Extensions["x-codes"].(map[string]any)
	require.True(t, ok, "ErrorCode.x-codes missing")
	out := map[string]struct {
		Status      int
		Provisional bool
	}{}
	for code, v := range raw {
		m := v.(map[string]any)
		out[code] = struct {
			Status      int
			Provisional bool
		}{int(m["status"].(float64)), m["provisional"].(bool)}
	}
	var enum []string
	for _, e := range schema.Enum {
		enum = append(enum, e.(string))
	}
	var keys []string
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(enum)
	sort.Strings(keys)
	require.Equal(t, enum, keys, "x-codes must describe exactly the ErrorCode enum")
	return out
}

func TestContractsLoadAndValidate(t *testing.T) {
	_, err := openapi.LoadFlows()
	require.NoError(t, err)
	_, err = openapi.LoadControl()
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, openapi.FlowsSHA256())
}

// D2: every operation with its method, path and success status.
func TestEveryDecidedOperationIsInTheContract(t *testing.T) {
	want := []struct {
		id, method, path string
		success          int
	}{
		{"createLoginFlow", "GET", "/v1/flows/login", 200},
		{"getLoginFlow", "GET", "/v1/flows/login/{flow_id}", 200},
		{"submitLoginFlow", "POST", "/v1/flows/login/{flow_id}:submit", 200},
		{"createRegistrationFlow", "GET", "/v1/flows/registration", 200},
		{"getRegistrationFlow", "GET", "/v1/flows/registration/{flow_id}", 200},
		{"submitRegistrationFlow", "POST", "/v1/flows/registration/{flow_id}:submit", 200},
		{"createSettingsFlow", "GET", "/v1/flows/settings", 200},
		{"getSettingsFlow", "GET", "/v1/flows/settings/{flow_id}", 200},
		{"submitSettingsFlow", "POST", "/v1/flows/settings/{flow_id}:submit", 200},
		{"createRecoveryFlow", "GET", "/v1/flows/recovery", 200},
		{"getRecoveryFlow", "GET", "/v1/flows/recovery/{flow_id}", 200},
		{"submitRecoveryFlow", "POST", "/v1/flows/recovery/{flow_id}:submit", 200},
		{"createVerificationFlow", "GET", "/v1/flows/verification", 200},
		{"getVerificationFlow", "GET", "/v1/flows/verification/{flow_id}", 200},
		{"submitVerificationFlow", "POST", "/v1/flows/verification/{flow_id}:submit", 200},
		{"getSession", "GET", "/v1/sessions/whoami", 200},
		{"logout", "DELETE", "/v1/sessions/whoami", 204},
		{"listSessions", "GET", "/v1/sessions", 200},
		{"revokeOtherSessions", "DELETE", "/v1/sessions", 200},
		{"revokeSession", "DELETE", "/v1/sessions/{session_id}", 204},
		{"completeOidcFlow", "GET", "/v1/flows/oidc/callback/{provider}", 303},
	}
	doc := flows(t)
	ops := operations(doc)
	require.Len(t, ops, len(want), "the contract has exactly the decided operations")
	for _, w := range want {
		t.Run("operation="+w.id, func(t *testing.T) {
			item := doc.Paths.Find(w.path)
			require.NotNil(t, item, "path %s", w.path)
			op := item.GetOperation(w.method)
			require.NotNil(t, op, "%s %s", w.method, w.path)
			assert.Equal(t, w.id, op.OperationID)
			assert.NotNil(t, op.Responses.Status(w.success), "success status %d", w.success)
			for code := range op.Responses.Map() {
				n, err := strconv.Atoi(code)
				require.NoError(t, err, "response keys are explicit statuses")
				if n >= 200 && n < 300 {
					assert.Equal(t, w.success, n, "one success status")
				}
			}
		})
	}
}

func TestEveryOperationListsItsErrorCodes(t *testing.T) {
	doc := flows(t)
	catalog := codeCatalog(t, doc)
	total := 0
	for _, o := range operations(doc) {
		t.Run("operation="+o.op.OperationID, func(t *testing.T) {
			pairs := errorCodes(t, o.op)
			require.NotEmpty(t, pairs)
			total += len(pairs)
			listed := map[int]bool{}
			for _, p := range pairs {
				c, ok := catalog[p.Code]
				if assert.True(t, ok, "code %s is in the ErrorCode enum", p.Code) {
					// _902 also stands for 405, 413 and 415 (D6), _900 for 503 (unavailable).
					switch p.Code {
					case "AVNOLOGY_AUTH_902":
						assert.Contains(t, []int{400, 405, 413, 415}, p.Status)
					case "AVNOLOGY_AUTH_900":
						assert.Contains(t, []int{500, 503}, p.Status)
					default:
						assert.Equal(t, c.Status, p.Status, "status of %s", p.Code)
					}
				}
				listed[p.Status] = true
				assert.NotNil(t, o.op.Responses.Status(p.Status), "%d is listed in x-error-codes but has no response", p.Status)
			}
			assert.True(t, listed[500], "every operation may fail with 500 _900")
			assert.True(t, listed[503], "every operation may be unavailable: 503 _900")
			for code := range o.op.Responses.Map() {
				n, _ := strconv.Atoi(code)
				if n >= 400 {
					assert.True(t, listed[n], "response %d has no code in x-error-codes", n)
				}
			}
			if o.op.RequestBody != nil {
				assert.True(t, listed[413] && listed[415], "an operation with a body lists 413 and 415")
			}
		})
	}
	t.Logf("error codes: %d in the enum, %d (status, code) pairs over all operations", len(catalog), total)
}

// D6: which codes the decisions mark provisional (*).
func TestProvisionalCodesFollowTheDecisions(t *testing.T) {
	provisional := []string{"003", "008", "012", "013", "014", "015", "016", "017", "020", "302", "900"}
	for code, c := range codeCatalog(t, flows(t)) {
		assert.Equal(t, slices.Contains(provisional, strings.TrimPrefix(code, "AVNOLOGY_AUTH_")), c.Provisional, code)
	}
}

func TestPathParametersHavePatterns(t *testing.T) {
	for _, o := range operations(flows(t)) {
		for _, p := range o.op.Parameters {
			if p.Value.In == openapi3.ParameterInPath {
				assert.NotEmpty(t, p.Value.Schema.Value.Pattern, "%s: path parameter %s", o.op.OperationID, p.Value.Name)
			}
		}
	}
}

func TestEveryOneOfHasAnExplicitDiscriminatorMapping(t *testing.T) {
	doc := flows(t)
	seen := map[*openapi3.Schema]bool{}
	var walk func(name string, s *openapi3.Schema)
	walk = func(name string, s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		if len(s.OneOf) > 0 {
			if assert.NotNil(t, s.Discriminator, "%s: oneOf without discriminator", name) {
				assert.Len(t, s.Discriminator.Mapping, len(s.OneOf), "%s: mapping covers every alternative", name)
				for _, ref := range s.OneOf {
					var found bool
					for _, target := range s.Discriminator.Mapping {
						found = found || target.Ref == ref.Ref
					}
					assert.True(t, found, "%s: %s is not in the mapping", name, ref.Ref)
				}
			}
		}
		for _, list := range [][]*openapi3.SchemaRef{s.OneOf, s.AnyOf, s.AllOf} {
			for _, r := range list {
				walk(name, r.Value)
			}
		}
		for prop, r := range s.Properties {
			walk(name+"."+prop, r.Value)
		}
		if s.Items != nil {
			walk(name+"[]", s.Items.Value)
		}
	}
	for name, s := range doc.Components.Schemas {
		walk(name, s.Value)
	}
}

// Every request body and every response with content has an example, and each validates.
func TestEveryExampleValidatesAgainstItsSchema(t *testing.T) {
	doc := flows(t)
	count := 0
	check := func(t *testing.T, where string, mt *openapi3.MediaType, opts ...openapi3.SchemaValidationOption) {
		var values []any
		if mt.Example != nil {
			values = append(values, mt.Example)
		}
		for _, ex := range mt.Examples {
			values = append(values, ex.Value.Value)
		}
		assert.NotEmpty(t, values, "%s has no example", where)
		for _, v := range values {
			count++
			assert.NoError(t, mt.Schema.Value.VisitJSON(v, append(opts, openapi3.MultiErrors())...), where)
		}
	}
	for _, o := range operations(doc) {
		if o.op.RequestBody != nil {
			for ct, mt := range o.op.RequestBody.Value.Content {
				check(t, o.op.OperationID+" request "+ct, mt, openapi3.VisitAsRequest())
			}
		}
		for status, r := range o.op.Responses.Map() {
			for ct, mt := range r.Value.Content {
				check(t, o.op.OperationID+" response "+status+" "+ct, mt, openapi3.VisitAsResponse())
			}
		}
	}
	t.Logf("examples validated: %d uses of %d named examples", count, len(doc.Components.Examples))
}

var reqID = regexp.MustCompile(`REQ-[A-Z]+-[0-9]{3}`)

func TestRequirementIDsResolve(t *testing.T) {
	text, err := os.ReadFile("requirements.md")
	require.NoError(t, err)
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^- \*\*(REQ-[A-Z]+-[0-9]{3})\*\* (MUST|SHOULD) — .+_Source: .+_$`).FindAllStringSubmatch(string(text), -1) {
		assert.False(t, defined[m[1]], "%s defined twice", m[1])
		defined[m[1]] = true
	}
	for _, line := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(line, "- **REQ-") {
			assert.True(t, defined[reqID.FindString(line)], "malformed rule (severity, dash, source): %s", line)
		}
	}
	for _, id := range reqID.FindAllString(string(openapi.Flows()), -1) {
		assert.True(t, defined[id], "the contract cites %s, which requirements.md does not define", id)
	}
	t.Logf("requirements: %d", len(defined))
}

func TestContractCounts(t *testing.T) {
	doc := flows(t)
	t.Logf("operations: %d, schemas: %d, named examples: %d", len(operations(doc)), len(doc.Components.Schemas), len(doc.Components.Examples))
}

func TestStatusTextIsNeverUnprocessable(t *testing.T) {
	for _, o := range operations(flows(t)) {
		assert.Nil(t, o.op.Responses.Status(http.StatusUnprocessableEntity), o.op.OperationID)
	}
}

func TestRequirementsAreParsed(t *testing.T) {
	reqs := openapi.Requirements()
	assert.Greater(t, len(reqs), 80)
	r := reqs["REQ-LOGIN-003"]
	assert.Equal(t, "MUST", r.Severity)
	assert.Contains(t, r.Text, "An unknown identifier and a wrong password get the identical answer")
	assert.NotContains(t, r.Text, "_Source:")
	assert.Equal(t, "SHOULD", reqs["REQ-ERR-008"].Severity)
}
