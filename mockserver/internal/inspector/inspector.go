// Package inspector is the control plane in a browser, at /_mock/: the tenant's identities (with
// their credentials and MFA), sessions, flows and their states, the outbox with its codes and
// links, the journal, the clock with buttons to move it, the armed faults, and a tenant
// selector. It reads through the control API in process, as any client would, so it shows
// exactly what a test sees, and it is guarded as the rest of the control plane is (D13).
package inspector

import (
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

//go:embed assets
var assets embed.FS

var page = template.Must(template.New("inspector.html").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
	"str": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
	"mfa": func(creds []control.IdentitySummaryCredentials) bool {
		for _, c := range creds {
			if c == "totp" || c == "lookup_secret" || c == "webauthn" {
				return true
			}
		}
		return false
	},
}).ParseFS(assets, "assets/inspector.html"))

// static are the stylesheet and the script.
var static, _ = fs.Sub(assets, "assets/static")

// Prefix is where the inspector is: the control plane's root.
const Prefix = "/_mock/"

// Inspector serves the page and its assets.
type Inspector struct {
	// API answers method path in process, as the network would answer the browser of the
	// request given (its control token and tenant go with it).
	API func(from *http.Request, method, path string) (status int, header http.Header, body []byte)
}

// Serves reports whether path is the inspector's.
func Serves(path string) bool {
	return path == Prefix || strings.HasPrefix(path, Prefix+"inspector/")
}

// ServeHTTP serves GET /_mock/ (?tenant=NAME switches tenant) and the assets.
func (in *Inspector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if name, ok := strings.CutPrefix(r.URL.Path, Prefix+"inspector/"); ok {
		http.ServeFileFS(w, r, static, name)
		return
	}
	if t, ok := r.URL.Query()["tenant"]; ok && tenant.ValidName(t[0]) {
		// The browser's requests — these pages, the account pages, a page's fetches — act on it.
		http.SetCookie(w, &http.Cookie{Name: tenant.Cookie, Value: t[0], Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		http.Redirect(w, r, Prefix, http.StatusSeeOther)
		return
	}
	current := tenant.Default
	if ck, err := r.Cookie(tenant.Cookie); err == nil && ck.Value != "" {
		current = ck.Value
	}
	data := struct {
		Tenant     string
		Tenants    control.TenantList
		Clock      control.Clock
		Identities control.IdentityList
		Sessions   control.SessionList
		Flows      control.FlowList
		Outbox     control.Outbox
		Faults     control.FaultList
		Journal    control.Journal
		Problems   []string
	}{Tenant: current}
	for path, out := range map[string]any{
		"/_mock/tenants": &data.Tenants, "/_mock/clock": &data.Clock, "/_mock/identities": &data.Identities,
		"/_mock/sessions?limit=50": &data.Sessions, "/_mock/flows?limit=50": &data.Flows, "/_mock/outbox?limit=50": &data.Outbox,
		"/_mock/faults": &data.Faults, "/_mock/journal?limit=50": &data.Journal,
	} {
		if problem := in.read(r, path, out); problem != "" {
			data.Problems = append(data.Problems, problem)
		}
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_ = page.Execute(w, data)
}

// read GETs a control path on the browser's behalf, and says what went wrong, if anything.
func (in *Inspector) read(r *http.Request, path string, out any) string {
	status, _, body := in.API(r, http.MethodGet, path)
	if status != http.StatusOK {
		var doc struct{ Error struct{ Message string } }
		_ = json.Unmarshal(body, &doc)
		u, _ := url.Parse(path)
		return u.Path + ": " + doc.Error.Message
	}
	if err := json.Unmarshal(body, out); err != nil {
		return path + ": " + err.Error()
	}
	return ""
}
