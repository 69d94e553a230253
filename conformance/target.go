package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/avnology/idflows/openapi/contract"
	"gopkg.in/yaml.v3"
)

// Target is the deployment under test: where it is, how to reach it, and what else the suite
// may use. Every capability is optional; a case that needs one the target lacks is SKIPPED
// with that reason, never silently passed.
type Target struct {
	// BaseURL is the API root, e.g. https://api-id.staging.example.com (a path prefix is kept).
	BaseURL string
	// Timeout bounds each HTTP exchange (default 10s).
	Timeout time.Duration
	// Header is added to every request, e.g. an API gateway key.
	Header http.Header
	// InsecureSkipVerify accepts any TLS certificate (self-signed staging).
	InsecureSkipVerify bool

	// Inbox reads the one-time codes the target sends (the mock's outbox, Mailpit).
	Inbox Inbox
	// Clock moves the target's time (expiry cases).
	Clock Clock
	// Seeder creates identities with any credential (disabled, locked, second factors).
	Seeder Seeder
	// Isolation gives each case its own world, so cases never share state even where the
	// target's state is global (rate limits, the clock).
	Isolation Isolation
	// Accounts are identities provisioned on the target beforehand, for what a case cannot make
	// through the API when the target offers no seeding (see Accounts).
	Accounts Accounts

	// WebAuthn declares the relying party the target verifies passkeys for.
	WebAuthn *RelyingParty
	// OIDCProvider is a social provider the target offers ("" when none is configured).
	OIDCProvider string
	// Social completes authorizations at that provider with test accounts (the mock's built-in
	// providers); without it only the steps before the provider are checked.
	Social SocialAccounts
	// Faults force a documented error on a target's next call of an operation (the mock's
	// control plane), so the envelope of every (status, code) pair can be checked.
	Faults Faults
	// Orgs seeds organizations (the mock's control plane).
	Orgs Organizations
	// OAuth2 is the app the suite plays for "Sign in with Avnology": one registered on the
	// target beforehand (an OAuth2App), or one the mock's control plane registers per case.
	OAuth2 OAuth2Apps
}

// OAuth2Apps gives the suite a registered OAuth client to play.
type OAuth2Apps interface {
	App(ctx context.Context, scope Scope) (OAuth2App, error)
}

// OAuth2App is a client registered on the target: its id, its secret when it is confidential,
// and a redirect URI it registered (the suite reads the code off the redirect and never
// follows it, so nothing needs to listen there).
type OAuth2App struct {
	ClientID, ClientSecret, RedirectURI string
}

// App is the app itself: one registered beforehand serves every case.
func (a OAuth2App) App(context.Context, Scope) (OAuth2App, error) { return a, nil }

// Organizations creates organizations with members.
type Organizations interface {
	// SeedOrganization creates (or replaces) an organization whose registration mode is mode
	// (open, invite_only, sso_only, disabled) and makes the identities members.
	SeedOrganization(ctx context.Context, scope Scope, id, mode string, members []string) error
}

// Faults force errors.
type Faults interface {
	// Force makes the next call of the operation answer the documented (status, code) pair.
	Force(ctx context.Context, scope Scope, operationID string, pair contract.Pair) error
}

// SocialAccounts signs in at a social provider as a person would.
type SocialAccounts interface {
	// Authorize completes the authorization at authorizeURL with account (made if missing)
	// and returns where the provider sends the browser back: the target's callback URL.
	Authorize(ctx context.Context, scope Scope, authorizeURL string, account SocialAccount) (callback string, err error)
}

// SocialAccount is a test account at a social provider.
type SocialAccount struct {
	Email, Name   string
	EmailVerified bool
	// LieAboutNonce makes the provider hostile for this authorization: its ID token carries a
	// nonce of its own (the mock's providers do that on request).
	LieAboutNonce bool
}

// RelyingParty is what a software authenticator needs to produce credentials a target accepts.
type RelyingParty struct {
	ID     string // e.g. "localhost" or "id.example.com"
	Origin string // e.g. "http://localhost:4433"
}

// Scope travels with every request and capability call of one case.
type Scope struct {
	Header http.Header
}

// Isolation gives each case a scope of its own.
type Isolation interface {
	NewScope(caseID string) Scope
}

