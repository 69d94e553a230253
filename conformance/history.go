package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// history is what a watcher remembers of the flows and sessions it saw, to judge an exchange
// by the ones before it: a flow's state moves only along its machine (REQ-FLOW-007), a flow
// that produced a session is not used again (REQ-FLOW-004), a submit is accepted only with its
// flow's CSRF token (REQ-CSRF-002), a session logged out is not accepted after (REQ-SES-002,
// REQ-SES-004). It keeps each flow's CSRF token to compare, and never reports it. It is bounded: past maxRemembered flows or
// sessions the oldest are forgotten, and what it forgot it does not judge.
type history struct {
	mu      sync.Mutex
	flows   bounded[flowSeen]
	revoked bounded[struct{}] // session tokens (bearer or cookie) logged out
}

const maxRemembered = 100_000

type flowSeen struct {
	kind, state, csrf string
	consumed          bool
}

// moves are the state changes each flow type may make (REQ-FLOW-007); staying put is always
// allowed.
var moves = map[string][][2]string{
	"login":        {{"choose_method", "sent_email"}, {"sent_email", "choose_method"}},
	"registration": {{"show_form", "sent_email"}},
	"settings":     {{"show_form", "success"}},
	"recovery":     {{"show_form", "sent_email"}, {"sent_email", "passed_challenge"}},
	"verification": {{"show_form", "sent_email"}, {"sent_email", "passed_challenge"}},
}

// sessionOperations answer only to a live session.
var sessionOperations = map[string]bool{
	"getSession": true, "logout": true, "listSessions": true, "revokeOtherSessions": true, "revokeSession": true,
	"createSettingsFlow": true, "getSettingsFlow": true, "submitSettingsFlow": true,
}

// judge checks an exchange of operation against what came before, and remembers it.
func (h *history) judge(op string, req *http.Request, reqBody []byte, status int, body []byte) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	ok := status >= 200 && status < 300
	cred := credentialOf(req)
	if _, loggedOut := h.revoked.get(cred); loggedOut && cred != "" && ok && sessionOperations[op] {
		out = append(out, fmt.Sprintf("%s accepted a session logged out before (REQ-SES-002)", op))
	}
	if op == "logout" && ok && cred != "" {
		h.revoked.put(cred, struct{}{})
	}
	kind, id, submit := flowOfPath(req.URL.Path)
	prev, known := h.flows.get(id)
	if known && id != "" && prev.consumed && ok {
		out = append(out, fmt.Sprintf("the %s flow %s answered %d after it produced a session (REQ-FLOW-004)", kind, id, status))
	}
	if accepted := ok || status == http.StatusSeeOther; submit && accepted {
		switch token := csrfOf(reqBody); {
		case token == "":
			out = append(out, fmt.Sprintf("a %s submit without csrf_token was accepted (%d), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)", kind, status))
		case known && prev.csrf != "" && token != prev.csrf:
			out = append(out, fmt.Sprintf("a %s submit with another flow's csrf_token was accepted (%d), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)", kind, status))
		}
	}
	var doc struct {
		flowJSON
		ContinueFlow *flowJSON      `json:"continue_flow"`
		Session      map[string]any `json:"session"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return out
	}
	for _, f := range []*flowJSON{&doc.flowJSON, doc.ContinueFlow} {
		if f != nil && f.ID != "" && moves[f.Type] != nil {
			out = append(out, h.saw(*f)...)
		}
	}
	if submit && ok && doc.Session != nil && (kind == "login" || kind == "registration") {
		seen, _ := h.flows.get(id)
		seen.kind, seen.consumed = kind, true
		h.flows.put(id, seen)
	}
	return out
}

type flowJSON struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	State string `json:"state"`
	UI    struct {
		Nodes []struct {
			Attributes struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"attributes"`
		} `json:"nodes"`
	} `json:"ui"`
}

// csrf is the flow's csrf_token node's value.
func (f flowJSON) csrf() string {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == "csrf_token" {
			s, _ := n.Attributes.Value.(string)
			return s
		}
	}
	return ""
}

// csrfOf is the csrf_token a submit carries: in its JSON body, or its form.
func csrfOf(body []byte) string {
	var doc struct {
		Body struct {
			CSRFToken string `json:"csrf_token"`
		} `json:"body"`
	}
	if json.Unmarshal(body, &doc) == nil {
		return doc.Body.CSRFToken
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return form.Get("csrf_token")
}

// saw records a flow's state, judging the move from the one seen before.
func (h *history) saw(f flowJSON) []string {
	prev, known := h.flows.get(f.ID)
	h.flows.put(f.ID, flowSeen{kind: f.Type, state: f.State, csrf: cmpOr(f.csrf(), prev.csrf), consumed: prev.consumed})
	if !known || prev.state == "" || prev.state == f.State {
		return nil
	}
	for _, m := range moves[f.Type] {
		if m == [2]string{prev.state, f.State} {
			return nil
		}
	}
	return []string{fmt.Sprintf("the %s flow %s moved from %s to %s, which its state machine does not allow (REQ-FLOW-007)", f.Type, f.ID, prev.state, f.State)}
}

// credentialOf is the session a request presents: its bearer token, else its session cookie.
func credentialOf(r *http.Request) string {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	if c, err := r.Cookie("avnl_session"); err == nil {
		return c.Value
	}
	return ""
}

// flowOfPath reads /v1/flows/<kind>/<id>[:submit].
func flowOfPath(path string) (kind, id string, submit bool) {
	rest, ok := strings.CutPrefix(path, "/v1/flows/")
	if !ok {
		return "", "", false
	}
	kind, id, _ = strings.Cut(rest, "/")
	id, submit = strings.CutSuffix(id, ":submit")
	if moves[kind] == nil {
		return "", "", false
	}
	return kind, id, submit
}

// bounded is a map that forgets its oldest entries past maxRemembered.
type bounded[V any] struct {
	m     map[string]V
	order []string
}

func (b *bounded[V]) get(k string) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}

func (b *bounded[V]) put(k string, v V) {
	if b.m == nil {
		b.m = map[string]V{}
	}
	if _, ok := b.m[k]; !ok {
		if len(b.order) >= maxRemembered {
			delete(b.m, b.order[0])
			b.order = b.order[1:]
		}
		b.order = append(b.order, k)
	}
	b.m[k] = v
}
