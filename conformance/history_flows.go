package conformance

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// flowSeen is what history keeps of a flow.
type flowSeen struct {
	kind, state, csrf string
	expiresAt         time.Time
	consumed          bool
	// who signs in with it: the identifier a first factor was given with (ASCII lower case),
	// so its second-factor step and its code step know whose they are.
	who string
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

// judgeFlow checks what an exchange did with a flow against what the flow did before.
func (h *history) judgeFlow(x *exchange) []string {
	var out []string
	prev, known := h.flows.get(x.flowID)
	known = known && x.flowID != ""
	if known && prev.consumed && x.ok() {
		out = append(out, fmt.Sprintf("the %s flow %s answered %d after it produced a session (REQ-FLOW-004)", x.kind, x.flowID, x.status))
	}
	// 2xx only: a browser's form is answered 303 for an expired flow too, to its fresh one.
	if known && !prev.expiresAt.IsZero() && x.ok() && x.settled.After(prev.expiresAt.Add(clockSlack)) {
		out = append(out, fmt.Sprintf("the %s flow %s answered %d at %s, after it expired at %s, want 400 AVNOLOGY_AUTH_009 (REQ-FLOW-003)",
			x.kind, x.flowID, x.status, x.settled.UTC().Format(time.RFC3339), prev.expiresAt.UTC().Format(time.RFC3339)))
	}
	if x.submit && x.accepted() {
		switch token := x.sent.fields["csrf_token"]; {
		case token == "":
			out = append(out, fmt.Sprintf("a %s submit without csrf_token was accepted (%d), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)", x.kind, x.status))
		case known && prev.csrf != "" && token != prev.csrf:
			out = append(out, fmt.Sprintf("a %s submit with another flow's csrf_token was accepted (%d), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)", x.kind, x.status))
		}
	}
	for _, f := range x.flowsAnswered() {
		out = append(out, h.moved(*f)...)
	}
	out = append(out, h.uniformRefusal(x)...)
	out = append(out, h.callback(x)...)
	return out
}

// flowsAnswered are the flows an answer carries: itself, or its continue_flow.
func (x *exchange) flowsAnswered() []*flowJSON {
	var out []*flowJSON
	for _, f := range []*flowJSON{&x.doc.flowJSON, x.doc.ContinueFlow} {
		if x.parsed && f != nil && f.ID != "" && moves[f.Type] != nil {
			out = append(out, f)
		}
	}
	return out
}

// moved judges a flow's state against the one seen before (REQ-FLOW-007).
func (h *history) moved(f flowJSON) []string {
	prev, known := h.flows.get(f.ID)
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

// rememberFlows keeps what the answer says of its flows.
func (h *history) rememberFlows(x *exchange) {
	prev, _ := h.flows.get(x.flowID)
	for _, f := range x.flowsAnswered() {
		seen, _ := h.flows.get(f.ID)
		seen.kind, seen.state = f.Type, f.State
		seen.csrf = cmp.Or(f.csrf(), seen.csrf)
		if !f.ExpiresAt.IsZero() {
			seen.expiresAt = f.ExpiresAt
		}
		if f.ID != x.flowID && f.Type == "login" { // a second-factor step carries on the first's
			seen.who = cmp.Or(seen.who, prev.who)
		}
		if x.submit && x.kind == "login" {
			seen.who = cmp.Or(asciiLower(x.sent.fields["identifier"]), seen.who, prev.who)
		}
		h.flows.put(f.ID, seen)
		if f.ReturnTo != "" {
			h.returnTos.put(f.ReturnTo, struct{}{})
		}
	}
	if x.submit && x.ok() && x.doc.Session != nil && (x.kind == "login" || x.kind == "registration") {
		seen, _ := h.flows.get(x.flowID)
		seen.kind, seen.consumed = x.kind, true
		h.flows.put(x.flowID, seen)
	}
}

// uniformRefusal judges a wrong-credentials answer against the first one seen: an unknown
// identifier and a wrong password must read alike (REQ-LOGIN-003), so every such answer does,
// in a language.
func (h *history) uniformRefusal(x *exchange) []string {
	if x.op != "submitLoginFlow" || x.status != http.StatusUnauthorized || x.doc.Error == nil || x.doc.Error.Code != "AVNOLOGY_AUTH_001" {
		return nil
	}
	parts := []string{"error.message " + x.doc.Error.Message}
	keys := make([]string, 0, len(x.doc.Error.Details))
	for k := range x.doc.Error.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts = append(parts, "error.details keys "+strings.Join(keys, ","))
	if cf := x.doc.ContinueFlow; cf != nil {
		for _, m := range cf.UI.Messages {
			parts = append(parts, "message "+m.ID+" "+m.Text)
		}
	}
	lang := x.req.Header.Get("Accept-Language")
	if h.refused == nil {
		h.refused = map[string][]string{}
	}
	first, seen := h.refused[lang]
	if !seen {
		if len(h.refused) < 100 {
			h.refused[lang] = parts
		}
		return nil
	}
	for i := range max(len(first), len(parts)) {
		if was, is := at(first, i), at(parts, i); was != is {
			return []string{fmt.Sprintf("two wrong-credential answers differ (%q, then %q), so they tell an unknown identifier from a wrong password (REQ-LOGIN-003)", was, is)}
		}
	}
	return nil
}

// at is s[i], or "" past its end.
func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

// callback judges a social sign-in's callback: it completes only in a browser that started a
// sign-in, which only a cookie can tell (REQ-OIDC-004), and it sends the browser only where a
// flow said, never to a return_to of its own query (REQ-OIDC-006).
func (h *history) callback(x *exchange) []string {
	if x.op != "completeOidcFlow" || x.status >= 400 {
		return nil
	}
	var out []string
	if len(x.req.Cookies()) == 0 {
		out = append(out, fmt.Sprintf("a callback from a browser without cookies completed (%d), want 404 AVNOLOGY_AUTH_901: it is bound to the browser that started the sign-in (REQ-OIDC-004)", x.status))
	}
	if own := x.req.URL.Query().Get("return_to"); own != "" && x.header.Get("Location") == own {
		if _, a := h.returnTos.get(own); !a {
			out = append(out, fmt.Sprintf("the callback sent the browser to %q, the return_to of its own query, which no flow was made with (REQ-OIDC-006)", own))
		}
	}
	return out
}

// asciiLower lower-cases ASCII letters only, as identifiers are compared (REQ-SEC-002).
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// cors judges who may read an answer with credentials: only the origins the deployment allows
// (REQ-CSRF-005). Unless told which those are, it cannot judge.
func (h *history) cors(x *exchange) []string {
	origin := x.req.Header.Get("Origin")
	if h.allowsOrigin == nil || origin == "" || h.allowsOrigin(origin) {
		return nil
	}
	allow, creds := x.header.Get("Access-Control-Allow-Origin"), x.header.Get("Access-Control-Allow-Credentials")
	if allow == origin || allow == "null" || creds == "true" {
		return []string{fmt.Sprintf("the origin %s, which the deployment does not allow, was answered Access-Control-Allow-Origin %q and Access-Control-Allow-Credentials %q, want neither (REQ-CSRF-005)", origin, allow, creds)}
	}
	return nil
}
