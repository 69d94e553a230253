package mockserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/accountui"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/authserver"
	"github.com/avnology/idflows/mockserver/internal/callback"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/inspector"
	"github.com/avnology/idflows/mockserver/internal/login"
	"github.com/avnology/idflows/mockserver/internal/mail"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/recovery"
	"github.com/avnology/idflows/mockserver/internal/redisstate"
	"github.com/avnology/idflows/mockserver/internal/registration"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/settings"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
	"github.com/avnology/idflows/mockserver/internal/verification"
	"github.com/avnology/idflows/mockserver/oidcprovider"
	"github.com/avnology/idflows/openapi/contract"
)

// Server is the mock: an http.Handler serving the flow API and the control plane.
type Server struct {
	cfg     Config
	opts    options
	log     *slog.Logger
	flows   *contract.Contract
	control *contract.Contract
	tenants *tenant.Registry
	budget  *store.Budget
	// shared keeps the tenants in Redis (Config.Store); nil keeps them in memory.
	shared *redisstate.Shared
	// oauth2 is the authorization server of "Sign in with Avnology".
	oauth2 *authserver.Server
	// corsOrigins are the origins whose pages may call the mock with credentials.
	corsOrigins origins.Set
	// corsHinted are the refused origins already named in the log (one hint line each).
	corsHinted sync.Map
	corsHints  atomic.Int64
	// personaHashes are the personas' password hashes, made once: a new tenant copies them
	// instead of hashing again.
	personaHashes map[string]string

	login        *login.Service
	registration *registration.Service
	settings     *settings.Service
	recovery     *codeflow.Engine
	verification *codeflow.Engine
	render       ui.Renderer
	callback     *callback.Service
	// providers are the built-in social providers, served under /_mock/oidc/{name}/.
	providers map[string]*oidcprovider.Provider
	handler   http.Handler
	// pages are the account pages under /ui/, a client of the API in process.
	pages *accountui.Pages
	// inspector is the control plane in a browser, at /_mock/.
	inspector *inspector.Inspector
}

// uiPrefix is where the account pages are served: the default --ui-url is the base URL + it.
const uiPrefix = "/ui"

// quietKey marks a request neither logged nor journaled: the inspector's own reads.
type quietKey struct{}

