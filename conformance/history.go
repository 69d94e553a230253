package conformance

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// history is what a watcher remembers of the flows, sessions and identities it saw, to judge
// an exchange by the ones before it: what a flow may do next (history_flows.go) and what a
// session may do (history_sessions.go). It keeps each flow's CSRF token and a hash of each
// TOTP code to compare, and never reports either. It is bounded: past maxRemembered entries of
// a kind the oldest are forgotten, and what it forgot it does not judge.
type history struct {
	mu sync.Mutex
	// allowsOrigin says whether the deployment lets an origin read answers with credentials;
	// nil when not told, and then CORS is not judged.
	allowsOrigin func(origin string) bool

	flows      bounded[flowSeen]
	returnTos  bounded[struct{}]    // every return_to a flow was made with
	refused    map[string][]string  // what a wrong-credentials answer looks like, per language
	sessions   bounded[sessionSeen] // by the token or cookie that presents them
	revoked    bounded[struct{}]    // session tokens (bearer or cookie) logged out
	totpUsed   bounded[time.Time]   // identity and TOTP code hash: when it signed in
	codesLeft  bounded[float64]     // who: the wrong second-factor codes they have left
	identities marks                // what was seen of an identity, by id: the marks below
	challenges bounded[string]      // an authorization\'s state: its PKCE challenge
	codes      bounded[string]      // a code\'s hash: its authorization\'s PKCE challenge, or redeemed
}

const maxRemembered = 100_000

// sessionCookie is the cookie a browser presents its session in.
const sessionCookie = "avnl_session"

// What history marks an identity with.
const (
	signedUpWithPassword = "password"      // it signed up with a password
	linkedProvider       = "linked"        // it linked a social provider
	hasSecondFactor      = "second-factor" // it was seen at aal2, or enrolled one
	hasLookupCodes       = "lookup-codes"  // it has lookup codes, which a change replaces
)

// exchange is one request and its answer, as history reads it: the body parsed once.
type exchange struct {
	op      string
	req     *http.Request
	status  int
	header  http.Header
	sent    submitted
	doc     answer
	parsed  bool        // the answer's body is JSON
	whoami  *sessionDoc // the answer of getSession
	cred    string
	flowID  string
	kind    string
	submit  bool
	settled time.Time // the server's time: its Date header, else ours
}

func (x *exchange) ok() bool { return x.status >= 200 && x.status < 300 }

// accepted is true of an answer that took the request: 2xx, or a browser's 303.
func (x *exchange) accepted() bool { return x.ok() || x.status == http.StatusSeeOther }

// answer is what history reads of a response body.
type answer struct {
	flowJSON
	ContinueFlow *flowJSON   `json:"continue_flow"`
	Session      *sessionDoc `json:"session"`
	SessionToken string      `json:"session_token"`
	Redirect     *struct {
		URL string `json:"url"`
	} `json:"redirect"`
	Error *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

type flowJSON struct {
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	State        string    `json:"state"`
	ExpiresAt    time.Time `json:"expires_at"`
	ReturnTo     string    `json:"return_to"`
	RequestedAAL string    `json:"requested_aal"`
	UI           struct {
		Messages []struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"messages"`
		Nodes []struct {
			Attributes struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"attributes"`
		} `json:"nodes"`
	} `json:"ui"`
}

type sessionDoc struct {
	ID              string    `json:"id"`
	Token           string    `json:"token"`
	AAL             string    `json:"authenticator_assurance_level"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	IdentityID      string    `json:"identity_id"`
	Identity        *struct {
		ID       string `json:"id"`
		Email    string `json:"email"`
		Username string `json:"username"`
		Phone    string `json:"phone"`
	} `json:"identity"`
}

// submitted is what a submit sent: its method and its fields, from JSON or a form. Values are
// kept as text; true for a JSON true.
type submitted struct {
	method string
	fields map[string]string
}

// judge checks an exchange of operation against what came before, and remembers it.
func (h *history) judge(op string, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) []string {
	x := &exchange{op: op, req: req, status: status, header: header, cred: credentialOf(req), settled: serverTime(header)}
	x.kind, x.flowID, x.submit = flowOfPath(req.URL.Path)
	x.sent = submittedOf(reqBody)
	if op == "getSession" { // the answer is the session itself
		x.whoami = &sessionDoc{}
		x.parsed = json.Unmarshal(body, x.whoami) == nil
	} else {
		x.parsed = json.Unmarshal(body, &x.doc) == nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.cors(x)
	if op == "" || header.Get("X-Mock-Forced") != "" { // a mock's rehearsed error shows no behaviour
		return out
	}
	out = append(out, h.judgeFlow(x)...)
	out = append(out, h.judgeSession(x)...)
	out = append(out, h.judgeOAuth(x)...)
	h.rememberFlows(x)
	h.rememberSession(x)
	return out
}

// serverTime is the time an answer was given by the server's clock: its Date header (to the
// second), else now.
func serverTime(header http.Header) time.Time {
	if t, err := http.ParseTime(header.Get("Date")); err == nil {
		return t
	}
	return time.Now()
}

// clockSlack absorbs a Date header's truncation to the second and the time between deciding
// and answering.
const clockSlack = 2 * time.Second

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

// submittedOf reads a submit's body: {"method", "body": {...}} as JSON, or a form.
func submittedOf(body []byte) submitted {
	s := submitted{fields: map[string]string{}}
	var doc struct {
		Method string         `json:"method"`
		Body   map[string]any `json:"body"`
	}
	if json.Unmarshal(body, &doc) == nil {
		s.method = doc.Method
		for k, v := range doc.Body {
			switch v := v.(type) {
			case string:
				s.fields[k] = v
			case bool:
				if v {
					s.fields[k] = "true"
				}
			}
		}
		return s
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return s
	}
	s.method = form.Get("method")
	for k := range form {
		if k != "method" {
			s.fields[k] = form.Get(k)
		}
	}
	return s
}

// credentialOf is the session a request presents: its bearer token, else its session cookie.
func credentialOf(r *http.Request) string {
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(token)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
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

// forget drops k; its place in the order is reclaimed when it comes up.
func (b *bounded[V]) forget(k string) { delete(b.m, k) }
