// Package social is the mock as the relying party of social providers (D11): the
// authorization-code flow with PKCE, state and nonce, run by x/oauth2 against the provider's
// discovery document and checked by go-oidc, so the built-in test providers and a real one
// (Google, an enterprise IdP) are used the same way.
package social

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is one provider the mock signs people in with.
type Config struct {
	Name                   string // in URLs and in the flow's provider field: google
	Issuer                 string // where its discovery document is
	ClientID, ClientSecret string
	RedirectURL            string // the mock's callback for this provider
	// HTTPClient reaches the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
	// Realm, when set, sends the mock's tenant as the realm parameter of each authorization:
	// the built-in providers keep test accounts per tenant; a real provider ignores it.
	Realm bool
	// Now is the clock ID tokens are checked against (time.Now by default): a built-in
	// provider's, which runs on the mock's clock.
	Now func() time.Time
}

// Provider is a configured provider, discovered on first use.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// New configures a provider; nothing is fetched before Ready.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	return &Provider{cfg: cfg}
}

// InProcess is an HTTP client that serves every request with h, without a network: how the
// mock reaches the providers it serves itself, whatever its public base URL resolves to.
func InProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: handlerTransport{h}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func (p *Provider) context(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, p.cfg.HTTPClient)
}

// Ready fetches the provider's discovery document once (again after a failure). Call it
// outside any lock: a real provider may be slow or away.
func (p *Provider) Ready(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier != nil {
		return nil
	}
	d, err := oidc.NewProvider(p.context(ctx), p.cfg.Issuer)
	if err != nil {
		return fmt.Errorf("social: discovery of %s: %w", p.cfg.Name, err)
	}
	p.oauth = oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: d.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
	p.verifier = d.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256}, Now: p.cfg.Now})
	return nil
}

// ErrNotReady is AuthURL's or Exchange's error before Ready succeeded.
var ErrNotReady = errors.New("social: the provider has not been discovered")

// AuthURL is where a browser goes to sign in: with the state the callback must bring back,
// the nonce the ID token must carry, the S256 challenge of verifier, and the realm.
func (p *Provider) AuthURL(state, nonce, verifier, realm string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verifier == nil {
		return "", ErrNotReady
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if p.cfg.Realm {
		opts = append(opts, oauth2.SetAuthURLParam("realm", realm))
	}
	return p.oauth.AuthCodeURL(state, opts...), nil
}

// Claims are what the mock takes from an ID token.
type Claims struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// Exchange turns the callback's code into the verified claims of its ID token: signature,
// issuer, audience, expiry and — unless checkNonce is false, which only the
// social-nonce-ignored deviation asks — the nonce are checked.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string, checkNonce bool) (Claims, error) {
	// The sign-in may have started in another process (a replica, or this one before a
	// restart), which discovered the provider; this one may not have yet.
	if err := p.Ready(ctx); err != nil {
		return Claims{}, err
	}
	p.mu.Lock()
	cfg, v := p.oauth, p.verifier
	p.mu.Unlock()
	ctx = p.context(ctx)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Claims{}, fmt.Errorf("the provider refused the code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Claims{}, errors.New("the provider sent no ID token")
	}
	idt, err := v.Verify(ctx, raw)
	if err != nil {
		return Claims{}, fmt.Errorf("the ID token does not verify: %w", err)
	}
	if checkNonce && idt.Nonce != nonce {
		return Claims{}, errors.New("the ID token's nonce is not the one this sign-in sent")
	}
	var c Claims
	if err := idt.Claims(&c); err != nil {
		return Claims{}, fmt.Errorf("the ID token's claims: %w", err)
	}
	return c, nil
}

// Providers are the configured providers, by name.
type Providers map[string]*Provider

// Names are the providers' names, sorted: the order the UI offers them in.
func (ps Providers) Names() []string {
	out := make([]string, 0, len(ps))
	for n := range ps {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Prepare readies the provider an oidc submit names, before the submit takes the tenant's lock
// (any other method, or an unknown provider, needs nothing).
func (ps Providers) Prepare(ctx context.Context, method, name string) error {
	if p, ok := ps[name]; ok && method == "oidc" {
		return p.Ready(ctx)
	}
	return nil
}
