package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/avnology/idflows/openapi/contract"
)

// Negative inputs derived from the contract: for every submit operation, each method's body
// (taken from the contract's own examples) is broken one way at a time — a required field
// dropped, a field of the wrong type, an undeclared field, a string over its maxLength,
// malformed JSON, an unknown method — and for every flow-creating operation each query
// parameter gets a value its schema refuses. Every one must answer 400 _902 (REQ-ERR-003).

var flowKinds = []string{"login", "registration", "settings", "recovery", "verification"}

func init() {
	derive(func(c *contract.Contract) {
		for _, kind := range flowKinds {
			op := c.Operation("submit" + upperFirst(kind) + "Flow")
			variants := submitVariants(op.Op)
			for _, mutation := range []struct{ id, title string }{
				{"missing-field", "a required field dropped"},
				{"wrong-type", "a field of the wrong type"},
				{"extra-field", "an undeclared field"},
				{"over-long", "a string over its maxLength"},
				{"malformed-json", "a body that is not the JSON it should be"},
				{"unknown-method", "a method the contract does not name"},
			} {
				register(Case{
					ID:           "schema." + op.ID + "." + mutation.id,
					Title:        fmt.Sprintf("%s with %s answers 400 _902, never a 5xx", op.ID, mutation.title),
					Profile:      ProfileSecurity,
					Requirements: []string{op.ID, "REQ-ERR-003", "REQ-ERR-004"},
					Run: func(t *T) {
						a, f := t.flowToBreak(kind)
						for _, bad := range mutate(mutation.id, variants, f.CSRF) {
							r := a.Do(Request{Method: http.MethodPost, Path: flowPath(kind) + "/" + f.ID + ":submit", Body: bad.body, Deliberate: true})
							if t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", bad.what) {
								list, _ := r.Get("error.details.field_errors").([]any)
								t.checkAt(r.Seq, len(list) > 0 || mutation.id == "malformed-json", "%s: a _902 must list details.field_errors (REQ-ERR-004)", bad.what)
							}
						}
					},
				})
			}
			create := c.Operation("create" + upperFirst(kind) + "Flow")
			register(Case{
				ID:           "schema." + create.ID + ".bad-query",
				Title:        create.ID + " with a query value its schema refuses answers 400 _902",
				Profile:      ProfileSecurity,
				Requirements: []string{create.ID, "REQ-ERR-003"},
				Run: func(t *T) {
					a := t.API()
					if kind == "settings" {
						a = t.WithToken(t.Register(t.API()).Token)
					}
					checkBadQueries(t, a, create)
				},
			})
		}
		list := c.Operation("listSessions")
		register(Case{
			ID: "schema.listSessions.bad-query", Title: "listSessions with a query value its schema refuses answers 400 _902",
			Profile: ProfileSecurity, Requirements: []string{"listSessions", "REQ-ERR-003"},
			Run: func(t *T) { checkBadQueries(t, t.WithToken(t.Register(t.API()).Token), list) },
		})
	})
}

