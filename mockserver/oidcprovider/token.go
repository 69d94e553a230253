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
	p.mu.Lock()
	g, found := p.codes[f.Get("code")]
	ok := found && !g.used && g.client == client.ID && p.cfg.Now().Before(g.expires)
	if found {
		g.used = true // single use, even when this exchange fails
	}
	p.mu.Unlock()
	switch {
	case !ok:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, expired, used or not this client's")
		return
	case f.Get("redirect_uri") != g.redirectURI:
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri differs from the authorization request's")
		return
	case g.challenge != "" && !pkceMatches(g.challenge, f.Get("code_verifier")):
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
	p.mu.Lock()
	full := len(p.tokens) >= MaxOutstanding
	if !full {
		p.tokens[access] = &grant{client: g.client, account: g.account, expires: now.Add(TokenLifetime)}
	}
	p.mu.Unlock()
	if full {
		tokenError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "too many tokens outstanding")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": int(TokenLifetime / time.Second),
		"id_token": idToken, "scope": "openid email profile",
	})
}

// idToken signs the ID token of a grant (OpenID Connect Core §2).
func (p *Provider) idToken(g *grant, now time.Time) (string, error) {
	claims := struct {
		jwt.Claims
		Nonce         string `json:"nonce,omitempty"`
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name,omitempty"`
		AuthTime      int64  `json:"auth_time"`
	}{
		Claims: jwt.Claims{Issuer: p.cfg.Issuer, Subject: g.account.Subject, Audience: jwt.Audience{g.client},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(TokenLifetime))},
		Nonce: g.nonce, Email: g.account.Email, EmailVerified: g.account.EmailVerified, Name: g.account.Name,
		AuthTime: now.Unix(),
	}
	return jwt.Signed(p.signer).Claims(claims).Serialize()
}

// userinfo answers the claims of the account an access token was issued for.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	p.mu.Lock()
	g, ok := p.tokens[strings.TrimSpace(token)]
	ok = ok && strings.EqualFold(scheme, "Bearer") && p.cfg.Now().Before(g.expires)
	p.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	writeJSON(w, http.StatusOK, g.account)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func randomBytes(b []byte) { _, _ = rand.Read(b) }
