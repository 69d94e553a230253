package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Shared checks on the shapes the requirements describe beyond the schema.

var (
	flowIDPattern   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	sessionIDPrefix = "ses_"
)

// randomFlowID is a well-formed flow id no target has issued.
func randomFlowID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
}

// checkFreshFlow checks what every new flow shows (REQ-FLOW-001, -002, -008).
func (t *T) checkFreshFlow(r *Response, f *Flow, kind, state string, lifetime time.Duration) {
	t.checkAt(r.Seq, f.Type == kind, "the flow's type is %q, want %q (REQ-FLOW-001)", f.Type, kind)
	t.checkAt(r.Seq, f.State == state, "a fresh %s flow is in %q, want %q", kind, f.State, state)
	t.checkAt(r.Seq, flowIDPattern.MatchString(f.ID), "the flow id %q is not a bare lower-case UUID (REQ-FLOW-001)", f.ID)
	issued, err1 := time.Parse(time.RFC3339, r.Str("issued_at"))
	expires, err2 := time.Parse(time.RFC3339, r.Str("expires_at"))
	if t.checkAt(r.Seq, err1 == nil && err2 == nil, "issued_at and expires_at must be RFC 3339") {
		got := expires.Sub(issued)
		t.checkAt(r.Seq, got >= lifetime-2*time.Second && got <= lifetime+2*time.Second,
			"a %s flow lives %s (expires_at - issued_at), want %s (REQ-FLOW-002)", kind, got, lifetime)
	}
	csrf := 0
	for _, n := range f.Nodes() {
		attr, _ := n["attributes"].(map[string]any)
		if attr != nil && attr["name"] == "csrf_token" {
			csrf++
			t.checkAt(r.Seq, attr["type"] == "hidden" && n["group"] == "default", "the csrf_token node must be a hidden input in group default (REQ-FLOW-008)")
		}
	}
	t.checkAt(r.Seq, csrf == 1, "the flow has %d csrf_token nodes, want exactly 1 (REQ-FLOW-008)", csrf)
	action := r.Str("ui.action")
	t.checkAt(r.Seq, strings.HasSuffix(action, "/v1/flows/"+kind+"/"+f.ID+":submit"), "ui.action %q is not the flow's :submit endpoint", action)
}

// checkSession checks a session object at path (REQ-SES-001, REQ-LOGIN-002).
func (t *T) checkSession(r *Response, path, aal string, methods ...string) {
	if path != "" {
		path += "."
	}
	t.checkAt(r.Seq, strings.HasPrefix(r.Str(path+"id"), sessionIDPrefix), "the session id %q must start %q (REQ-SES-001)", r.Str(path+"id"), sessionIDPrefix)
	t.checkAt(r.Seq, r.Get(path+"active") == true, "a new session must be active")
	t.checkAt(r.Seq, r.Str(path+"authenticator_assurance_level") == aal, "the session is at %q, want %q", r.Str(path+"authenticator_assurance_level"), aal)
	if len(methods) > 0 {
		got := sessionMethods(r, path)
		t.checkAt(r.Seq, fmt.Sprint(got) == fmt.Sprint(methods), "authentication_methods are %v, want %v", got, methods)
	}
}

func sessionMethods(r *Response, path string) []string {
	var out []string
	list, _ := r.Get(path + "authentication_methods").([]any)
	for _, m := range list {
		if s, ok := lookup(m, "method").(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// checkRetryAfter checks the Retry-After header and details.retry_after of a 423 or 429
// (REQ-ERR-006, REQ-ERR-004, REQ-SEC-007): whole seconds within [min, max] — the time left in
// the lock or window, which the case knows within a couple of seconds — and the same number
// in both places.
func (t *T) checkRetryAfter(r *Response, min, max time.Duration) {
	h := r.Header.Get("Retry-After")
	secs, err := strconv.Atoi(h)
	t.checkAt(r.Seq, err == nil && secs > 0 && time.Duration(secs)*time.Second >= min && time.Duration(secs)*time.Second <= max,
		"Retry-After is %q, want the whole seconds left: between %d and %d (REQ-ERR-006, REQ-SEC-007)", h, int(min.Seconds()), int(max.Seconds()))
	d, ok := r.Get("error.details.retry_after").(float64)
	t.checkAt(r.Seq, ok && d > 0, "details.retry_after is missing (REQ-ERR-004)")
	t.checkAt(r.Seq, !ok || err != nil || int(d) == secs, "details.retry_after is %v but Retry-After is %d (REQ-SEC-007)", d, secs)
}

// checkRateLimitHeaders checks the X-RateLimit-* headers of a rate-limited submit (REQ-LIMIT-001).
func (t *T) checkRateLimitHeaders(r *Response) {
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		_, err := strconv.Atoi(r.Header.Get(h))
		t.checkAt(r.Seq, err == nil, "%s is %q, want a whole number (REQ-LIMIT-001)", h, r.Header.Get(h))
	}
}

// expectCSRFCookie checks that a browser now holds avnl_csrf, HttpOnly and SameSite=Lax.
func (t *T) expectCSRFCookie(r *Response) { t.expectCookie(r, "avnl_csrf", "REQ-CSRF-001") }

// expectCookie checks that r sets the named cookie, HttpOnly and SameSite=Lax, and Secure when
// the target is reached over TLS.
func (t *T) expectCookie(r *Response, name, req string) {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			t.checkAt(r.Seq, c.HttpOnly && c.SameSite == http.SameSiteLaxMode, "%s must be HttpOnly and SameSite=Lax (%s)", name, req)
			t.checkAt(r.Seq, c.Secure || t.e.base.Scheme != "https", "%s must be Secure over TLS (%s)", name, req)
			return
		}
	}
	t.checkAt(r.Seq, false, "no %s cookie was set (%s)", name, req)
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
