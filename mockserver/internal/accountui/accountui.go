// Package accountui serves the mock's account pages under /ui/: login, registration, settings,
// recovery and verification, drawn from the flows' UI nodes the way Avnology's docs tell an
// integrator to draw them, with plain HTML forms that post to the flow's ui.action (browser
// mode) and the WebAuthn glue as progressive enhancement. The pages are a client of the API like
// any other: they call it in process, with the browser's cookies, and never reach into state.
// They are the reference rendering a frontend compares its screens with, and where the mock
// sends a browser for a flow's next step (the default --ui-url).
package accountui

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"

	"strings"

	"github.com/avnology/idflows/internal/origins"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{"scopeText": scopeText}).ParseFS(assets, "assets/*.html"))

// scopeText says what a scope lets an app see.
func scopeText(scope string) string {
	switch scope {
	case "openid":
		return "who you are (your account id)"
	case "email":
		return "your email address"
	case "profile":
		return "your name"
	case "offline_access":
		return "your account while you are away (it stays signed in)"
	}
	return scope
}

// static are the stylesheet and the script.
var static, _ = fs.Sub(assets, "assets/static")

// kinds are the flows that have a page.
var kinds = []string{"login", "registration", "settings", "recovery", "verification"}

var titles = map[string]string{
	"login": "Sign in", "registration": "Create an account", "settings": "Account settings",
	"recovery": "Recover your account", "verification": "Verify your email address",
}

// Pages serves the account pages.
type Pages struct {
	// Prefix is where the pages are mounted ("/ui").
	Prefix string
	// BaseURL is the API's public URL: where the flows' actions and scripts are.
	BaseURL string
	// API answers method path in process, as the network would answer the browser of the
	// request given (its cookies and tenant go with it).
	API func(from *http.Request, method, path string) (status int, header http.Header, body []byte)
}

// ServeHTTP routes a page.
func (p *Pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, p.Prefix)
	switch {
	case strings.HasPrefix(rest, "/assets/") && r.Method == http.MethodGet:
		http.ServeFileFS(w, r, static, strings.TrimPrefix(rest, "/assets/"))
	case (rest == "" || rest == "/") && r.Method == http.MethodGet:
		p.home(w, r)
	case rest == "/logout" && r.Method == http.MethodPost:
		p.logout(w, r)
	case rest == "/consent" && r.Method == http.MethodGet:
		p.consent(w, r)
	case isKind(strings.TrimPrefix(rest, "/")) && r.Method == http.MethodGet:
		p.flowPage(w, r, strings.TrimPrefix(rest, "/"))
	default:
		p.problem(w, http.StatusNotFound, "There is no such page.", "")
	}
}

func isKind(s string) bool {
	for _, k := range kinds {
		if k == s {
			return true
		}
	}
	return false
}

// call asks the API on the browser's behalf and passes the cookies it sets back to the browser.
func (p *Pages) call(w http.ResponseWriter, r *http.Request, method, path string) (int, []byte) {
	status, header, body := p.API(r, method, path)
	for _, c := range header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	return status, body
}

// flowPage shows a flow, creating it first when the URL names none.
func (p *Pages) flowPage(w http.ResponseWriter, r *http.Request, kind string) {
	id := r.URL.Query().Get("flow")
	if id == "" {
		p.create(w, r, kind)
		return
	}
	status, body := p.call(w, r, http.MethodGet, "/v1/flows/"+kind+"/"+url.PathEscape(id))
	if status == http.StatusNotFound || status == http.StatusGone || status == http.StatusBadRequest {
		// An expired, forgotten or malformed flow id: start again, as an integrator's page does.
		http.Redirect(w, r, p.Prefix+"/"+kind, http.StatusSeeOther)
		return
	}
	var f flow
	if status != http.StatusOK || json.Unmarshal(body, &f) != nil {
		p.apiProblem(w, status, body)
		return
	}
	p.render(w, "flow", map[string]any{
		"Title": titles[kind], "Kind": kind, "Flow": f, "Forms": forms(f), "Scripts": scripts(f), "Prefix": p.Prefix,
	})
}

