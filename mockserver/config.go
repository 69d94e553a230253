// Package mockserver is the stateful reference implementation of the Avnology ID flow API, with
// its control plane, as an http.Handler. Every request is validated against the contract; with
// WithStrictResponses every response is too.
package mockserver

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/mail"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Config is what a deployment of the mock decides.
type Config struct {
	// BaseURL is the public base URL; flows' ui.action is built on it.
	BaseURL string
	// CORSOrigins may call the mock from a browser, with credentials.
	CORSOrigins []string
	// ReturnTo are the allowed return_to origins; BaseURL and CORSOrigins are always allowed.
	ReturnTo []string
	// SecureCookies adds Secure to every cookie (serve over TLS).
	SecureCookies bool
	// Personas seed every tenant; fixtures.Default() when nil.
	Personas []fixtures.Persona
	// Organizations seed every tenant, with the personas' memberships; the embedded ones when
	// both this and Personas are nil.
	Organizations []fixtures.Organization
	// OAuth2Clients are the apps registered for "Sign in with Avnology" in every tenant; the
	// embedded ones when nil.
	OAuth2Clients []fixtures.OAuth2Client
	// MaxTenants bounds the number of X-Mock-Tenant worlds. A new tenant takes the place of the
	// least recently used one only when that one has been idle for TenantIdle; otherwise it is
	// refused (429 _021), so that no client can wipe the worlds others are using.
	MaxTenants int
	TenantIdle time.Duration
	// Limits bound each tenant's flows and sessions: beyond them, the tenant's own oldest go.
	Limits store.Limits
	// Capacity bounds the flows, sessions and identities of all tenants together: beyond it a
	// request that needs more is refused (429 _021) and nothing is evicted.
	Capacity Capacity
	// PasswordHashMemoryKiB and PasswordHashIterations tune Argon2id; cheap by default.
	PasswordHashMemoryKiB  uint32
	PasswordHashIterations uint32
	// MaxBodyBytes caps request bodies (413 beyond).
	MaxBodyBytes int64
	// LoginLimit is how many login submits one identifier may make per minute (D9: 10 by
	// default; a load test raises it — the suite checks the documented 10).
	LoginLimit int
	// SessionLifetime is how long a session lives (24 h by default).
	SessionLifetime time.Duration
	// FlowLifetimes override the documented lifetime of a flow type ("login", "registration", …).
	FlowLifetimes map[string]time.Duration
	// WebAuthn is the relying party passkeys are registered with and verified against.
	WebAuthn WebAuthn
	// Control says who may use the control plane under /_mock/ (D13).
	Control Control
	// Version is what /_mock/health reports: the binary's own ("dev" when unset).
	Version string
	// OIDC are the social providers (D11).
	OIDC OIDC
	// UIURL is the frontend a browser continues a flow in ({UIURL}/login?flow=…) and lands on
	// after a social sign-in without return_to: BaseURL + "/ui" by default.
	UIURL string
	// SMTPURL, when set (smtp://host:port), relays every email the outbox records to that server
	// — a mail catcher such as Mailpit — as well; the outbox stays the record.
	SMTPURL string
	// Store is where tenants live: "" or "memory" keeps them in this process; a
	// redis://host:port/db URL keeps them in Redis, shared by every replica started with it,
	// so replicas behind a load balancer act as one mock.
	Store string
}

// OIDC configures social sign-in. Both nil: the built-in providers google and github.
type OIDC struct {
	// BuiltIn names the test providers the mock serves itself under /_mock/oidc/{name}/, with
	// itself registered as their client.
	BuiltIn []string
	// External are real providers with the mock registered as a client; one named like a
	// built-in takes its place.
	External []OIDCProvider
}

// OIDCProvider is an external provider: its issuer (where /.well-known/openid-configuration
// is) and the mock's client registration there. Its redirect URI is
// {BaseURL}/v1/flows/oidc/callback/{Name}.
type OIDCProvider struct {
	Name, Issuer, ClientID, ClientSecret string
}

// Control guards the control plane (REQ-CTL-001, REQ-CTL-002). Health, readiness and the
// WebAuthn script are public whatever it says: they reveal nothing and browsers load the script.
type Control struct {
	// Disabled answers 404 for every other /_mock/ call.
	Disabled bool
	// Token, when set, must come in X-Mock-Token on every other /_mock/ call.
	Token string
	// Hosts are Host values answered besides loopback names and BaseURL's host: the listen
	// address, for one.
	Hosts []string
}

// Capacity is the most state all tenants may hold together; zero fields take the defaults.
type Capacity struct {
	Flows, Sessions, Identities int64
}

// WebAuthn configures the relying party (D9). RPID defaults to BaseURL's host ("localhost" when
// that is an IP address, which WebAuthn does not allow); Origins — the origins of the pages that
// run the ceremonies, i.e. the frontends — default to BaseURL, its localhost twin and CORSOrigins.
type WebAuthn struct {
	RPID    string
	Origins []string
}

// DefaultConfig serves on the default address with the embedded personas.
func DefaultConfig() Config {
	return Config{
		BaseURL:                "http://127.0.0.1:4433",
		ReturnTo:               []string{"https://app.acme.com"},
		MaxTenants:             1024,
		TenantIdle:             time.Minute,
		Limits:                 store.DefaultLimits,
		Capacity:               Capacity{Flows: 500_000, Sessions: 500_000, Identities: 100_000},
		PasswordHashMemoryKiB:  1024,
		PasswordHashIterations: 1,
		MaxBodyBytes:           1 << 20,
		OIDC:                   OIDC{BuiltIn: []string{"google", "github"}},
	}
}

// Option changes how a Server is built.
type Option func(*options)

type options struct {
	clock           clock.Clock
	seed            *uint64
	strictResponses bool
	logger          *slog.Logger
	deviations      deviation.Set
}

// WithClock makes every tenant's time run from c (a clock.Fake in tests).
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithSeed makes ids, tokens, CSRF tokens, codes and salts deterministic.
func WithSeed(seed uint64) Option { return func(o *options) { o.seed = &seed } }

// WithStrictResponses validates every response against the contract; a drift becomes a loud
// 500 _900 and an error log.
func WithStrictResponses() Option { return func(o *options) { o.strictResponses = true } }

// WithLogger sets the logger; secrets are redacted by the server whatever the handler.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

func (o *options) idSource(name string) ids.Source {
	if o.seed == nil {
		return ids.Random{}
	}
	return ids.Derive(*o.seed, name)
}

// requestTimeout bounds one request's work inside the mock, faults' latency included.
const requestTimeout = 30 * time.Second

// Check says what is wrong with the settings a person types, if anything, as New would: CORS
// origins are origins (scheme://host[:port]) or the keyword "localhost" (any origin on this
// machine's loopback) — "*" is refused, since credentials cannot go with it — and SMTPURL is
// smtp://host:port.
func (c Config) Check() error {
	if _, err := origins.Parse(c.CORSOrigins...); err != nil {
		return fmt.Errorf("--cors-origins: %w", err)
	}
	if c.SMTPURL != "" {
		if _, err := mail.New(c.SMTPURL, nil); err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
	}
	if _, err := storeKind(c.Store); err != nil {
		return fmt.Errorf("--store: %w", err)
	}
	return nil
}

// storeKind says whether Store names the memory or Redis, or is neither.
func storeKind(url string) (shared bool, err error) {
	switch {
	case url == "" || url == "memory":
		return false, nil
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"):
		return true, nil
	}
	return false, fmt.Errorf("%q is neither memory nor a redis:// URL", url)
}
