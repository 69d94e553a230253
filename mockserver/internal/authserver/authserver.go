// Package authserver is the mock as an OAuth 2.1 / OpenID Connect authorization server: "Sign in
// with Avnology" for third-party apps (openapi/avnology-id-oauth2.yaml, REQ-OAUTH-*). An
// authorization sends the browser to the login UI with a login challenge; the login or
// registration flow made with it signs the person in and hands a login verifier back; the
// verifier brings the authorization to consent (skipped for first-party apps) and back to the
// app with a code, which the token endpoint exchanges, with the PKCE verifier, for RS256
// tokens a relying party verifies with the JWKS.
//
// What it remembers — challenges, verifiers, codes, refresh tokens — lives in a key-value
// store (in the process, or in Redis for replicas), under unguessable keys that name their
// tenant, so an app's backend redeems a code without knowing the mock's tenants.
package authserver

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// Client is an app registered to sign people in with their account.
type Client struct {
	ID           string   `json:"client_id"`
	Name         string   `json:"client_name"`
	URI          string   `json:"client_uri,omitempty"`
	Secret       string   `json:"client_secret,omitempty"` // confidential clients only; public ones rely on PKCE alone
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"` // what it may ask for
	FirstParty   bool     `json:"first_party"`
}

// Lifetimes (REQ-OAUTH-006, -007).
const (
	ChallengeLifetime = 30 * time.Minute // a login or consent challenge: as long as a flow
	CodeLifetime      = time.Minute
	AccessLifetime    = 15 * time.Minute // expires_in: 900, as documented
	RefreshLifetime   = 30 * 24 * time.Hour
	// MaxClients bounds the clients a tenant may register through the control plane.
	MaxClients = 100
)

// Config configures the server.
type Config struct {
	// Issuer is the deployment's base URL: the tokens' iss and the discovery document's.
	Issuer string
	// UIURL is where the login and consent pages are: <UIURL>/login, <UIURL>/consent.
	UIURL string
	// Clients are registered in every tenant (the fixtures').
	Clients []Client
	// Store keeps what the server remembers; records carry their own expiry by tenant time.
	Store oidcprovider.Store
	// Key returns the RSA key that signs tokens, the same on every replica.
	Key func(ctx context.Context) (*Signer, error)
	// VerifyPKCE is false only for the pkce-not-verified deviation.
	VerifyPKCE bool
}

// Server is the authorization server. Its HTTP side is in handler.go; the flows call
// Requires and SignedIn.
type Server struct {
	cfg Config
}

// New returns a server.
func New(cfg Config) *Server { return &Server{cfg: cfg} }

