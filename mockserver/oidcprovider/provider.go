// Package oidcprovider is a small OpenID Connect provider for tests: the "Google" or "GitHub" a
// frontend redirects to when it runs against the mock. It serves discovery, JWKS, an authorize
// page that lists test accounts (and creates them), the token endpoint (authorization code,
// with PKCE when the client sends a challenge) and userinfo. ID tokens are ES256 JWTs signed
// with a key made at start, or derived from a seed so a seeded mock signs the same way every
// run.
//
// It is a real provider as far as a relying party can tell: clients, redirect URIs and client
// secrets are checked, a code is single use and short lived, an unregistered redirect URI is
// refused without redirecting. It is not a secure one (anyone can pick any account on its
// page), so it only ever serves test accounts.
package oidcprovider

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Client is a relying party registered with the provider.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string
}

// Config configures a provider.
type Config struct {
	// Issuer is the provider's absolute URL, where it is served: the issuer of its tokens and
	// the base of its endpoints (e.g. http://127.0.0.1:4433/_mock/oidc/google).
	Issuer string
	// Name is shown on the authorize page ("Google").
	Name    string
	Clients []Client
	// Key signs ID tokens; nil makes one from Random.
	Key *ecdsa.PrivateKey
	// Random fills bytes: crypto/rand by default, a seeded source for reproducible runs.
	Random func([]byte)
	// Now is the provider's clock (time.Now by default).
	Now func() time.Time
	// Store keeps its codes, tokens and accounts: NewMemoryStore(Now) by default.
	Store Store
}

// Lifetimes of what the provider issues, and how many codes and tokens may be outstanding
// (anyone can ask for codes; beyond the bound the provider answers temporarily_unavailable).
const (
	CodeLifetime   = time.Minute
	TokenLifetime  = time.Hour
	MaxOutstanding = 100_000
)

// Provider is one OpenID provider. It is an http.Handler serving its endpoints below the
// issuer's path; it is safe for concurrent use.
type Provider struct {
	cfg      Config
	base     string // the issuer's path, without a trailing slash
	signer   jose.Signer
	jwks     jose.JSONWebKeySet
	Accounts *Accounts

	store Store
}

// New makes a provider.
func New(cfg Config) (*Provider, error) {
	u, err := url.Parse(cfg.Issuer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("oidcprovider: issuer %q is not an absolute URL", cfg.Issuer)
	}
	if cfg.Random == nil {
		cfg.Random = randomBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore(cfg.Now)
	}
	if cfg.Name == "" {
		cfg.Name = "Test provider"
	}
	if cfg.Key == nil {
		if cfg.Key, err = KeyFrom(cfg.Random); err != nil {
			return nil, err
		}
	}
	kid := thumbprint(&cfg.Key.PublicKey)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: cfg.Key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("oidcprovider: signer: %w", err)
	}
	p := &Provider{
		cfg: cfg, base: strings.TrimRight(u.Path, "/"), signer: signer,
		jwks:     jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &cfg.Key.PublicKey, KeyID: kid, Algorithm: string(jose.ES256), Use: "sig"}}},
		Accounts: &Accounts{random: cfg.Random, store: cfg.Store},
		store:    cfg.Store,
	}
	return p, nil
}

// KeyFrom derives a P-256 signing key from random bytes (a seeded source gives the same key
// every run).
func KeyFrom(random func([]byte)) (*ecdsa.PrivateKey, error) {
	b := make([]byte, 32)
	for range 16 { // a scalar outside [1, N-1] is refused; that is rare enough
		random(b)
		if k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("oidcprovider: could not derive a signing key")
}

func thumbprint(pub *ecdsa.PublicKey) string {
	t, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "key-1"
	}
	return base64.RawURLEncoding.EncodeToString(t)
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// ServeHTTP serves the provider's endpoints.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, p.base)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	switch {
	case path == "/.well-known/openid-configuration" && r.Method == http.MethodGet:
		p.discovery(w)
	case path == "/jwks" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, p.jwks)
	case path == "/authorize" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		p.authorize(w, r)
	case path == "/token" && r.Method == http.MethodPost:
		p.token(w, r)
	case path == "/userinfo" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		p.userinfo(w, r)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	}
}

func (p *Provider) discovery(w http.ResponseWriter) {
	iss := p.cfg.Issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"userinfo_endpoint":                     iss + "/userinfo",
		"jwks_uri":                              iss + "/jwks",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{string(jose.ES256)},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"},
	})
}

// client finds a registered client and checks the redirect URI is one of its own, exactly.
func (p *Provider) client(id, redirectURI string) (Client, bool) {
	for _, c := range p.cfg.Clients {
		if c.ID == id {
			return c, redirectURI == "" || slices.Contains(c.RedirectURIs, redirectURI)
		}
	}
	return Client{}, false
}

// issue makes a single-use code for an authorization of account; ErrFull when too many are
// outstanding.
func (p *Provider) issue(ctx context.Context, req authRequest, account Account) (string, error) {
	code := p.token32()
	hostile, err := p.Accounts.takeHostile(ctx, req.realm)
	if err != nil {
		return "", err
	}
	if hostile {
		req.nonce = "not-" + req.nonce
	}
	return code, p.store.PutGrant(ctx, KindCode, code, Grant{Client: req.clientID, RedirectURI: req.redirectURI, Nonce: req.nonce,
		Challenge: req.challenge, Account: account, Expires: p.cfg.Now().Add(CodeLifetime)})
}

func (p *Provider) token32() string {
	b := make([]byte, 32)
	p.cfg.Random(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pkceMatches checks an RFC 7636 S256 verifier against the challenge.
func pkceMatches(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(challenge)) == 1
}

// limitedForm parses at most 64 KiB of a form body.
func limitedForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	return r.ParseForm()
}