// flowToBreak creates a flow of the kind for an agent allowed to submit to it.
func (t *T) flowToBreak(kind string) (*Agent, *Flow) {
	a := t.API()
	if kind == "settings" {
		a = t.WithToken(t.Register(t.API()).Token)
	}
	return a, a.MustCreateFlow(kind, nil)
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// variant is one method of a submit operation: its body schema and a valid example body.
type variant struct {
	method string
	schema *openapi3.Schema
	body   map[string]any
}

func submitVariants(op *openapi3.Operation) []variant {
	media := op.RequestBody.Value.Content.Get("application/json")
	names := make([]string, 0, len(media.Examples))
	for name := range media.Examples {
		names = append(names, name)
	}
	slices.Sort(names)
	var out []variant
	seen := map[string]bool{}
	for _, name := range names {
		ex, _ := media.Examples[name].Value.Value.(map[string]any)
		method, _ := ex["method"].(string)
		body, _ := ex["body"].(map[string]any)
		if method == "" || seen[method] {
			continue
		}
		seen[method] = true
		var schema *openapi3.Schema
		for _, alt := range media.Schema.Value.OneOf {
			if alt.Value.Properties["method"].Value.Enum[0] == method {
				schema = alt.Value.Properties["body"].Value
			}
		}
		if schema != nil {
			out = append(out, variant{method: method, schema: schema, body: body})
		}
	}
	return out
}

type badInput struct {
	what string
	body []byte
}

// mutate returns the broken bodies of one kind for every method.
func mutate(kind string, variants []variant, csrf string) []badInput {
	var out []badInput
	add := func(what string, env map[string]any) {
		data, _ := json.Marshal(env)
		out = append(out, badInput{what: what, body: data})
	}
	for _, v := range variants {
		fresh := func() (map[string]any, map[string]any) {
			body := deepCopy(v.body).(map[string]any)
			body["csrf_token"] = csrf
			return map[string]any{"method": v.method, "body": body}, body
		}
		switch kind {
		case "missing-field":
			env, _ := fresh()
			delete(env, "body")
			add(v.method+" without body", env)
			for _, field := range v.schema.Required {
				env, body := fresh()
				delete(body, field)
				add(fmt.Sprintf("%s without body.%s", v.method, field), env)
			}
		case "wrong-type":
			for _, field := range sortedProps(v.schema) {
				wrong, ok := wrongTypeFor(v.schema.Properties[field].Value)
				if !ok {
					continue
				}
				env, body := fresh()
				body[field] = wrong
				add(fmt.Sprintf("%s with body.%s = %v", v.method, field, wrong), env)
			}
		case "extra-field":
			env, body := fresh()
			body["unexpected_field"] = true
			add(v.method+" with body.unexpected_field", env)
			env, _ = fresh()
			env["unexpected_field"] = true
			add(v.method+" with an undeclared envelope field", env)
		case "over-long":
			for _, field := range sortedProps(v.schema) {
				s := v.schema.Properties[field].Value
				if s.MaxLength != nil && *s.MaxLength < 1<<17 {
					env, body := fresh()
					body[field] = strings.Repeat("a", int(*s.MaxLength)+1)
					add(fmt.Sprintf("%s with body.%s of %d characters", v.method, field, *s.MaxLength+1), env)
				}
				if s.Type.Is("object") { // one level down: traits.email, traits.locale, ...
					for _, inner := range sortedProps(s) {
						is := s.Properties[inner].Value
						if is.MaxLength != nil && is.Type.Is("string") {
							env, body := fresh()
							obj, _ := body[field].(map[string]any)
							if obj == nil {
								obj = map[string]any{}
							}
							obj[inner] = strings.Repeat("a", int(*is.MaxLength)+1)
							body[field] = obj
							add(fmt.Sprintf("%s with body.%s.%s of %d characters", v.method, field, inner, *is.MaxLength+1), env)
						}
					}
				}
			}
		case "unknown-method":
			env, _ := fresh()
			env["method"] = "carrier_pigeon"
			add("method carrier_pigeon (with a "+v.method+" body)", env)
		}
	}
	if kind == "malformed-json" {
		for what, raw := range map[string]string{
			"a truncated object": `{"method": "password", "body": {`,
			"a JSON array":       `[]`,
			"a JSON string":      `"submit"`,
			"null":               `null`,
			"an empty object":    `{}`,
			"trailing garbage":   `{"method": "password", "body": {}} xyz`,
		} {
			out = append(out, badInput{what: what, body: []byte(raw)})
		}
		slices.SortFunc(out, func(a, b badInput) int { return strings.Compare(a.what, b.what) })
	}
	return out
}

func sortedProps(s *openapi3.Schema) []string {
	keys := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// wrongTypeFor returns a value of a JSON type the schema does not allow.
func wrongTypeFor(s *openapi3.Schema) (any, bool) {
	switch {
	case s.Type.Is("string"):
		return 12345, true
	case s.Type.Is("boolean"):
		return "yes", true
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "many", true
	case s.Type.Is("object"):
		return "an object expected", true
	case s.Type.Is("array"):
		return map[string]any{}, true
	}
	return nil, false
}

func deepCopy(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// checkBadQueries sends, for each query parameter of op, one value its schema refuses.
func checkBadQueries(t *T, a *Agent, op *contract.Operation) {
	for _, p := range op.Op.Parameters {
		param := p.Value
		if param.In != "query" || param.Schema == nil {
			continue
		}
		for _, bad := range badQueryValues(param.Schema.Value) {
			q := url.Values{param.Name: {bad}}
			r := a.Do(Request{Method: op.Method, Path: op.Path, Query: q, Deliberate: true})
			t.ExpectError(r, 400, "AVNOLOGY_AUTH_902", fmt.Sprintf("%s=%.40q", param.Name, bad))
		}
	}
}

func badQueryValues(s *openapi3.Schema) []string {
	var out []string
	switch {
	case s.Type.Is("boolean"):
		out = append(out, "maybe")
	case s.Type.Is("integer"):
		out = append(out, "many")
		if s.Min != nil {
			out = append(out, fmt.Sprint(int(*s.Min)-1))
		}
		if s.Max != nil {
			out = append(out, fmt.Sprint(int(*s.Max)+1))
		}
	}
	if len(s.Enum) > 0 {
		out = append(out, "not_a_listed_value")
	}
	if s.Format == "uri" {
		out = append(out, "not a uri")
	}
	if s.Pattern != "" && !s.Type.Is("integer") {
		out = append(out, "!!")
	}
	if s.MaxLength != nil {
		out = append(out, strings.Repeat("a", int(*s.MaxLength)+1))
	}
	return out
}