// Inbox reads messages the target sent.
type Inbox interface {
	// Codes returns the one-time codes sent to address, oldest first.
	Codes(ctx context.Context, scope Scope, address string) ([]string, error)
}

// Clock moves the target's time forward.
type Clock interface {
	Advance(ctx context.Context, scope Scope, d time.Duration) error
}

// Seeder creates identities directly.
type Seeder interface {
	SeedIdentity(ctx context.Context, scope Scope, spec IdentitySpec) (id string, err error)
}

// IdentitySpec describes an identity to seed.
type IdentitySpec struct {
	Email         string
	Username      string
	Password      string
	EmailVerified bool
	Disabled      bool
	Locked        bool
	TOTPSecret    string
	LookupSecrets []string
}

// Accounts are identities provisioned on a target beforehand (`idflows conform --accounts`).
// The suite makes every identity it can through the API itself — it signs up, enrols TOTP and
// recovery codes, registers passkeys and verifies emails with the codes it reads — so each case
// has identities of its own whose codes, lockouts and rate limits no other case touches. What
// the API cannot make is listed here.
type Accounts struct {
	// Disabled is an account whose right password answers 403 _003.
	Disabled *AccountSpec `yaml:"disabled"`
}

// AccountSpec is how to sign in as a provisioned account.
type AccountSpec struct {
	Email    string `yaml:"email"`
	Password string `yaml:"password"`
}

// LoadAccounts reads an accounts file (YAML; unknown keys are an error).
func LoadAccounts(path string) (Accounts, error) {
	var a Accounts
	data, err := os.ReadFile(path)
	if err != nil {
		return a, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil && !errors.Is(err, io.EOF) {
		return a, fmt.Errorf("%s: %w", path, err)
	}
	if d := a.Disabled; d != nil && (d.Email == "" || d.Password == "") {
		return a, fmt.Errorf("%s: disabled needs an email and a password", path)
	}
	return a, nil
}

// Capability names a thing a case may need beyond plain HTTP.
type Capability string

// The capabilities cases declare.
const (
	NeedInbox    Capability = "inbox"
	NeedClock    Capability = "clock"
	NeedSeeder   Capability = "seeding"
	NeedWebAuthn Capability = "webauthn-rp"
	NeedOIDC     Capability = "oidc-provider"
	NeedSocial   Capability = "social-accounts"
	NeedFaults   Capability = "forced-errors"
	NeedOrgs     Capability = "organizations"
	NeedOAuth2   Capability = "oauth2-client"
)

func (t Target) has(c Capability) bool {
	switch c {
	case NeedInbox:
		return t.Inbox != nil
	case NeedClock:
		return t.Clock != nil
	case NeedSeeder:
		return t.Seeder != nil
	case NeedWebAuthn:
		return t.WebAuthn != nil
	case NeedOIDC:
		return t.OIDCProvider != ""
	case NeedSocial:
		return t.OIDCProvider != "" && t.Social != nil
	case NeedFaults:
		return t.Faults != nil
	case NeedOrgs:
		return t.Orgs != nil
	case NeedOAuth2:
		return t.OAuth2 != nil
	}
	return false
}

// flagFor names what gives a target a capability on the command line.
var flagFor = map[Capability]string{
	NeedInbox:    "--inbox",
	NeedClock:    "--control (it moves the target's clock)",
	NeedSeeder:   "--control (seeding)",
	NeedWebAuthn: "--webauthn-rp-id and --webauthn-origin",
	NeedOIDC:     "--oidc-provider",
	NeedSocial:   "--control (the mock's built-in providers)",
	NeedFaults:   "--control (it forces errors)",
	NeedOrgs:     "--control (it seeds organizations)",
	NeedOAuth2:   "--oauth2-client-id and --oauth2-redirect-uri (or --control, which registers one)",
}

func (t Target) capabilities() []string {
	var out []string
	for _, c := range []Capability{NeedInbox, NeedClock, NeedSeeder, NeedWebAuthn, NeedOIDC, NeedSocial, NeedFaults, NeedOrgs, NeedOAuth2} {
		if t.has(c) {
			out = append(out, string(c))
		}
	}
	if t.Isolation != nil {
		out = append(out, "isolation")
	}
	return out
}