// onBehalfOf answers method path as the network would answer the browser of from — with its
// cookies, tenant, control token and address — without a network: the calls of the account
// pages and of the inspector.
func (s *Server) onBehalfOf(from *http.Request, method, path string) (int, http.Header, []byte) {
	req, err := http.NewRequestWithContext(from.Context(), method, path, nil)
	if err != nil {
		return http.StatusBadRequest, http.Header{}, nil
	}
	req.Host, req.RemoteAddr = from.Host, from.RemoteAddr
	req.Header.Set("Accept", "application/json")
	for _, h := range []string{"Cookie", "X-Mock-Tenant", "X-Mock-Token", "User-Agent"} {
		if v := from.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.handler.ServeHTTP(rec, req)
	return rec.status, rec.header, rec.body.Bytes()
}

// New builds the mock. It loads and compiles the contracts once; requests never parse them.
func New(cfg Config, opts ...Option) (_ *Server, err error) {
	o := options{clock: clock.System{}, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Personas == nil {
		f := fixtures.DefaultFixtures()
		cfg.Personas = f.Personas
		if cfg.Organizations == nil {
			cfg.Organizations = f.Organizations
		}
	}
	def := DefaultConfig()
	if cfg.BaseURL == "" {
		cfg.BaseURL = def.BaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if cfg.MaxTenants <= 0 {
		cfg.MaxTenants = def.MaxTenants
	}
	if cfg.TenantIdle <= 0 {
		cfg.TenantIdle = def.TenantIdle
	}
	for _, f := range []struct{ v, d *int64 }{{&cfg.Capacity.Flows, &def.Capacity.Flows}, {&cfg.Capacity.Sessions, &def.Capacity.Sessions}, {&cfg.Capacity.Identities, &def.Capacity.Identities}} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if cfg.Limits.MaxFlows <= 0 {
		cfg.Limits = def.Limits
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = def.MaxBodyBytes
	}
	if cfg.PasswordHashMemoryKiB == 0 || cfg.PasswordHashIterations == 0 {
		cfg.PasswordHashMemoryKiB, cfg.PasswordHashIterations = def.PasswordHashMemoryKiB, def.PasswordHashIterations
	}
	flows, ctrl, err := loadContracts()
	if err != nil {
		return nil, fmt.Errorf("mockserver: %w", err)
	}
	cors, err := origins.Parse(cfg.CORSOrigins...)
	if err != nil {
		return nil, fmt.Errorf("mockserver: cors origins: %w", err)
	}
	s := &Server{cfg: cfg, opts: o, log: redacting(o.logger), flows: flows, control: ctrl, corsOrigins: cors}
	if err := s.openStore(cfg.Store, o.seed != nil); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if cfg.UIURL == "" {
		cfg.UIURL = cfg.BaseURL + uiPrefix
	}
	cfg.UIURL = strings.TrimRight(cfg.UIURL, "/")
	s.cfg = cfg
	socials, builtIn, err := s.socialProviders()
	if err != nil {
		return nil, fmt.Errorf("mockserver: oidc: %w", err)
	}
	s.providers = builtIn
	render := ui.Renderer{BaseURL: cfg.BaseURL, Providers: socials.Names()}
	rp, err := relyingParty(cfg)
	if err != nil {
		return nil, fmt.Errorf("mockserver: webauthn: %w", err)
	}
	allow, err := returnto.New(append(append([]string{cfg.BaseURL}, cfg.CORSOrigins...), cfg.ReturnTo...)...)
	if err != nil {
		return nil, fmt.Errorf("mockserver: return_to: %w", err)
	}
	if cfg.SessionLifetime <= 0 {
		cfg.SessionLifetime = session.DefaultLifetime
	}
	lifetime := func(t flow.Type) time.Duration {
		if d, ok := cfg.FlowLifetimes[string(t)]; ok && d > 0 {
			return d
		}
		return flow.DefaultLifetimes[t]
	}
	policy := login.DefaultPolicy
	if cfg.LoginLimit > 0 {
		policy.SubmitsPerMin = cfg.LoginLimit
	}
	s.oauth2 = s.authServer()
	s.login = &login.Service{Render: render, ReturnTo: allow, Policy: policy, FlowLifetime: lifetime(flow.Login), SessionLifetime: cfg.SessionLifetime,
		DummyHash: s.hasher(ids.Random{}).Hash("not a password anyone has"), Passkeys: rp, Social: socials, OAuth: s.oauth2}
	s.registration = &registration.Service{Render: render, ReturnTo: allow, Hasher: s.hasher, FlowLifetime: lifetime(flow.Registration),
		SessionLifetime: cfg.SessionLifetime, Passkeys: rp, Social: socials, OAuth: s.oauth2}
	s.callback = &callback.Service{Providers: socials, Login: s.login, Registration: s.registration, UIURL: cfg.UIURL, OAuth: s.oauth2}
	s.settings = &settings.Service{Render: render, ReturnTo: allow, Hasher: s.hasher, FlowLifetime: lifetime(flow.Settings),
		BaseURL: cfg.BaseURL, Issuer: "Avnology ID (idflows mock)", Passkeys: rp, Social: socials}
	s.render = render
	s.recovery = recovery.New(&codeflow.Engine{Type: flow.Recovery, ReturnTo: allow, FlowLifetime: lifetime(flow.Recovery),
		AsFlow: func(f flow.Flow) *api.Flow { return ui.AsFlow(render.Recovery(f)) },
		Steps: codes.Steps{Sent: ui.InfoRecoverySent, Asks: "email",
			Errors:  codes.Errors{Wrong: apierr.InvalidRecoveryCode, Expired: apierr.RecoveryCodeExpired, Invalid: ui.ErrRecoveryCode},
			Message: codes.Message{Template: "recovery_code", Subject: "Recover access to your account", Text: "Your recovery code is %s. It expires in 15 minutes."}}}, s.settings)
	s.verification = verification.New(&codeflow.Engine{Type: flow.Verification, ReturnTo: allow, FlowLifetime: lifetime(flow.Verification),
		AsFlow: func(f flow.Flow) *api.Flow { return ui.AsFlow(render.Verification(f)) },
		Steps: codes.Steps{Sent: ui.InfoVerificationSent, Asks: "email",
			Errors:  codes.Errors{Wrong: apierr.InvalidVerificationCode, Expired: apierr.CodeExpired, Invalid: ui.ErrVerificationCode},
			Message: codes.Message{Template: "verification_code", Subject: "Verify your email address", Text: "Your verification code is %s. It expires in 15 minutes."}}})
	s.budget = &store.Budget{MaxFlows: cfg.Capacity.Flows, MaxSessions: cfg.Capacity.Sessions, MaxIdentities: cfg.Capacity.Identities}
	s.personaHashes = s.hashPersonas(o.idSource("personas"))
	var relay func(string, outbox.Message)
	if cfg.SMTPURL != "" {
		r, err := mail.New(cfg.SMTPURL, s.log)
		if err != nil {
			return nil, fmt.Errorf("mockserver: %w", err)
		}
		relay = r.Deliver
	}
	var shared tenant.Shared // a nil *redisstate.Shared must not become a non-nil interface
	if s.shared != nil {
		shared = s.shared
	}
	s.tenants = tenant.NewRegistry(tenant.Config{
		Max: cfg.MaxTenants, MinIdle: cfg.TenantIdle, Clock: o.clock, Limits: cfg.Limits, Budget: s.budget,
		IDs:        o.idSource,
		Deviations: o.deviations,
		Shared:     shared,
		Seed:       s.seed,
		OnReset:    s.forgetAccounts,
		Relay:      relay,
		Began:      answerDate,
	})
	defaultWorld, err := s.tenants.Get(tenant.Default)
	if err == nil { // seeds the default tenant, if nobody has: bad fixtures fail here
		err = defaultWorld.Store.Update(context.Background(), func(*store.Tx) error { return nil })
	}
	if err != nil {
		return nil, fmt.Errorf("mockserver: fixtures: %w", err)
	}
	s.pages = &accountui.Pages{Prefix: uiPrefix, BaseURL: cfg.BaseURL, API: s.onBehalfOf}
	s.inspector = &inspector.Inspector{API: func(from *http.Request, method, path string) (int, http.Header, []byte) {
		return s.onBehalfOf(from.WithContext(context.WithValue(from.Context(), quietKey{}, true)), method, path)
	}}
	s.handler = s.routes()
	return s, nil
}

// openStore connects to the shared store Config.Store names, if it names one.
func (s *Server) openStore(url string, seeded bool) error {
	shared, err := storeKind(url)
	if err != nil || !shared {
		return err
	}
	if seeded { // every replica would make the same ids
		return errors.New("mockserver: a shared store needs random ids; WithSeed is for one process")
	}
	s.shared, err = redisstate.Open(context.Background(), url)
	if err != nil {
		return fmt.Errorf("mockserver: --store: %w", err)
	}
	return nil
}

// Close lets go of the shared store, if there is one.
func (s *Server) Close() error {
	if s.shared == nil {
		return nil
	}
	return s.shared.Close()
}

func (s *Server) hasher(src ids.Source) identity.Hasher {
	return identity.Hasher{MemoryKiB: s.cfg.PasswordHashMemoryKiB, Iterations: s.cfg.PasswordHashIterations, Salt: src.Read}
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
