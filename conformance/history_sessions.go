package conformance

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// sessionSeen is what history keeps of a session, by the token or cookie that presents it.
type sessionSeen struct {
	id, identity    string
	aal             string
	authenticatedAt time.Time
	recovery        bool // made by a recovery: privileged for its whole life, aal1
	social          bool // set by a social sign-in's callback, whose identity is not yet seen
}

// sessionOperations answer only to a live session.
var sessionOperations = map[string]bool{
	"getSession": true, "logout": true, "listSessions": true, "revokeOtherSessions": true, "revokeSession": true,
	"createSettingsFlow": true, "getSettingsFlow": true, "submitSettingsFlow": true,
}

// privilegedWindow is how long after signing in a session may make privileged changes
// (REQ-STEPUP-002).
const privilegedWindow = 15 * time.Minute

// totpReuseWindow is how long a TOTP code stays the same code: its 30-second step and the
// steps either side a server may accept.
const totpReuseWindow = 90 * time.Second

// judgeSession checks what a session was allowed to do against what it was seen to be.
func (h *history) judgeSession(x *exchange) []string {
	var out []string
	if _, loggedOut := h.revoked.get(x.cred); loggedOut && x.cred != "" && x.ok() && sessionOperations[x.op] {
		out = append(out, fmt.Sprintf("%s accepted a session logged out before (REQ-SES-002)", x.op))
	}
	ses, known := h.sessions.get(x.cred)
	known = known && x.cred != ""
	guarded := h.identities.has(ses.identity, hasSecondFactor)
	if now := x.session(); known && ses.social && now != nil && x.ok() {
		if id := now.identity(); h.identities.has(id, signedUpWithPassword) && !h.identities.has(id, linkedProvider) {
			out = append(out, fmt.Sprintf("a social sign-in signed in %s, an account made with a password and never linked: the provider's email was merged into it, want the login flow asking to sign in and link (REQ-OIDC-003)", id))
		}
	}
	switch {
	case x.op == "createSettingsFlow" && x.ok() && known && guarded && ses.aal == "aal1" && !ses.recovery:
		out = append(out, "a settings flow was made for the aal1 session of an identity with a second factor, want 403 AVNOLOGY_AUTH_102 asking for aal2 (REQ-STEPUP-001)")
	case x.op == "submitSettingsFlow" && x.accepted() && known:
		if what := h.removesSecondFactor(x.sent, ses.identity); what != "" && ses.aal != "aal2" {
			out = append(out, fmt.Sprintf("a %s session was let %s, want 403 AVNOLOGY_AUTH_102 asking for aal2 (REQ-SEC-003)", sessionKind(ses), what))
		}
		if what := privileged(x.sent); what != "" && !ses.recovery && x.settled.After(ses.authenticatedAt.Add(privilegedWindow+clockSlack)) {
			out = append(out, fmt.Sprintf("a session signed in at %s was let %s at %s, more than 15 minutes later, want 403 AVNOLOGY_AUTH_102 asking for refresh (REQ-STEPUP-002)",
				ses.authenticatedAt.UTC().Format(time.RFC3339), what, x.settled.UTC().Format(time.RFC3339)))
		}
	case x.op == "submitLoginFlow":
		out = append(out, h.signIn(x)...)
	}
	return out
}

// signIn judges a login submit by the identity it answered and the codes that came before.
func (h *history) signIn(x *exchange) []string {
	var out []string
	flow, _ := h.flows.get(x.flowID)
	who := flow.who
	secondFactor := x.sent.method == "totp" || x.sent.method == "lookup_secret" || x.sent.method == "webauthn"
	if x.status == http.StatusBadRequest && secondFactor && x.doc.Error != nil && x.doc.Error.Code == "AVNOLOGY_AUTH_008" && who != "" {
		if left, ok := x.doc.Error.Details["attempts_remaining"].(float64); ok {
			if before, seen := h.codesLeft.get(who); seen && left > before {
				out = append(out, fmt.Sprintf("wrong second-factor codes left went up from %v to %v without a completed aal2 sign-in or a lock: the count was reset (REQ-SEC-001)", before, left))
			}
			h.codesLeft.put(who, left)
		}
	}
	if x.status == http.StatusLocked && who != "" {
		h.codesLeft.forget(who)
	}
	ses := x.doc.Session
	if !x.ok() || ses == nil {
		return out
	}
	id := ses.identity()
	if x.sent.method == "lookup_secret" {
		h.identities.add(id, hasLookupCodes)
	}
	if ses.AAL == "aal2" { // a completed aal2 sign-in starts the count again
		h.codesLeft.forget(who)
		if ses.Identity != nil {
			h.codesLeft.forget(asciiLower(ses.Identity.Email))
			h.codesLeft.forget(asciiLower(ses.Identity.Username))
		}
	}
	if x.sent.method == "totp" && id != "" && x.sent.fields["totp_code"] != "" {
		key := hashOf(id + "\x00" + x.sent.fields["totp_code"])
		if at, used := h.totpUsed.get(key); used && x.settled.Sub(at).Abs() <= totpReuseWindow {
			out = append(out, "a TOTP code that signed this identity in before was accepted again, want 400 AVNOLOGY_AUTH_008 (REQ-LOGIN-010)")
		}
		h.totpUsed.put(key, x.settled)
	}
	if h.identities.has(id, hasSecondFactor) && ses.AAL == "aal1" {
		switch x.sent.method {
		case "code":
			out = append(out, "a code sign-in of an identity with a second factor answered a session at aal1, want the aal2 step first (REQ-SEC-004)")
		case "password":
			out = append(out, "a password sign-in of an identity with a second factor answered a session at aal1, want the aal2 step first (REQ-LOGIN-009)")
		}
	}
	if typed := cmp.Or(x.sent.fields["identifier"], who); hasNonASCII(typed) {
		if ident := ses.Identity; ident != nil && !slices.Contains([]string{asciiLower(ident.Email), asciiLower(ident.Username), ident.Phone}, asciiLower(typed)) {
			out = append(out, fmt.Sprintf("%q signed in as the identity of %q: addresses match after ASCII lower-casing only (REQ-SEC-002)", typed, ident.Email))
		}
	}
	return out
}

