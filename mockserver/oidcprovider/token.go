package oidcprovider

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// tokenError is an RFC 6749 §5.2 error answer.
func tokenError(w http.ResponseWriter, status int, code, description string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="token"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// token exchanges an authorization code for an access token and an ID token.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := limitedForm(w, r); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "the form could not be read")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	client, known := p.client(id, "")
	if !known || subtle.ConstantTimeCompare([]byte(client.Secret), []byte(secret)) != 1 {
		tokenError(w, http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
		return
	}
	g, found, err := p.store.TakeGrant(r.Context(), KindCode, f.Get("code")) // single use, even when this exchange fails
	if err != nil {
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "the provider's store is unavailable")
		return
	}
	switch {
	case !found || g.Client != client.ID || !p.cfg.Now().Before(g.Expires):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, expired, used or not this client's")
		return
	case f.Get("redirect_uri") != g.RedirectURI:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case g.Challenge != "" && !pkceMatches(g.Challenge, f.Get("code_verifier")):
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the code_verifier does not match the code_challenge")
		return
	}
	now := p.cfg.Now()
	idToken, err := p.idToken(g, now)
	if err != nil {
		tokenError(w, http.StatusInternalServerError, "server_error", "the ID token could not be signed")
		return
	}
	access := p.token32()
	if err := p.store.PutGrant(r.Context(), KindToken, access, Grant{Client: g.Client, Account: g.Account, Expires: now.Add(TokenLifetime)}); err != nil {
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "too many tokens outstanding, or the provider's store is unavailable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(TokenLifetime / time.Second),
		"id_token": idToken, "scope": "openid email profile",
	})
}

// idToken signs the ID token of a grant (OpenID Connect Core §2).
func (p *Provider) idToken(g Grant, now time.Time) (string, error) {
	claims := struct {
		jwt.Claims
		Nonce         string `json:"nonce,omitempty"`
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name,omitempty"`
		AuthTime      int64  `json:"auth_time"`
	}{
		Claims: jwt.Claims{Issuer: p.cfg.Issuer, Subject: g.Account.Subject, Audience: jwt.Audience{g.Client},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(TokenLifetime))},
		Nonce: g.Nonce, Email: g.Account.Email, EmailVerified: g.Account.EmailVerified, Name: g.Account.Name,
		AuthTime: now.Unix(),
	}
	return jwt.Signed(p.signer).Claims(claims).Serialize()
}

// userinfo answers the claims of the account an access token was issued for.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	g, ok, err := p.store.Grant(r.Context(), KindToken, strings.TrimSpace(token))
	ok = err == nil && ok && strings.EqualFold(scheme, "Bearer") && p.cfg.Now().Before(g.Expires)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, g.Account)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomBytes(b []byte) { _, _ = rand.Read(b) }
