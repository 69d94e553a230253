package conformance

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/avnology/idflows/openapi/contract"
)

// More cases derived from the contract rather than written one by one.

func init() {
	derive(func(c *contract.Contract) {
		register(Case{
			ID: "schema.path-parameters", Title: "A path parameter its pattern refuses answers 400 _902 on every operation that has one",
			Profile: ProfileSecurity, Requirements: pathParamOperations(c),
			Run: func(t *T) {
				signedIn := t.WithToken(t.Register(t.API()).Token)
				for _, op := range c.Operations() {
					path, ok := withBadPathParam(op)
					if !ok {
						continue
					}
					req := Request{Method: op.Method, Path: path, Deliberate: true}
					if op.Op.RequestBody != nil {
						req.JSON = map[string]any{"method": "password", "body": map[string]any{}}
					}
					if op.Method == http.MethodGet && op.ID == "completeOidcFlow" {
						req.Query = map[string][]string{"code": {"x"}, "state": {"y"}}
					}
					t.ExpectError(signedIn.Do(req), 400, "AVNOLOGY_AUTH_902", op.ID+" with a malformed path parameter")
				}
			},
		})
		for _, kind := range []string{"login", "registration"} {
			op := c.Operation("submit" + upperFirst(kind) + "Flow")
			variants := submitVariants(op.Op)
			register(Case{
				ID:           kind + ".submit.methods-not-offered",
				Title:        "Every method the contract names but a " + kind + " flow does not offer in its state answers 400 _013",
				Profile:      ProfileCore,
				Requirements: []string{op.ID, "REQ-FLOW-009"},
				Run: func(t *T) {
					a := t.API()
					// refused submits each method f does not show, and says how many it tried.
					refused := func(f *Flow, where string) int {
						offered, tried := f.Groups(), 0
						for _, v := range variants {
							if slices.Contains(offered, v.method) {
								continue
							}
							tried++
							body := deepCopy(v.body).(map[string]any)
							delete(body, "csrf_token")
							t.ExpectError(a.Submit(f, v.method, body), 400, "AVNOLOGY_AUTH_013",
								fmt.Sprintf("method %s, which %s does not offer (it offers %s)", v.method, where, strings.Join(offered, ", ")))
						}
						return tried
					}
					f := a.MustCreateFlow(kind, nil)
					tried := refused(f, "a fresh flow")
					if slices.Contains(f.Groups(), "code") { // once a code is sent, the flow asks for that code only
						address := uniqueEmail(kind + "-offered")
						step1 := map[string]any{"identifier": address}
						if kind == "registration" {
							step1 = map[string]any{"traits": map[string]any{"email": address}}
						}
						if sent := flowOf(a.Submit(f, "code", step1).Get("continue_flow")); sent != nil && sent.State == "sent_email" {
							tried += refused(sent, "a flow in sent_email")
						}
					}
					if tried == 0 {
						t.Skipf("the flow offers every method the contract names, in every state tried")
					}
				},
			})
		}
	})
}

func pathParamOperations(c *contract.Contract) []string {
	out := []string{"REQ-ERR-003"}
	for _, op := range c.Operations() {
		if _, ok := withBadPathParam(op); ok {
			out = append(out, op.ID)
		}
	}
	return out
}

// withBadPathParam fills the operation's path with a value every path pattern refuses.
func withBadPathParam(op *contract.Operation) (string, bool) {
	path, found := op.Path, false
	for _, p := range op.Op.Parameters {
		if p.Value.In == "path" && p.Value.Schema != nil && p.Value.Schema.Value.Pattern != "" {
			path, found = strings.ReplaceAll(path, "{"+p.Value.Name+"}", "NOT_AN_ID"), true
		}
	}
	return path, found
}
