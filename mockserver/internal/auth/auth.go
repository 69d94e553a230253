// Package auth resolves and issues sessions, and renders them and their identities.
package auth

import (
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Resolve returns the caller's session. Whoami tells an expired session (_004) from an invalid
// one (_005); every other operation answers _005 for both (REQ-SES-002).
func Resolve(tx *store.Tx, req request.Request, distinguishExpired bool) (session.Session, identity.Identity, *apierr.Error) {
	token := req.SessionToken()
	if token == "" {
		return session.Session{}, identity.Identity{}, apierr.Unauthenticated()
	}
	ses, ok := tx.SessionByToken(token)
	if !ok || ses.Revoked {
		return session.Session{}, identity.Identity{}, apierr.Unauthenticated()
	}
	if ses.Expired(tx.Now) {
		if distinguishExpired {
			return session.Session{}, identity.Identity{}, apierr.Expired()
		}
		return session.Session{}, identity.Identity{}, apierr.Unauthenticated()
	}
	ident, ok := tx.Identity(ses.IdentityID)
	if !ok {
		return session.Session{}, identity.Identity{}, apierr.Unauthenticated()
	}
	return ses, ident, nil
}

// Peek returns the caller's session if it is active, without failing otherwise.
func Peek(tx *store.Tx, req request.Request) (session.Session, bool) {
	ses, _, err := Resolve(tx, req, false)
	return ses, err == nil
}

// Issue creates and stores a session for ident after method m, living lifetime (REQ-SES-001).
func Issue(tx *store.Tx, src ids.Source, ident identity.Identity, m session.Method, req request.Request, lifetime time.Duration, recovery bool) session.Session {
	prefix := "avnl_ses_"
	if recovery {
		prefix, lifetime = "avnl_ses_recovery_", session.RecoveryLifetime
	}
	ses := session.Session{
		ID:              "ses_" + ids.UUID(src),
		Token:           prefix + ids.Token(src, 32),
		IdentityID:      ident.ID,
		IssuedAt:        tx.Now,
		AuthenticatedAt: tx.Now,
		ExpiresAt:       tx.Now.Add(lifetime),
		AAL:             session.AAL1,
		Recovery:        recovery,
		Devices: []session.Device{{
			ID:           "dev_" + ids.Alnum(src, 12),
			UserAgent:    userAgent(req.UserAgent),
			IPAddress:    req.IP,
			LastActiveAt: tx.Now,
		}},
	}
	ses.Authenticate(m)
	tx.PutSession(ses)
	return ses
}

func userAgent(ua string) string {
	if ua == "" {
		return "unknown"
	}
	if len(ua) > 256 {
		return ua[:256]
	}
	return ua
}

// Session renders a session; the token only when withToken (submit outcomes, REQ-SES-008).
func Session(ses session.Session, ident identity.Identity, withToken bool) api.Session {
	out := api.Session{
		Id: ses.ID, Active: !ses.Revoked, IdentityId: ses.IdentityID,
		IssuedAt: ses.IssuedAt, AuthenticatedAt: ses.AuthenticatedAt, ExpiresAt: ses.ExpiresAt,
		AuthenticatorAssuranceLevel: api.AuthenticatorAssuranceLevel(ses.AAL),
		AuthenticationMethods:       methods(ses.Methods),
		Devices:                     devices(ses.Devices),
		Identity:                    Identity(ident),
	}
	if withToken {
		tok := ses.Token
		out.Token = &tok
	}
	return out
}

// ListItem renders a session for listSessions.
func ListItem(ses session.Session, current bool) api.SessionListItem {
	return api.SessionListItem{
		Id: ses.ID, Active: !ses.Revoked, Current: current, IdentityId: ses.IdentityID,
		IssuedAt: ses.IssuedAt, AuthenticatedAt: ses.AuthenticatedAt, ExpiresAt: ses.ExpiresAt,
		AuthenticatorAssuranceLevel: api.AuthenticatorAssuranceLevel(ses.AAL),
		AuthenticationMethods:       methods(ses.Methods),
		Devices:                     devices(ses.Devices),
	}
}

func methods(ms []session.Method) []api.AuthenticationMethod {
	out := make([]api.AuthenticationMethod, 0, len(ms))
	for _, m := range ms {
		am := api.AuthenticationMethod{Method: api.AuthenticationMethodMethod(m.Method), Aal: api.AuthenticatorAssuranceLevel(m.AAL), CompletedAt: m.CompletedAt}
		if m.Provider != "" {
			p := m.Provider
			am.Provider = &p
		}
		out = append(out, am)
	}
	return out
}

func devices(ds []session.Device) []api.Device {
	out := make([]api.Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, api.Device{Id: d.ID, UserAgent: d.UserAgent, IpAddress: d.IPAddress, LastActiveAt: d.LastActiveAt})
	}
	return out
}

// Identity renders an identity: flat convenience fields and the traits they come from.
func Identity(i identity.Identity) api.Identity {
	t := i.Traits
	traits := api.Traits{Email: openapi_types.Email(t.Email)}
	if t.Name.First != "" || t.Name.Last != "" {
		traits.Name = &struct {
			First *string `json:"first,omitempty"`
			Last  *string `json:"last,omitempty"`
		}{First: opt(t.Name.First), Last: opt(t.Name.Last)}
	}
	traits.Phone, traits.Locale, traits.Timezone, traits.AvatarUrl = opt(t.Phone), opt(t.Locale), opt(t.Timezone), opt(t.AvatarURL)
	out := api.Identity{
		Id: i.ID, Email: openapi_types.Email(t.Email), EmailVerified: i.EmailVerified, Traits: traits,
		Username: opt(i.Username), FirstName: opt(t.Name.First), LastName: opt(t.Name.Last),
		Phone: opt(t.Phone), Locale: opt(t.Locale), Timezone: opt(t.Timezone), AvatarUrl: opt(t.AvatarURL),
		State: api.IdentityState(i.State), CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt,
	}
	if name := strings.TrimSpace(t.Name.First + " " + t.Name.Last); name != "" {
		out.DisplayName = &name
	}
	if !i.VerifiedAt.IsZero() {
		v := i.VerifiedAt
		out.VerifiedAt = &v
	}
	return out
}

func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Method is a completed method at now.
func Method(name, aal string, now time.Time) session.Method {
	return session.Method{Method: name, AAL: aal, CompletedAt: now}
}
