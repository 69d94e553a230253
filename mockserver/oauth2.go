package mockserver

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/mockserver/internal/authserver"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// authServer builds the mock's authorization server ("Sign in with Avnology"): its clients
// are the fixtures', its records live where the tenants do, and its signing key is made once
// (by the first replica, with a shared store).
func (s *Server) authServer() *authserver.Server {
	clients := s.cfg.OAuth2Clients
	if clients == nil {
		clients = fixtures.DefaultFixtures().OAuth2Clients
	}
	cfg := authserver.Config{Issuer: s.cfg.BaseURL, UIURL: s.cfg.UIURL, VerifyPKCE: !s.opts.deviations.Has(DeviationPKCENotVerified)}
	for _, c := range clients {
		cfg.Clients = append(cfg.Clients, authserver.Client{ID: c.ID, Name: c.Name, Secret: c.Secret,
			RedirectURIs: c.RedirectURIs, Scopes: c.Scopes, FirstParty: c.FirstParty})
	}
	var der func(ctx context.Context) ([]byte, error)
	if s.shared != nil {
		cfg.Store = s.shared.Provider("avnology")
		der = func(ctx context.Context) ([]byte, error) {
			return s.shared.Keep(ctx, "oauth2-signing-key", authserver.NewKey)
		}
	} else {
		cfg.Store = oidcprovider.NewMemoryStore(s.opts.clock.Now)
		der = func(context.Context) ([]byte, error) { return authserver.NewKey() }
	}
	var (
		mu     sync.Mutex
		signer *authserver.Signer
	)
	cfg.Key = func(ctx context.Context) (*authserver.Signer, error) { // made on first use: RSA keys take a while
		mu.Lock()
		defer mu.Unlock()
		if signer != nil {
			return signer, nil
		}
		key, err := der(ctx)
		if err != nil {
			return nil, err
		}
		if signer, err = authserver.NewSigner(key); err != nil {
			return nil, err
		}
		return signer, nil
	}
	return authserver.New(cfg)
}

// servesOAuth2 reports whether a path is the authorization server's.
func servesOAuth2(path string) bool {
	return strings.HasPrefix(path, "/oauth2/") || path == "/.well-known/openid-configuration" || path == "/.well-known/jwks.json"
}

// serveOAuth2 answers the authorization server's endpoints, in the request's tenant.
func (s *Server) serveOAuth2(w http.ResponseWriter, r *http.Request) {
	c := callFrom(r.Context())
	c.operationID = authserver.Operation(r)
	s.oauth2.Serve(w, r, authserver.Call{World: c.world, Req: c.req, Body: c.body},
		func(name string) (*tenant.World, error) { return s.tenants.Get(name) }, s.log)
}
