// Package session is the mock's session: who is signed in, how strongly, until when.
package session

import (
	"slices"
	"time"
)

// Assurance levels (D7).
const (
	AAL1 = "aal1"
	AAL2 = "aal2"
)

// Lifetimes (D7).
const (
	DefaultLifetime  = 24 * time.Hour
	RecoveryLifetime = 15 * time.Minute
	// PrivilegedWindow is how long after authenticating privileged settings stay open (REQ-STEPUP-002).
	PrivilegedWindow = 15 * time.Minute
)

// Method is one completed authentication method.
type Method struct {
	Method      string // password, totp, recovery_code, webauthn, oidc, code, link
	AAL         string
	CompletedAt time.Time
	Provider    string
}

// Device is where the session was used.
type Device struct {
	ID           string
	UserAgent    string
	IPAddress    string
	LastActiveAt time.Time
}

// Session is one sign-in of an identity.
type Session struct {
	ID              string
	Token           string
	IdentityID      string
	IssuedAt        time.Time
	AuthenticatedAt time.Time
	ExpiresAt       time.Time
	AAL             string
	Methods         []Method
	Devices         []Device
	Recovery        bool // privileged for its whole life (REQ-REC-004)
	Revoked         bool
}

// Active reports whether the session is usable at now.
func (s *Session) Active(now time.Time) bool { return !s.Revoked && now.Before(s.ExpiresAt) }

// Expired reports whether the session ran out (as opposed to being revoked).
func (s *Session) Expired(now time.Time) bool { return !s.Revoked && !now.Before(s.ExpiresAt) }

// Privileged reports whether privileged settings are open without re-authenticating.
func (s *Session) Privileged(now time.Time) bool {
	return s.Recovery || now.Sub(s.AuthenticatedAt) <= PrivilegedWindow
}

// Authenticate records a completed method: a re-authentication refreshes authenticated_at and
// raises the assurance level when the method brings it (REQ-STEPUP-003).
func (s *Session) Authenticate(m Method) {
	s.Methods = append(slices.Clone(s.Methods), m)
	s.AuthenticatedAt = m.CompletedAt
	s.IssuedAt = m.CompletedAt
	if m.AAL == AAL2 {
		s.AAL = AAL2
	}
}
