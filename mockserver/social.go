package mockserver

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// ClientID is the mock's client id at its built-in providers.
const ClientID = "idflows-mock"

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// socialProviders builds the built-in test providers and the relying party of every provider.
func (s *Server) socialProviders() (social.Providers, map[string]*oidcprovider.Provider, error) {
	cfg := s.cfg.OIDC
	if cfg.BuiltIn == nil && cfg.External == nil {
		cfg = DefaultConfig().OIDC
	}
	rps, builtIn := social.Providers{}, map[string]*oidcprovider.Provider{}
	callback := func(name string) string { return s.cfg.BaseURL + "/v1/flows/oidc/callback/" + name }
	for _, name := range cfg.BuiltIn {
		if !providerName.MatchString(name) {
			return nil, nil, fmt.Errorf("provider name %q: want %s", name, providerName)
		}
		pc := oidcprovider.Config{Issuer: s.cfg.BaseURL + "/_mock/oidc/" + name, Name: ui.ProviderTitle(name), Now: s.opts.clock.Now}
		src := s.opts.idSource("oidc:" + name)
		pc.Random = src.Read
		if s.shared != nil { // every replica has the same signing key and client, and shares its codes
			seed, err := s.shared.Secret(context.Background())
			if err != nil {
				return nil, nil, err
			}
			src = ids.Derive(binary.LittleEndian.Uint64(seed), "oidc:"+name)
			if pc.Key, err = oidcprovider.KeyFrom(src.Read); err != nil {
				return nil, nil, err
			}
			pc.Random, pc.Store = nil, s.shared.Provider(name) // codes and tokens: crypto/rand, unique per replica
		}
		secret := ids.Token(src, 32)
		pc.Clients = []oidcprovider.Client{{ID: ClientID, Secret: secret, RedirectURIs: []string{callback(name)}}}
		p, err := oidcprovider.New(pc)
		if err != nil {
			return nil, nil, err
		}
		builtIn[name] = p
		rps[name] = social.New(social.Config{Name: name, Issuer: p.Issuer(), ClientID: ClientID, ClientSecret: secret,
			RedirectURL: callback(name), HTTPClient: social.InProcess(p), Realm: true, Now: s.opts.clock.Now})
	}
	for _, e := range cfg.External {
		if !providerName.MatchString(e.Name) || e.Issuer == "" || e.ClientID == "" {
			return nil, nil, fmt.Errorf("provider %q: a name (%s), an issuer and a client id are needed", e.Name, providerName)
		}
		delete(builtIn, e.Name)
		rps[e.Name] = social.New(social.Config{Name: e.Name, Issuer: strings.TrimRight(e.Issuer, "/"), ClientID: e.ClientID,
			ClientSecret: e.ClientSecret, RedirectURL: callback(e.Name), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	}
	return rps, builtIn, nil
}

// serveProviders serves the built-in providers under /_mock/oidc/{name}/. They are not the
// control plane: browsers are sent to them, so they answer whoever calls, like a real provider.
func (s *Server) serveProviders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/_mock/oidc/")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		name, _, _ := strings.Cut(rest, "/")
		if p, ok := s.providers[name]; ok {
			// The tenant whose accounts the call is about (its realm) journals it, if it exists.
			realm := r.URL.Query().Get("realm")
			if realm == "" {
				realm = tenant.Default
			}
			if world, ok := s.tenants.Existing(realm); ok {
				callFrom(r.Context()).world = world
			}
			p.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