// create starts a flow with the page's query (return_to, aal, refresh, login_challenge, …) and
// sends the browser to it.
func (p *Pages) create(w http.ResponseWriter, r *http.Request, kind string) {
	status, body := p.call(w, r, http.MethodGet, "/v1/flows/"+kind+"?"+r.URL.RawQuery)
	var doc struct {
		ID    string `json:"id"`
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(body, &doc)
	back := url.Values{"return_to": {p.BaseURL + p.Prefix + "/" + kind}}
	switch {
	case status == http.StatusOK && doc.ID != "":
		http.Redirect(w, r, p.Prefix+"/"+kind+"?flow="+url.QueryEscape(doc.ID), http.StatusSeeOther)
	case status == http.StatusUnauthorized: // settings without a session: sign in, then come back
		http.Redirect(w, r, p.Prefix+"/login?"+back.Encode(), http.StatusSeeOther)
	case doc.Error.Code == "AVNOLOGY_AUTH_102": // settings need a second factor: step up, then come back
		back.Set("aal", "aal2")
		http.Redirect(w, r, p.Prefix+"/login?"+back.Encode(), http.StatusSeeOther)
	case doc.Error.Code == "AVNOLOGY_AUTH_017": // already signed in
		http.Redirect(w, r, p.Prefix+"/", http.StatusSeeOther)
	default:
		p.apiProblem(w, status, body)
	}
}

// consent asks the signed-in person whether an app may sign them in ("Sign in with Avnology"):
// the buttons post to the API's /oauth2/consent, which sends the browser on.
func (p *Pages) consent(w http.ResponseWriter, r *http.Request) {
	challenge := r.URL.Query().Get("consent_challenge")
	status, body := p.call(w, r, http.MethodGet, "/oauth2/consent?"+url.Values{"consent_challenge": {challenge}}.Encode())
	var c struct {
		ConsentChallenge string `json:"consent_challenge"`
		Client           struct {
			ClientID   string `json:"client_id"`
			ClientName string `json:"client_name"`
		} `json:"client"`
		RequestedScope   []string `json:"requested_scope"`
		Error            string   `json:"error"`
		ErrorDescription string   `json:"error_description"`
	}
	if json.Unmarshal(body, &c) != nil || status != http.StatusOK {
		text := "This request to sign in to an app is unknown, expired or was answered."
		if status == http.StatusUnauthorized {
			text = "Sign in first: only the person who signed in for this app may answer it."
		}
		p.problem(w, status, text, c.Error)
		return
	}
	p.render(w, "consent", map[string]any{"Title": "Allow " + c.Client.ClientName + "?", "Consent": c, "Action": p.BaseURL + "/oauth2/consent", "Prefix": p.Prefix})
}

// home shows who is signed in, and where to go.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	status, body := p.call(w, r, http.MethodGet, "/v1/sessions/whoami")
	var session struct {
		AAL      string `json:"authenticator_assurance_level"`
		Identity struct {
			ID            string         `json:"id"`
			Email         string         `json:"email"`
			EmailVerified bool           `json:"email_verified"`
			Traits        map[string]any `json:"traits"`
		} `json:"identity"`
		Methods []struct {
			Method string `json:"method"`
		} `json:"authentication_methods"`
		ExpiresAt string `json:"expires_at"`
	}
	signedIn := status == http.StatusOK && json.Unmarshal(body, &session) == nil
	p.render(w, "home", map[string]any{"Title": "Your account", "SignedIn": signedIn, "Session": session, "Prefix": p.Prefix})
}

// logout ends the session. Only the pages' own form may ask: a post from another origin is
// refused, so no other site can sign a person out.
func (p *Pages) logout(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && !origins.SameOrigin(r, o) {
		p.problem(w, http.StatusForbidden, "Signing out is only possible from these pages.", "")
		return
	}
	p.call(w, r, http.MethodDelete, "/v1/sessions/whoami")
	http.Redirect(w, r, p.Prefix+"/login", http.StatusSeeOther)
}

// apiProblem shows an error the API answered, in its own words.
func (p *Pages) apiProblem(w http.ResponseWriter, status int, body []byte) {
	var doc struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil || doc.Error.Message == "" {
		doc.Error.Message = "The API answered " + http.StatusText(status) + "."
	}
	if status < 400 {
		status = http.StatusBadGateway
	}
	p.problem(w, status, doc.Error.Message, doc.Error.Code)
}

func (p *Pages) problem(w http.ResponseWriter, status int, text, code string) {
	p.renderStatus(w, status, "problem", map[string]any{"Title": "Something went wrong", "Text": text, "Code": code, "Prefix": p.Prefix})
}

func (p *Pages) render(w http.ResponseWriter, name string, data map[string]any) {
	p.renderStatus(w, http.StatusOK, name, data)
}

func (p *Pages) renderStatus(w http.ResponseWriter, status int, name string, data map[string]any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The pages run only their own script and the API's WebAuthn glue; images may be the data:
	// QR code; no other site may frame them.
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' "+origins.Of(p.BaseURL)+
		"; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}
