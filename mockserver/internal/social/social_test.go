package social_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

const callback = "http://mock.test/v1/flows/oidc/callback/google"

// code runs an authorization at the provider for the account, as a browser would, and
// returns the code the provider sends back.
func code(t *testing.T, p *social.Provider, idp *oidcprovider.Provider, nonce, verifier string) string {
	t.Helper()
	auth, err := p.AuthURL("state", nonce, verifier, "")
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, auth+"&login_hint=ada%40example.com", nil)
	require.NoError(t, err)
	idp.ServeHTTP(rec, req)
	require.Equal(t, http.StatusFound, rec.Code)
	loc, err := url.Parse(rec.Header().Get("Location"))
	require.NoError(t, err)
	return loc.Query().Get("code")
}

// The relying party believes an ID token only when it is for this sign-in: the nonce the flow
// sent, the mock as audience, signed by the provider's key.
func TestExchangeChecksTheIDToken(t *testing.T) {
	idp, err := oidcprovider.New(oidcprovider.Config{Issuer: "http://mock.test/_mock/oidc/google",
		Clients: []oidcprovider.Client{{ID: "mock", Secret: "s", RedirectURIs: []string{callback}}, {ID: "other", Secret: "o", RedirectURIs: []string{callback}}}})
	require.NoError(t, err)
	_, err = idp.Accounts.Add(t.Context(), "", oidcprovider.Account{Email: "ada@example.com", EmailVerified: true})
	require.NoError(t, err)
	rp := func(client, secret string) *social.Provider {
		p := social.New(social.Config{Name: "google", Issuer: idp.Issuer(), ClientID: client, ClientSecret: secret, RedirectURL: callback, HTTPClient: social.InProcess(idp)})
		require.NoError(t, p.Ready(t.Context()))
		return p
	}
	mock := rp("mock", "s")
	verifier := "a-verifier-of-at-least-forty-three-characters-0123456789"

	claims, err := mock.Exchange(t.Context(), code(t, mock, idp, "n1", verifier), verifier, "n1", true)
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", claims.Email)

	_, err = mock.Exchange(t.Context(), code(t, mock, idp, "n1", verifier), verifier, "another sign-in's nonce", true)
	assert.ErrorContains(t, err, "nonce")

	other := rp("other", "o") // a token issued to another client is not the mock's
	c := code(t, other, idp, "n2", verifier)
	tokenForOther, err := other.Exchange(t.Context(), c, verifier, "n2", true)
	require.NoError(t, err)
	require.NotEmpty(t, tokenForOther.Subject)
	_, err = mock.Exchange(t.Context(), code(t, other, idp, "n3", verifier), verifier, "n3", true)
	assert.ErrorContains(t, err, "refused", "the mock cannot redeem another client's code")

	_, err = social.New(social.Config{Name: "x", Issuer: idp.Issuer()}).AuthURL("s", "n", verifier, "")
	assert.ErrorIs(t, err, social.ErrNotReady)
}

// A callback may reach a process that did not start the sign-in (another replica, or this one
// restarted): it discovers the provider then, instead of failing.
func TestExchangeInAProcessThatDidNotStartTheSignIn(t *testing.T) {
	idp, err := oidcprovider.New(oidcprovider.Config{Issuer: "http://mock.test/_mock/oidc/google",
		Clients: []oidcprovider.Client{{ID: "mock", Secret: "s", RedirectURIs: []string{callback}}}})
	require.NoError(t, err)
	_, err = idp.Accounts.Add(t.Context(), "", oidcprovider.Account{Email: "ada@example.com", EmailVerified: true})
	require.NoError(t, err)
	cfg := social.Config{Name: "google", Issuer: idp.Issuer(), ClientID: "mock", ClientSecret: "s", RedirectURL: callback, HTTPClient: social.InProcess(idp)}
	started, other := social.New(cfg), social.New(cfg)
	require.NoError(t, started.Ready(t.Context()))
	verifier := "a-verifier-of-at-least-forty-three-characters-0123456789"
	claims, err := other.Exchange(t.Context(), code(t, started, idp, "n1", verifier), verifier, "n1", true)
	require.NoError(t, err)
	assert.Equal(t, "ada@example.com", claims.Email)
}