// rememberSession keeps what an answer says of the session a request presented or was given,
// and of its identity.
func (h *history) rememberSession(x *exchange) {
	if x.op == "logout" && x.ok() && x.cred != "" {
		h.revoked.put(x.cred, struct{}{})
	}
	prev, known := h.sessions.get(x.cred)
	if ses := x.session(); x.ok() && ses != nil {
		seen := sessionSeen{id: ses.ID, identity: ses.identity(), aal: ses.AAL, authenticatedAt: ses.AuthenticatedAt,
			recovery: x.op == "submitRecoveryFlow" || known && prev.recovery && prev.id == ses.ID && ses.AAL != "aal2"}
		for _, cred := range []string{ses.Token, x.doc.SessionToken, newSessionCookie(x.header)} {
			if cred != "" {
				h.sessions.put(cred, seen)
			}
		}
		if x.cred != "" && (!known || prev.id == "" || prev.id == ses.ID) { // the session presented, as it is now
			h.sessions.put(x.cred, seen)
		}
		if ses.AAL == "aal2" {
			h.identities.add(seen.identity, hasSecondFactor)
		}
		if x.op == "submitRegistrationFlow" && x.sent.method == "password" {
			h.identities.add(seen.identity, signedUpWithPassword)
		}
	}
	if cookie := newSessionCookie(x.header); x.op == "completeOidcFlow" && x.status < 400 && cookie != "" {
		if _, linking := h.sessions.get(x.cred); !linking || x.cred == "" {
			h.sessions.put(cookie, sessionSeen{social: true})
		}
	}
	if x.op == "submitSettingsFlow" && x.sent.method == "oidc" && x.sent.fields["link"] != "" && known {
		h.identities.add(prev.identity, linkedProvider)
	}
	if x.op != "submitSettingsFlow" || !x.ok() || !known {
		return
	}
	switch f := x.sent.fields; {
	case x.sent.method == "totp" && f["totp_code"] != "":
		h.identities.add(prev.identity, hasSecondFactor)
	case x.sent.method == "lookup_secret" && f["lookup_secret_confirm"] != "":
		h.identities.add(prev.identity, hasSecondFactor)
		h.identities.add(prev.identity, hasLookupCodes)
	case f["totp_unlink"] != "" || f["webauthn_remove"] != "" || f["lookup_secret_disable"] != "": // it may have been the last one
		h.identities.remove(prev.identity, hasSecondFactor, hasLookupCodes)
	}
}

// removesSecondFactor says what a settings submit does to a second factor of identity that it
// removes or replaces (REQ-SEC-003), or "" when it does neither. Lookup codes are replaced or
// removed only where they exist.
func (h *history) removesSecondFactor(s submitted, identity string) string {
	hasCodes := h.identities.has(identity, hasLookupCodes)
	switch f := s.fields; {
	case f["totp_unlink"] != "":
		return "unlink TOTP"
	case f["webauthn_remove"] != "":
		return "remove a security key"
	case f["lookup_secret_disable"] != "" && hasCodes:
		return "disable its lookup codes"
	case f["lookup_secret_regenerate"] != "" && hasCodes:
		return "regenerate its lookup codes"
	}
	return ""
}

// privileged says which privileged change a settings submit makes (REQ-STEPUP-002), or "".
func privileged(s submitted) string {
	switch s.method {
	case "password", "totp", "webauthn", "lookup_secret":
		return "change its " + s.method
	case "oidc":
		if s.fields["unlink"] != "" {
			return "unlink a provider"
		}
	}
	return ""
}

func sessionKind(s sessionSeen) string {
	if s.recovery {
		return "recovery"
	}
	return cmp.Or(s.aal, "aal1")
}

// identity is the id of the session's identity.
func (s *sessionDoc) identity() string {
	if s.IdentityID == "" && s.Identity != nil {
		return s.Identity.ID
	}
	return s.IdentityID
}

// session is the session an answer carries: its session, or itself (whoami).
func (x *exchange) session() *sessionDoc {
	if x.doc.Session != nil || x.op != "getSession" || !x.ok() {
		return x.doc.Session
	}
	return x.whoami
}

// marks are what history knows of identities: a few words each.
type marks struct{ bounded[[]string] }

func (m *marks) add(id, mark string) {
	if id == "" {
		return
	}
	have, _ := m.get(id)
	if !slices.Contains(have, mark) {
		m.put(id, append(have, mark))
	}
}

func (m *marks) remove(id string, drop ...string) {
	if have, ok := m.get(id); ok {
		m.put(id, slices.DeleteFunc(slices.Clone(have), func(k string) bool { return slices.Contains(drop, k) }))
	}
}

func (m *marks) has(id, mark string) bool {
	have, _ := m.get(id)
	return slices.Contains(have, mark)
}

func hasNonASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// newSessionCookie is the session cookie an answer sets, if any.
func newSessionCookie(h http.Header) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == sessionCookie && c.Value != "" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}
