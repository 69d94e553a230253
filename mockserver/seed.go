package mockserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// forgetAccounts drops a new or reset world's test accounts at the built-in providers.
func (s *Server) forgetAccounts(ctx context.Context, name string) error {
	errs := []error{s.oauth2.Forget(ctx, name)} // and the apps registered through the control plane
	for _, p := range s.providers {
		errs = append(errs, p.Accounts.Reset(ctx, name))
	}
	return errors.Join(errs...)
}

// seed fills a new or reset world with the organizations and personas.
func (s *Server) seed(tx *store.Tx) error {
	now := tx.Now
	for _, o := range s.cfg.Organizations {
		if err := tx.PutOrganization(identity.Organization{ID: o.ID, Name: o.Name, RegistrationMode: o.RegistrationMode}); err != nil {
			return err
		}
	}
	for _, p := range s.cfg.Personas {
		ident := identity.Identity{
			ID: p.ID, Username: p.Username,
			Traits:        identity.Traits{Email: p.Email, Name: identity.Name{First: p.Name.First, Last: p.Name.Last}},
			EmailVerified: p.EmailVerified, State: p.State,
			CreatedAt: now, UpdatedAt: now,
			TOTPSecret: p.TOTPSecret, LookupSecrets: p.LookupSecrets, Organizations: p.Organizations,
		}
		if ident.State == "" {
			ident.State = identity.StateActive
		}
		if p.EmailVerified {
			ident.VerifiedAt = now
		}
		ident.PasswordHash = s.personaHashes[p.ID]
		for _, pk := range p.Passkeys {
			id, err1 := base64.RawURLEncoding.DecodeString(pk.ID)
			key, err2 := base64.RawURLEncoding.DecodeString(pk.PublicKey)
			if err := errors.Join(err1, err2); err != nil {
				return fmt.Errorf("persona %s: passkey: %w", p.Email, err)
			}
			ident.WebAuthn = append(ident.WebAuthn, identity.WebAuthnCredential{ID: id, PublicKey: key, DisplayName: pk.DisplayName, Discoverable: true, CreatedAt: now})
		}
		if err := tx.PutIdentity(ident); err != nil {
			return err
		}
	}
	return nil
}

// hashPersonas hashes each persona's password once, for every tenant to share.
func (s *Server) hashPersonas(src ids.Source) map[string]string {
	hasher := s.hasher(src)
	out := make(map[string]string, len(s.cfg.Personas))
	for _, p := range s.cfg.Personas {
		if p.Password != "" {
			out[p.ID] = hasher.Hash(p.Password)
		}
	}
	return out
}

// lockedFor is how long a seeded identity with locked: true stays locked.
const lockedFor = 15 * time.Minute
