package oidcprovider

import (
	"html/template"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// authRequest is an authorization request (OpenID Connect Core §3.1.2.1), plus realm: the
// mock's tenant, whose accounts the page lists (an extension a real provider ignores).
type authRequest struct {
	responseType, clientID, redirectURI, scope, state, nonce string
	challenge, challengeMethod, loginHint, realm             string
}

func authRequestOf(v url.Values) authRequest {
	return authRequest{
		responseType: v.Get("response_type"), clientID: v.Get("client_id"), redirectURI: v.Get("redirect_uri"),
		scope: v.Get("scope"), state: v.Get("state"), nonce: v.Get("nonce"),
		challenge: v.Get("code_challenge"), challengeMethod: v.Get("code_challenge_method"),
		loginHint: v.Get("login_hint"), realm: v.Get("realm"),
	}
}

// params are the request's parameters, for the page's forms to carry on.
func (a authRequest) params() map[string]string {
	return map[string]string{
		"response_type": a.responseType, "client_id": a.clientID, "redirect_uri": a.redirectURI, "scope": a.scope,
		"state": a.state, "nonce": a.nonce, "code_challenge": a.challenge, "code_challenge_method": a.challengeMethod,
		"realm": a.realm,
	}
}

// authorize is the authorize endpoint: GET from the relying party's redirect, POST from the
// page's own forms. A request whose client or redirect URI is not registered is answered here,
// never redirected (RFC 6749 §4.1.2.1); the other errors go back to the client.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	if err := limitedForm(w, r); err != nil {
		p.page(w, http.StatusBadRequest, pageData{Error: "The request could not be read."})
		return
	}
	req := authRequestOf(r.Form)
	if _, ok := p.client(req.clientID, req.redirectURI); !ok || req.redirectURI == "" {
		p.page(w, http.StatusBadRequest, pageData{Error: "Unknown client, or a redirect_uri it has not registered. Nothing was sent back."})
		return
	}
	switch {
	case req.responseType != "code":
		p.back(w, r, req, url.Values{"error": {"unsupported_response_type"}})
		return
	case !slices.Contains(strings.Fields(req.scope), "openid"):
		p.back(w, r, req, url.Values{"error": {"invalid_scope"}, "error_description": {"the openid scope is required"}})
		return
	case req.challenge != "" && req.challengeMethod != "S256":
		p.back(w, r, req, url.Values{"error": {"invalid_request"}, "error_description": {"code_challenge_method must be S256"}})
		return
	}
	if r.Method == http.MethodPost {
		p.decide(w, r, req)
		return
	}
	ctx := r.Context()
	realm, err := p.store.ViewRealm(ctx, req.realm)
	if err != nil {
		p.unavailable(w, r, req)
		return
	}
	if realm.Selected != "" {
		acc, ok, err := p.Accounts.takeSelected(ctx, req.realm)
		if err != nil {
			p.unavailable(w, r, req)
			return
		}
		if ok {
			p.grant(w, r, req, acc)
			return
		}
	}
	if acc, ok := find(realm, req.loginHint); ok && req.loginHint != "" {
		p.grant(w, r, req, acc)
		return
	}
	p.page(w, http.StatusOK, pageData{Request: req.params(), Accounts: realm.Accounts, Hint: req.loginHint})
}

// unavailable sends the browser back to the client: the provider's store did not answer.
func (p *Provider) unavailable(w http.ResponseWriter, r *http.Request, req authRequest) {
	p.back(w, r, req, url.Values{"error": {"temporarily_unavailable"}, "error_description": {"the provider's store is unavailable"}})
}

// decide carries out what the person chose on the page: an account, a new account, or no.
func (p *Provider) decide(w http.ResponseWriter, r *http.Request, req authRequest) {
	switch r.PostForm.Get("action") {
	case "deny":
		p.back(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"the person declined"}})
	case "create":
		email := strings.TrimSpace(r.PostForm.Get("email"))
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
			accounts, _ := p.Accounts.List(r.Context(), req.realm) // the page shows what it can
			p.page(w, http.StatusBadRequest, pageData{Request: req.params(), Accounts: accounts, Error: "Enter a valid email address."})
			return
		}
		name := strings.TrimSpace(r.PostForm.Get("name"))
		if len(name) > 200 {
			name = name[:200]
		}
		acc, err := p.Accounts.Add(r.Context(), req.realm, Account{Email: email, Name: name, EmailVerified: r.PostForm.Get("email_verified") != ""})
		if err != nil {
			p.unavailable(w, r, req)
			return
		}
		p.grant(w, r, req, acc)
	default:
		realm, err := p.store.ViewRealm(r.Context(), req.realm)
		if err != nil {
			p.unavailable(w, r, req)
			return
		}
		acc, ok := find(realm, r.PostForm.Get("subject"))
		if !ok {
			p.page(w, http.StatusBadRequest, pageData{Request: req.params(), Accounts: realm.Accounts, Error: "No such account."})
			return
		}
		p.grant(w, r, req, acc)
	}
}

// grant sends the browser back to the client with a code for acc.
func (p *Provider) grant(w http.ResponseWriter, r *http.Request, req authRequest, acc Account) {
	code, err := p.issue(r.Context(), req, acc)
	if err != nil {
		p.back(w, r, req, url.Values{"error": {"temporarily_unavailable"}, "error_description": {"too many authorizations in progress, or the provider's store is unavailable"}})
		return
	}
	p.back(w, r, req, url.Values{"code": {code}})
}

// back redirects to the client's registered redirect URI with params and the request's state.
func (p *Provider) back(w http.ResponseWriter, r *http.Request, req authRequest, params url.Values) {
	u, err := url.Parse(req.redirectURI)
	if err != nil {
		p.page(w, http.StatusBadRequest, pageData{Error: "The redirect_uri is not a URL."})
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	u.RawQuery = q.Encode()
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, u.String(), status)
}

type pageData struct {
	Name     string
	Request  map[string]string
	Accounts []Account
	Hint     string
	Error    string
}

func (p *Provider) page(w http.ResponseWriter, status int, d pageData) {
	d.Name = p.cfg.Name
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	_ = authorizePage.Execute(w, d)
}

var authorizePage = template.Must(template.New("authorize").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with {{.Name}} (test provider)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1rem;margin:.25rem 0;width:100%;text-align:left;cursor:pointer}
input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.2rem 0}
.error{color:#b00020}.muted{color:#666;font-size:.9em}fieldset{border:1px solid #ddd;margin:1rem 0}</style>
</head><body>
<h1>Sign in with {{.Name}}</h1>
<p class="muted">idflows test provider: every account here is a test account.</p>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Request}}
<form method="post">
{{range $k, $v := .Request}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<fieldset><legend>Choose an account</legend>
{{range .Accounts}}<button name="subject" value="{{.Subject}}" data-email="{{.Email}}">{{if .Name}}{{.Name}} · {{end}}{{.Email}}{{if not .EmailVerified}} (unverified){{end}}</button>
{{else}}<p class="muted">No test accounts yet.</p>{{end}}
</fieldset></form>
<form method="post">
{{range $k, $v := .Request}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<fieldset><legend>Create a test account</legend>
<label>Email <input type="email" name="email" required value="{{.Hint}}"></label>
<label>Name <input type="text" name="name"></label>
<label><input type="checkbox" name="email_verified" value="true" checked style="width:auto"> Email verified</label>
<button name="action" value="create">Create and continue</button>
</fieldset></form>
<form method="post">
{{range $k, $v := .Request}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button name="action" value="deny">Cancel (deny access)</button>
</form>
{{end}}
</body></html>
`))
