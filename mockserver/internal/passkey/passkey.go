// Package passkey runs real WebAuthn ceremonies (go-webauthn) for the mock: passkey and
// security-key registration, passkey login without an identifier, and security keys as a second
// factor. Options travel in the flow as JSON; the ceremony's session data stays in the flow.
package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/identity"
)

// CredentialPrefix starts every credential id on the wire (cred_ + base64url of the raw id).
const CredentialPrefix = "cred_"

// ErrCeremony is a ceremony the relying party refuses: a bad signature, a wrong challenge or
// origin, an unknown credential.
var ErrCeremony = errors.New("passkey: ceremony failed")

// RP is the mock's relying party.
type RP struct {
	ID      string
	Origins []string
	w       *webauthn.WebAuthn
}

// New configures a relying party.
func New(id, name string, origins []string) (*RP, error) {
	w, err := webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: name, RPOrigins: origins})
	if err != nil {
		return nil, fmt.Errorf("webauthn: %w", err)
	}
	return &RP{ID: id, Origins: origins, w: w}, nil
}

// UserHandle is the WebAuthn user id of an identity: its id, so seeded credentials and
// software authenticators can name it.
func UserHandle(identityID string) []byte { return []byte(identityID) }

// user adapts an identity (or a registration that has no identity yet) to go-webauthn.
type user struct {
	id          []byte
	name        string
	displayName string
	creds       []identity.WebAuthnCredential
}

func (u user) WebAuthnID() []byte          { return u.id }
func (u user) WebAuthnName() string        { return u.name }
func (u user) WebAuthnDisplayName() string { return u.displayName }
func (u user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, 0, len(u.creds))
	for _, c := range u.creds {
		out = append(out, webauthn.Credential{ID: c.ID, PublicKey: c.PublicKey, AttestationType: "none",
			Authenticator: webauthn.Authenticator{SignCount: c.SignCount},
			Flags:         webauthn.CredentialFlags{UserPresent: true, UserVerified: true}})
	}
	return out
}

func userOf(i identity.Identity) user {
	return user{id: UserHandle(i.ID), name: i.Traits.Email, displayName: i.DisplayName(), creds: i.WebAuthn}
}

// Ceremony is one started ceremony: the options for the client and the session data the
// relying party keeps to finish it.
type Ceremony struct {
	Options string // JSON: {"publicKey": {...}}
	Session []byte // JSON of go-webauthn's SessionData
}

// BeginRegistration starts registering a discoverable credential for the identity (whose id,
// email and existing credentials are used; for a new account, a placeholder identity).
func (rp *RP) BeginRegistration(src ids.Source, i identity.Identity) (Ceremony, error) {
	exclude := make([]protocol.CredentialDescriptor, 0, len(i.WebAuthn))
	for _, c := range i.WebAuthn {
		exclude = append(exclude, protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: c.ID})
	}
	creation, session, err := rp.w.BeginRegistration(userOf(i),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return Ceremony{}, err
	}
	challenge := challengeFrom(src)
	creation.Response.Challenge, session.Challenge = challenge, base64.RawURLEncoding.EncodeToString(challenge)
	return ceremony(creation, session)
}

// FinishRegistration checks the client's attestation and returns the new credential.
func (rp *RP) FinishRegistration(i identity.Identity, c Ceremony, response, displayName string, now time.Time) (identity.WebAuthnCredential, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return identity.WebAuthnCredential{}, fmt.Errorf("%w: no ceremony was started", ErrCeremony)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes([]byte(response))
	if err != nil {
		return identity.WebAuthnCredential{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	cred, err := rp.w.CreateCredential(userOf(i), session, parsed)
	if err != nil {
		return identity.WebAuthnCredential{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	if displayName == "" {
		displayName = "Passkey"
	}
	return identity.WebAuthnCredential{ID: cred.ID, PublicKey: cred.PublicKey, SignCount: cred.Authenticator.SignCount,
		DisplayName: displayName, Discoverable: true, CreatedAt: now}, nil
}

// BeginLogin starts an assertion: for the identity's credentials (a second factor), or for
// any discoverable credential when i is nil (a passkey login without an identifier).
func (rp *RP) BeginLogin(src ids.Source, i *identity.Identity) (Ceremony, error) {
	opts := []webauthn.LoginOption{webauthn.WithChallenge(challengeFrom(src)), webauthn.WithUserVerification(protocol.VerificationPreferred)}
	if i == nil {
		assertion, session, err := rp.w.BeginDiscoverableLogin(opts...)
		if err != nil {
			return Ceremony{}, err
		}
		return ceremony(assertion, session)
	}
	assertion, session, err := rp.w.BeginLogin(userOf(*i), opts...)
	if err != nil {
		return Ceremony{}, err
	}
	return ceremony(assertion, session)
}

// FinishLogin checks an assertion. For a discoverable login, lookup finds the identity by the
// user handle. It returns the identity and its credentials with the used one's count updated.
func (rp *RP) FinishLogin(c Ceremony, response string, lookup func(userHandle []byte) (identity.Identity, bool)) (identity.Identity, error) {
	var session webauthn.SessionData
	if err := json.Unmarshal(c.Session, &session); err != nil {
		return identity.Identity{}, fmt.Errorf("%w: no ceremony was started", ErrCeremony)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes([]byte(response))
	if err != nil {
		return identity.Identity{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	var found identity.Identity
	find := func(_, userHandle []byte) (webauthn.User, error) {
		i, ok := lookup(userHandle)
		if !ok {
			return nil, errors.New("unknown user handle")
		}
		found = i
		return userOf(i), nil
	}
	var cred *webauthn.Credential
	if len(session.UserID) == 0 {
		cred, err = rp.w.ValidateDiscoverableLogin(find, session, parsed)
	} else {
		var u webauthn.User
		if u, err = find(nil, session.UserID); err == nil {
			cred, err = rp.w.ValidateLogin(u, session, parsed)
		}
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("%w: %s", ErrCeremony, describe(err))
	}
	creds := make([]identity.WebAuthnCredential, len(found.WebAuthn))
	copy(creds, found.WebAuthn)
	for k := range creds {
		if bytes.Equal(creds[k].ID, cred.ID) {
			creds[k].SignCount = cred.Authenticator.SignCount
		}
	}
	found.WebAuthn = creds
	return found, nil
}

// WireID is a credential's id as the contract shows it.
func WireID(raw []byte) string { return CredentialPrefix + base64.RawURLEncoding.EncodeToString(raw) }

// RawID parses a wire id.
func RawID(wire string) ([]byte, bool) {
	s, ok := strings.CutPrefix(wire, CredentialPrefix)
	if !ok {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	return raw, err == nil && len(raw) > 0
}

func challengeFrom(src ids.Source) []byte {
	b := make([]byte, 32)
	src.Read(b)
	return b
}

func ceremony(options any, session *webauthn.SessionData) (Ceremony, error) {
	o, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, err
	}
	s, err := json.Marshal(session)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{Options: string(o), Session: s}, nil
}

// describe is the most specific text a go-webauthn error offers.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return pe.Details + ": " + pe.DevInfo
	}
	return err.Error()
}
