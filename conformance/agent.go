package conformance

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// Agent is one client of the target: a browser (it keeps cookies) or an API client (it sends a
// bearer token). Agents of one case never share cookies or tokens.
type Agent struct {
	t     *T
	jar   http.CookieJar
	token string
}

// Browser returns a new agent that keeps cookies, like a browser tab.
func (t *T) Browser() *Agent {
	jar, _ := cookiejar.New(nil)
	return &Agent{t: t, jar: jar}
}

// API returns a new agent without cookies, like a native app or a server.
func (t *T) API() *Agent { return &Agent{t: t} }

// WithToken returns an API agent presenting the session token as a bearer.
func (t *T) WithToken(token string) *Agent { return &Agent{t: t, token: token} }

// Do sends a request as this agent.
func (a *Agent) Do(req Request) *Response { return a.t.e.do(a.t, a, req) }

// Get sends a GET.
func (a *Agent) Get(path string, query url.Values) *Response {
	return a.Do(Request{Method: http.MethodGet, Path: path, Query: query})
}

// Cookie returns the value of the named cookie the agent holds for the target, "" if none.
func (a *Agent) Cookie(name string) string {
	if a.jar == nil {
		return ""
	}
	for _, c := range a.jar.Cookies(a.t.e.base) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// authorize presents the agent's session: as a bearer token, or — when Authorization carries
// the gateway's own credentials (gatewayAuth, from the target's extra headers) — as the
// avnl_session cookie, which every session operation accepts too (REQ-SES-003). Extra headers
// never replace the suite's session.
func (a *Agent) authorize(r *http.Request, gatewayAuth bool) {
	switch {
	case a.token == "":
	case r.Header.Get("Authorization") == "":
		r.Header.Set("Authorization", "Bearer "+a.token)
	case gatewayAuth:
		r.AddCookie(&http.Cookie{Name: "avnl_session", Value: a.token})
	}
	if a.jar != nil {
		for _, c := range a.jar.Cookies(r.URL) {
			r.AddCookie(c)
		}
	}
}

func (a *Agent) keepCookies(u *url.URL, resp *http.Response) {
	if a.jar != nil {
		a.jar.SetCookies(u, resp.Cookies())
	}
}

// Flow is a flow as the target last showed it.
type Flow struct {
	Type  string
	ID    string
	State string
	CSRF  string
	Data  map[string]any
}

// flowOf reads a flow object (a flow body, continue_flow) — nil when v is not one.
func flowOf(v any) *Flow {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	f := &Flow{Data: m}
	f.Type, _ = m["type"].(string)
	f.ID, _ = m["id"].(string)
	f.State, _ = m["state"].(string)
	if f.ID == "" {
		return nil
	}
	for _, n := range f.Nodes() {
		if attr, _ := n["attributes"].(map[string]any); attr != nil && attr["name"] == "csrf_token" {
			f.CSRF, _ = attr["value"].(string)
		}
	}
	return f
}

// Nodes returns the flow's UI nodes.
func (f *Flow) Nodes() []map[string]any {
	var out []map[string]any
	nodes, _ := lookup(f.Data, "ui.nodes").([]any)
	for _, n := range nodes {
		if m, ok := n.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Groups returns the distinct node groups, in order.
func (f *Flow) Groups() []string {
	var out []string
	for _, n := range f.Nodes() {
		g, _ := n["group"].(string)
		if g != "" && g != "default" && !contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// HasInput reports whether the flow shows an input named name.
func (f *Flow) HasInput(name string) bool {
	for _, n := range f.Nodes() {
		if attr, _ := n["attributes"].(map[string]any); attr != nil && attr["name"] == name {
			return true
		}
	}
	return false
}

// Messages returns the ids of the flow's UI messages, flow-level and on nodes.
func (f *Flow) Messages() []string {
	var out []string
	collect := func(list any) {
		msgs, _ := list.([]any)
		for _, m := range msgs {
			if id := lookup(m, "id"); id != nil {
				out = append(out, fmt.Sprint(id))
			}
		}
	}
	collect(lookup(f.Data, "ui.messages"))
	for _, n := range f.Nodes() {
		collect(n["messages"])
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func flowPath(kind string) string { return "/v1/flows/" + kind }

// CreateFlow creates a flow of the kind and returns it with the response (nil flow unless 200).
func (a *Agent) CreateFlow(kind string, query url.Values) (*Flow, *Response) {
	r := a.Get(flowPath(kind), query)
	if r.Status != http.StatusOK {
		return nil, r
	}
	return flowOf(r.JSON()), r
}

// MustCreateFlow creates a flow and ends the case unless that succeeds.
func (a *Agent) MustCreateFlow(kind string, query url.Values) *Flow {
	f, r := a.CreateFlow(kind, query)
	if f == nil {
		a.t.fatalAt(r.Seq, "creating a %s flow: want HTTP 200 with a flow, got %s", kind, r)
	}
	if f.CSRF == "" {
		a.t.fatalAt(r.Seq, "the new %s flow has no csrf_token node (REQ-FLOW-008)", kind)
	}
	return f
}

// GetFlow fetches a flow by id.
func (a *Agent) GetFlow(kind, id string) *Response { return a.Get(flowPath(kind)+"/"+id, nil) }

// Submit sends {"method", "body"} to the flow; the flow's CSRF token is added to body unless
// body already has a csrf_token key (set it to nil to send none).
func (a *Agent) Submit(f *Flow, method string, body map[string]any) *Response {
	return a.Do(a.SubmitRequest(f, method, body))
}

// SubmitRequest builds a submit without sending it.
func (a *Agent) SubmitRequest(f *Flow, method string, body map[string]any) Request {
	b := map[string]any{}
	for k, v := range body {
		if v != nil {
			b[k] = v
		}
	}
	if _, set := body["csrf_token"]; !set {
		b["csrf_token"] = f.CSRF
	}
	return Request{Method: http.MethodPost, Path: flowPath(f.Type) + "/" + f.ID + ":submit", JSON: map[string]any{"method": method, "body": b}}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// uniqueEmail is an address no other case or run uses, under a domain reserved for examples.
func uniqueEmail(label string) string {
	return "conform-" + strings.ReplaceAll(label, ".", "-") + "-" + randomHex(5) + "@example.com"
}
