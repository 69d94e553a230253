package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// The test accounts of the built-in providers, per tenant (the provider's realm).

func (c *controlAPI) ListSocialAccounts(ctx context.Context, req control.ListSocialAccountsRequestObject) (control.ListSocialAccountsResponseObject, error) {
	p, ok := c.s.providers[req.Provider]
	if !ok {
		return nil, noSuchProvider()
	}
	out := control.SocialAccountList{Accounts: []control.SocialAccount{}}
	accounts, err := p.Accounts.List(ctx, callFrom(ctx).world.Name)
	if err != nil {
		return nil, err
	}
	for _, a := range accounts {
		out.Accounts = append(out.Accounts, socialAccount(a))
	}
	return control.ListSocialAccounts200JSONResponse(out), nil
}

func (c *controlAPI) SeedSocialAccount(ctx context.Context, req control.SeedSocialAccountRequestObject) (control.SeedSocialAccountResponseObject, error) {
	p, ok := c.s.providers[req.Provider]
	if !ok {
		return nil, noSuchProvider()
	}
	b := req.Body
	realm := callFrom(ctx).world.Name
	acc, err := p.Accounts.Add(ctx, realm, oidcprovider.Account{Email: string(b.Email), Name: deref(b.Name), EmailVerified: b.EmailVerified == nil || *b.EmailVerified})
	if err == nil && deref(b.Next) {
		_, err = p.Accounts.Select(ctx, realm, acc.Subject)
	}
	if err == nil && deref(b.LieAboutNonce) {
		err = p.Accounts.LieAboutNonce(ctx, realm)
	}
	if err != nil {
		return nil, err
	}
	return control.SeedSocialAccount201JSONResponse(socialAccount(acc)), nil
}

func socialAccount(a oidcprovider.Account) control.SocialAccount {
	out := control.SocialAccount{Sub: a.Subject, Email: a.Email, EmailVerified: a.EmailVerified}
	if a.Name != "" {
		out.Name = &a.Name
	}
	return out
}

func noSuchProvider() error {
	return apierr.New(apierr.NotFound, "The mock serves no provider of that name (see --oidc-builtin).")
}
