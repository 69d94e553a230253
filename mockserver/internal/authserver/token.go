package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	oa "github.com/avnology/idflows/gen/oauth2"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// family is a chain of refresh tokens from one code: revoked as a whole when a code or a
// rotated refresh token is presented again (REQ-OAUTH-006, -008).
type family struct {
	Revoked bool `json:"revoked"`
}

// spentLifetime is how long a redeemed code or rotated refresh token is remembered, to tell a
// replay from a code that never was.
const spentLifetime = 24 * time.Hour

// token is POST /oauth2/token.
func (h *handling) token() {
	if mt, _, _ := mime.ParseMediaType(h.r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		h.fail(http.StatusBadRequest, oa.InvalidRequest, "the body must be application/x-www-form-urlencoded")
		return
	}
	f, err := url.ParseQuery(string(h.c.Body))
	if err != nil {
		h.fail(http.StatusBadRequest, oa.InvalidRequest, "the form could not be read")
		return
	}
	switch f.Get("grant_type") {
	case "authorization_code":
		h.redeemCode(f)
	case "refresh_token":
		h.refresh(f)
	default:
		h.fail(http.StatusBadRequest, oa.UnsupportedGrantType, "grant_type must be authorization_code or refresh_token")
	}
}

// authenticate checks the client of a grant: its id, and its secret when it has one (Basic or
// form); it has answered when ok is false.
func (h *handling) authenticate(f url.Values, tenant, clientID string) (ok bool) {
	id, secret, basic := h.r.BasicAuth()
	if !basic {
		id, secret = f.Get("client_id"), f.Get("client_secret")
	}
	client, known, err := h.s.client(h.ctx(), tenant, id)
	switch {
	case err != nil:
		h.unavailable(err)
		return false
	case !known || client.Secret != "" && subtle.ConstantTimeCompare([]byte(client.Secret), []byte(secret)) != 1:
		h.fail(http.StatusUnauthorized, oa.InvalidClient, "unknown client, or a wrong secret")
		return false
	case client.ID != clientID:
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "the grant was issued to another client")
		return false
	}
	return true
}

// spend finds a single-use grant (kind/key) into v, authenticates its client, and only then
// spends it — so a client library that tries one way of sending its secret and then another
// (x/oauth2 does) does not lose its grant to the first try. A grant that is not there is
// answered as a replay of what spent remembers; ok is false once it answered.
func (h *handling) spend(f url.Values, kind, spent, key, why string, v interface{ owner() (string, string) }) bool {
	if !h.found(h.s.get, kind, spent, key, why, v) {
		return false
	}
	if tenant, client := v.owner(); !h.authenticate(f, tenant, client) {
		return false
	}
	return h.found(h.s.take, kind, spent, key, why, v) // single use from here, even when the exchange fails
}

// found reads kind/key into v with read; it has answered when it is not there.
func (h *handling) found(read func(context.Context, string, string, any) error, kind, spent, key, why string, v any) bool {
	switch err := read(h.ctx(), kind, key, v); {
	case errors.Is(err, errNotFound): // never there, or spent (meanwhile)
		h.replayed(spent, key, why)
		return false
	case err != nil:
		h.unavailable(err)
		return false
	}
	return true
}

func (a *authorization) owner() (string, string) { return a.Tenant, a.ClientID }
func (g *refreshGrant) owner() (string, string)  { return g.Tenant, g.ClientID }

// redeemCode exchanges a code and its PKCE verifier for tokens.
func (h *handling) redeemCode(f url.Values) {
	code := f.Get("code")
	var a authorization
	if !h.spend(f, kindCode, kindSpent, code, "the code is unknown, expired or was used", &a) {
		return
	}
	world, now, ok := h.worldOf(a.Tenant)
	if !ok {
		return
	}
	switch {
	case now.After(a.Expires):
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "the code expired")
		return
	case f.Get("redirect_uri") != a.RedirectURI:
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "redirect_uri differs from the authorization's")
		return
	case h.s.cfg.VerifyPKCE && !pkceMatches(a.Challenge, f.Get("code_verifier")): // REQ-OAUTH-002
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "the code_verifier does not match the code_challenge")
		return
	}
	fam := token("fam_")
	if err := h.s.put(h.ctx(), kindSpent, code, fam, now, now.Add(spentLifetime)); err != nil {
		h.unavailable(err)
		return
	}
	g := refreshGrant{Tenant: a.Tenant, ClientID: a.ClientID, IdentityID: a.IdentityID, Scope: a.Granted, Family: fam,
		AuthTime: a.AuthTime, AAL: a.AAL, AMR: a.AMR, OrgID: a.OrgID}
	h.issue(world, g, a.Nonce, now)
}

