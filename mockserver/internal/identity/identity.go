// Package identity is the mock's identity: traits, state and credentials.
package identity

import (
	"slices"
	"strings"
	"time"
)

// States of an identity (facts §19 G15).
const (
	StateActive   = "active"
	StateInactive = "inactive"
)

// Name is the traits.name object.
type Name struct{ First, Last string }

// Traits are the self-service traits (D4).
type Traits struct {
	Email     string
	Name      Name
	Phone     string
	Locale    string
	Timezone  string
	AvatarURL string
}

// Identity is one account. Values are copied in and out of the store; it holds no pointers
// to shared state except the credential slices, which the store replaces, never mutates.
type Identity struct {
	ID            string
	Username      string
	Traits        Traits
	EmailVerified bool
	VerifiedAt    time.Time
	State         string
	CreatedAt     time.Time
	UpdatedAt     time.Time

	PasswordHash string // encoded by Hasher; empty without a password

	// Lockout (REQ-LOGIN-004).
	FailedPasswords int
	LockedUntil     time.Time
	// Second-factor lockout (REQ-SEC-001): its own counter, which a correct password never
	// resets — only a completed aal2 sign-in does.
	FailedSecondFactors     int
	SecondFactorLockedUntil time.Time

	TOTPSecret    string   // base32; empty when not enrolled
	TOTPLastStep  int64    // the last accepted time step, so a code cannot be replayed
	LookupSecrets []string // unused recovery codes
	WebAuthn      []WebAuthnCredential
	// Social are the provider accounts linked to the identity (D11).
	Social []SocialLink
	// Organizations are the ids of the organizations the identity is a member of.
	Organizations []string
}

// MemberOf reports whether the identity is a member of the organization.
func (i *Identity) MemberOf(org string) bool { return slices.Contains(i.Organizations, org) }

// Organization is an organization identities may belong to.
type Organization struct {
	ID, Name string
	// RegistrationMode is open, invite_only, sso_only or disabled; only open (or unset) takes
	// self-service registrations.
	RegistrationMode string
}

// OpenForRegistration reports whether self-service registration may join the organization.
func (o Organization) OpenForRegistration() bool {
	return o.RegistrationMode == "" || o.RegistrationMode == "open"
}

// SocialLink is an account at a social provider, named by the provider's subject.
type SocialLink struct {
	Provider, Subject string
}

// WebAuthnCredential is a registered passkey or security key.
type WebAuthnCredential struct {
	ID           []byte
	PublicKey    []byte
	SignCount    uint32
	DisplayName  string
	Discoverable bool
	CreatedAt    time.Time
}

// NormalizeEmail is the form identifiers and emails are compared in (REQ-SEC-002): trimmed and
// lower-cased in ASCII only. Unicode case folding or normalisation would make two different
// addresses equal — "victim@İnbox.test" must never reach "victim@inbox.test"'s account.
func NormalizeEmail(email string) string {
	email = strings.TrimSpace(email)
	b := []byte(email)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// HasSecondFactor reports whether the identity can complete an aal2 step.
func (i *Identity) HasSecondFactor() bool {
	return i.TOTPSecret != "" || len(i.LookupSecrets) > 0 || len(i.WebAuthn) > 0
}

// Locked reports whether failed passwords lock the identity at now.
func (i *Identity) Locked(now time.Time) bool { return now.Before(i.LockedUntil) }

// SecondFactorLocked reports whether wrong second-factor codes lock the identity's second
// factor at now.
func (i *Identity) SecondFactorLocked(now time.Time) bool {
	return now.Before(i.SecondFactorLockedUntil)
}

// Credentials names the kinds of credential the identity holds.
func (i *Identity) Credentials() []string {
	var out []string
	if i.PasswordHash != "" {
		out = append(out, "password")
	}
	if i.TOTPSecret != "" {
		out = append(out, "totp")
	}
	if len(i.LookupSecrets) > 0 {
		out = append(out, "lookup_secret")
	}
	if len(i.WebAuthn) > 0 {
		out = append(out, "webauthn")
	}
	if len(i.Social) > 0 {
		out = append(out, "oidc")
	}
	return out
}

// DisplayName is "First Last", or the email when the identity has no name.
func (i *Identity) DisplayName() string {
	name := strings.TrimSpace(i.Traits.Name.First + " " + i.Traits.Name.Last)
	if name == "" {
		return i.Traits.Email
	}
	return name
}
