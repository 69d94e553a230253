package authserver

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/avnology/idflows/mockserver/internal/identity"
)

// Signer signs access and ID tokens with one RSA key (RS256, as documented) and publishes its
// public half.
type Signer struct {
	access, id jose.Signer
	jwks       jose.JSONWebKeySet
}

// KeySize is the signing key's size in bits.
const KeySize = 2048

// NewKey makes a signing key, PKCS#8 DER encoded (what replicas share).
func NewKey() ([]byte, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeySize)
	if err != nil {
		return nil, err
	}
	return x509.MarshalPKCS8PrivateKey(k)
}

// NewSigner reads a PKCS#8 RSA key.
func NewSigner(der []byte) (*Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("authserver: signing key: %w", err)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("authserver: signing key: not RSA")
	}
	thumb, err := (&jose.JSONWebKey{Key: &key.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	kid := base64.RawURLEncoding.EncodeToString(thumb)
	signing := jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}}
	access, err := jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("at+jwt")) // RFC 9068
	if err != nil {
		return nil, err
	}
	id, err := jose.NewSigner(signing, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return &Signer{access: access, id: id, jwks: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"},
	}}}, nil
}

// grantView is what a token is issued for: an authorization's sign-in or a refresh grant's.
type grantView struct {
	clientID, identityID string
	scope, amr           []string
	authTime             time.Time
	aal, nonce           string
	orgID, orgName       string // the organization the sign-in was for, if any
}

// accessToken signs an RFC 9068 access token, with the organization claims Avnology documents.
func (s *Server) accessToken(sg *Signer, g grantView, now time.Time) (string, error) {
	claims := struct {
		jwt.Claims
		Scope    string `json:"scope"`
		ClientID string `json:"client_id"`
		OrgID    string `json:"org_id,omitempty"`
		OrgName  string `json:"org_name,omitempty"`
	}{
		Claims: jwt.Claims{Issuer: s.cfg.Issuer, Subject: g.identityID, Audience: jwt.Audience{g.clientID},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(AccessLifetime)),
			ID: token("at_")},
		Scope: strings.Join(g.scope, " "), ClientID: g.clientID, OrgID: g.orgID, OrgName: g.orgName,
	}
	return jwt.Signed(sg.access).Claims(claims).Serialize()
}

// idToken signs an OpenID Connect ID token (Core §2), with the claims the granted scopes open.
func (s *Server) idToken(sg *Signer, g grantView, ident identity.Identity, now time.Time) (string, error) {
	claims := struct {
		jwt.Claims
		AuthTime      int64    `json:"auth_time"`
		Nonce         string   `json:"nonce,omitempty"`
		ACR           string   `json:"acr,omitempty"`
		AMR           []string `json:"amr,omitempty"`
		AZP           string   `json:"azp"`
		Email         string   `json:"email,omitempty"`
		EmailVerified *bool    `json:"email_verified,omitempty"`
		Name          string   `json:"name,omitempty"`
		GivenName     string   `json:"given_name,omitempty"`
		FamilyName    string   `json:"family_name,omitempty"`
	}{
		Claims: jwt.Claims{Issuer: s.cfg.Issuer, Subject: g.identityID, Audience: jwt.Audience{g.clientID},
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(AccessLifetime))},
		AuthTime: g.authTime.Unix(), Nonce: g.nonce, ACR: g.aal, AMR: g.amr, AZP: g.clientID,
	}
	if slices.Contains(g.scope, "email") {
		verified := ident.EmailVerified
		claims.Email, claims.EmailVerified = ident.Traits.Email, &verified
	}
	if slices.Contains(g.scope, "profile") {
		claims.GivenName, claims.FamilyName = ident.Traits.Name.First, ident.Traits.Name.Last
		claims.Name = strings.TrimSpace(ident.Traits.Name.First + " " + ident.Traits.Name.Last)
	}
	return jwt.Signed(sg.id).Claims(claims).Serialize()
}
