package mockserver

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/inspector"
)

// publicControl are the /_mock/ paths anyone may read: they reveal no state, and the WebAuthn
// script is loaded by the pages of any frontend.
var publicControl = map[string]bool{"/_mock/health": true, "/_mock/ready": true, "/_mock/webauthn.js": true}

// guardControl keeps the control plane for tests (REQ-CTL-001, REQ-CTL-002): it may be switched
// off, it answers only Host names that are the mock's own, it may need a token, and calls that
// change state need a JSON content type, which no cross-site form or "simple" request can send.
func (s *Server) guardControl(next http.Handler) http.Handler {
	hosts := map[string]bool{}
	for _, h := range s.cfg.Control.Hosts {
		hosts[strings.ToLower(h)] = true
	}
	if u, err := url.Parse(s.cfg.BaseURL); err == nil {
		hosts[strings.ToLower(u.Host)] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/_mock/") || publicControl[r.URL.Path] {
			next.ServeHTTP(w, r)
			return
		}
		if s.inspectorSignIn(w, r, hosts) {
			return
		}
		if e := s.controlRefusal(r, hosts); e != nil {
			s.writeError(w, r, e)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// controlCookie carries the control token for a browser, which cannot send X-Mock-Token when it
// navigates: /_mock/?token=T sets it (HttpOnly, SameSite=Strict, so no other site's request
// carries it) and sends the browser on to the inspector without the token in its address.
const controlCookie = "idflows_control"

func (s *Server) inspectorSignIn(w http.ResponseWriter, r *http.Request, hosts map[string]bool) bool {
	token := r.URL.Query().Get("token")
	if r.URL.Path != inspector.Prefix || r.Method != http.MethodGet || token == "" || s.cfg.Control.Token == "" ||
		s.cfg.Control.Disabled || (!hosts[strings.ToLower(r.Host)] && !origins.LoopbackHost(r.Host)) {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Control.Token)) != 1 {
		return false // refused below, as a wrong header is
	}
	http.SetCookie(w, &http.Cookie{Name: controlCookie, Value: token, Path: "/_mock/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.cfg.SecureCookies})
	http.Redirect(w, r, inspector.Prefix, http.StatusSeeOther)
	return true
}

func (s *Server) controlRefusal(r *http.Request, hosts map[string]bool) *apierr.Error {
	ctl := s.cfg.Control
	switch {
	case ctl.Disabled:
		return apierr.NotFoundError()
	case !hosts[strings.ToLower(r.Host)] && !origins.LoopbackHost(r.Host):
		return apierr.New(apierr.InsufficientPermissions, "The control plane does not answer this Host.")
	}
	if ctl.Token != "" {
		got := r.Header.Get("X-Mock-Token")
		if ck, err := r.Cookie(controlCookie); got == "" && err == nil {
			got = ck.Value
		}
		if got == "" {
			return apierr.New(apierr.SessionInvalid, "The control plane needs the X-Mock-Token header.")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(ctl.Token)) != 1 {
			return apierr.New(apierr.InsufficientPermissions, "The X-Mock-Token header is wrong.")
		}
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions && !jsonContentType(r) {
		return apierr.UnsupportedMediaType("Control-plane calls that change state need Content-Type: application/json.")
	}
	return nil
}