// authorization is one app's request to sign a person in, from /oauth2/auth until its code.
type authorization struct {
	Tenant      string   `json:"tenant"`
	ClientID    string   `json:"client_id"`
	RedirectURI string   `json:"redirect_uri"`
	Scope       []string `json:"scope"`
	State       string   `json:"state,omitempty"`
	Nonce       string   `json:"nonce,omitempty"`
	Challenge   string   `json:"code_challenge"`
	Prompt      string   `json:"prompt,omitempty"`
	MaxAge      *int64   `json:"max_age,omitempty"`
	ACR         string   `json:"acr,omitempty"`
	LoginHint   string   `json:"login_hint,omitempty"`
	OrgID       string   `json:"organization_id,omitempty"`
	Expires     time.Time
	// Who signed in for it, once someone did.
	IdentityID string    `json:"identity_id,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	AuthTime   time.Time `json:"auth_time"`
	AAL        string    `json:"aal,omitempty"`
	AMR        []string  `json:"amr,omitempty"`
	// Granted is the scope consented to.
	Granted []string `json:"granted,omitempty"`
}

// refreshGrant is what a refresh token stands for.
type refreshGrant struct {
	Tenant     string    `json:"tenant"`
	ClientID   string    `json:"client_id"`
	IdentityID string    `json:"identity_id"`
	Scope      []string  `json:"scope"`
	Family     string    `json:"family"`
	AuthTime   time.Time `json:"auth_time"`
	AAL        string    `json:"aal,omitempty"`
	AMR        []string  `json:"amr,omitempty"`
	OrgID      string    `json:"organization_id,omitempty"`
	Expires    time.Time `json:"expires"`
}

// Kinds of record, each a key space of the store.
const (
	kindLogin    = "oauth2-login"    // login challenge → authorization
	kindVerifier = "oauth2-verifier" // login verifier → authorization, signed in
	kindConsent  = "oauth2-consent"  // consent challenge → authorization, signed in
	kindCode     = "oauth2-code"     // code → authorization, consented
	kindSpent    = "oauth2-spent"    // a redeemed code → the refresh family it started
	kindRefresh  = "oauth2-refresh"  // refresh token → refreshGrant
	kindRotated  = "oauth2-rotated"  // a refresh token already rotated → its family
	kindFamily   = "oauth2-family"   // family → revoked or not
	kindClients  = "oauth2-clients"  // tenant → clients registered through the control plane
)

var errNotFound = errors.New("authserver: not found")

// ErrTooManyClients is Register's answer past MaxClients.
var ErrTooManyClients = fmt.Errorf("a tenant registers at most %d clients", MaxClients)

// put keeps v under kind/key until expires (tenant time); the store sweeps by its own clock,
// so it is told the same span from now.
func (s *Server) put(ctx context.Context, kind, key string, v any, now, expires time.Time) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.cfg.Store.PutGrant(ctx, kind, key, oidcprovider.Grant{Data: data, Expires: time.Now().Add(expires.Sub(now))})
}

// get reads kind/key into v; take reads it and forgets it (single use).
func (s *Server) get(ctx context.Context, kind, key string, v any) error {
	g, ok, err := s.cfg.Store.Grant(ctx, kind, key)
	return decode(g, ok, err, v)
}

func (s *Server) take(ctx context.Context, kind, key string, v any) error {
	g, ok, err := s.cfg.Store.TakeGrant(ctx, kind, key)
	return decode(g, ok, err, v)
}

func decode(g oidcprovider.Grant, ok bool, err error, v any) error {
	switch {
	case err != nil:
		return err
	case !ok || len(g.Data) == 0:
		return errNotFound
	}
	return json.Unmarshal(g.Data, v)
}

// token makes an unguessable key with a prefix.
func token(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// Clients returns the clients of a tenant: the registered ones, then the fixtures' they do
// not replace.
func (s *Server) Clients(ctx context.Context, tenant string) ([]Client, error) {
	var own []Client
	if err := s.get(ctx, kindClients, tenant, &own); err != nil && !errors.Is(err, errNotFound) {
		return nil, err
	}
	for _, c := range s.cfg.Clients {
		if !slices.ContainsFunc(own, func(o Client) bool { return o.ID == c.ID }) {
			own = append(own, c)
		}
	}
	return own, nil
}

// Register adds or replaces a client of a tenant (the control plane).
func (s *Server) Register(ctx context.Context, tenant string, c Client) error {
	if err := c.check(); err != nil {
		return err
	}
	var own []Client
	if err := s.get(ctx, kindClients, tenant, &own); err != nil && !errors.Is(err, errNotFound) {
		return err
	}
	own = slices.DeleteFunc(own, func(o Client) bool { return o.ID == c.ID })
	if len(own) >= MaxClients {
		return ErrTooManyClients
	}
	own = append(own, c)
	now := time.Now()
	return s.put(ctx, kindClients, tenant, own, now, now.Add(RefreshLifetime))
}

// Forget drops a tenant's registered clients (a reset tenant).
func (s *Server) Forget(ctx context.Context, tenant string) error {
	_, _, err := s.cfg.Store.TakeGrant(ctx, kindClients, tenant)
	return err
}

// ErrInvalidClient describes a client that cannot be registered.
type ErrInvalidClient struct{ Field, Reason string }

func (e *ErrInvalidClient) Error() string { return e.Field + ": " + e.Reason }

func (c Client) check() error {
	switch {
	case !strings.HasPrefix(c.ID, "cli_") || len(c.ID) > 64:
		return &ErrInvalidClient{"client_id", "must start with cli_ and be at most 64 characters"}
	case len(c.RedirectURIs) == 0 || len(c.RedirectURIs) > 20:
		return &ErrInvalidClient{"redirect_uris", "one to twenty absolute URIs"}
	}
	for _, u := range c.RedirectURIs {
		if !absolute(u) {
			return &ErrInvalidClient{"redirect_uris", u + " is not an absolute URI without a fragment"}
		}
	}
	return nil
}

// client finds a tenant's client.
func (s *Server) client(ctx context.Context, tenant, id string) (Client, bool, error) {
	all, err := s.Clients(ctx, tenant)
	if err != nil {
		return Client{}, false, err
	}
	i := slices.IndexFunc(all, func(c Client) bool { return c.ID == id })
	if i < 0 {
		return Client{}, false, nil
	}
	return all[i], true, nil
}

// Scopes the server knows.
var knownScopes = []string{"openid", "profile", "email", "offline_access"}