// refresh rotates a refresh token (REQ-OAUTH-008).
func (h *handling) refresh(f url.Values) {
	presented := f.Get("refresh_token")
	var g refreshGrant
	if !h.spend(f, kindRefresh, kindRotated, presented, "the refresh token is unknown, expired, revoked or was used", &g) {
		return
	}
	world, now, ok := h.worldOf(g.Tenant)
	if !ok {
		return
	}
	var fam family
	switch err := h.s.get(h.ctx(), kindFamily, g.Family, &fam); {
	case err != nil && !errors.Is(err, errNotFound):
		h.unavailable(err)
		return
	case fam.Revoked || now.After(g.Expires):
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "the refresh token is unknown, expired, revoked or was used")
		return
	}
	if asked := strings.Fields(f.Get("scope")); len(asked) > 0 {
		for _, sc := range asked {
			if !slices.Contains(g.Scope, sc) {
				h.fail(http.StatusBadRequest, oa.InvalidScope, "a refresh may only narrow the scope granted")
				return
			}
		}
		g.Scope = asked
	}
	if err := h.s.put(h.ctx(), kindRotated, presented, g.Family, now, now.Add(spentLifetime)); err != nil {
		h.unavailable(err)
		return
	}
	h.issue(world, g, "", now)
}

// replayed answers a code or refresh token that is not (or no longer) there: if it was used
// before, its family ends (RFC 6749 §4.1.2, RFC 9700 §4.14).
func (h *handling) replayed(kind, key, why string) {
	var fam string
	switch err := h.s.get(h.ctx(), kind, key, &fam); {
	case errors.Is(err, errNotFound):
	case err != nil:
		h.unavailable(err)
		return
	default:
		now := time.Now()
		if err := h.s.put(h.ctx(), kindFamily, fam, family{Revoked: true}, now, now.Add(RefreshLifetime)); err != nil {
			h.unavailable(err)
			return
		}
	}
	h.fail(http.StatusBadRequest, oa.InvalidGrant, why)
}

// issue answers tokens for a grant, with a new refresh token of its family.
func (h *handling) issue(world *tenant.World, g refreshGrant, nonce string, now time.Time) {
	var (
		ident identity.Identity
		org   identity.Organization
		found bool
	)
	if err := world.Store.Read(h.ctx(), func(tx *store.Tx) error {
		ident, found = tx.Identity(g.IdentityID)
		org, _ = tx.Organization(g.OrgID)
		return nil
	}); err != nil {
		h.unavailable(err)
		return
	}
	if !found || ident.State == "inactive" {
		h.fail(http.StatusBadRequest, oa.InvalidGrant, "the account the grant was for is gone or inactive")
		return
	}
	sg, err := h.s.cfg.Key(h.ctx())
	if err != nil {
		h.unavailable(err)
		return
	}
	view := grantView{clientID: g.ClientID, identityID: g.IdentityID, scope: g.Scope, amr: g.AMR, authTime: g.AuthTime, aal: g.AAL, nonce: nonce,
		orgID: org.ID, orgName: org.Name}
	access, err := h.s.accessToken(sg, view, now)
	if err != nil {
		h.unavailable(err)
		return
	}
	out := oa.TokenResponse{AccessToken: access, TokenType: oa.Bearer, ExpiresIn: int(AccessLifetime / time.Second), Scope: strings.Join(g.Scope, " ")}
	if slices.Contains(g.Scope, "openid") {
		id, err := h.s.idToken(sg, view, ident, now)
		if err != nil {
			h.unavailable(err)
			return
		}
		out.IdToken = &id
	}
	rt := token("rt_")
	g.Expires = now.Add(RefreshLifetime)
	if err := h.s.put(h.ctx(), kindRefresh, rt, g, now, g.Expires); err != nil {
		h.unavailable(err)
		return
	}
	out.RefreshToken = &rt
	h.w.Header().Set("Pragma", "no-cache")
	h.json(http.StatusOK, out)
}
