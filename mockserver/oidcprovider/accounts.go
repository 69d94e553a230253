package oidcprovider

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
)

// Account is a test account at the provider.
type Account struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// MaxAccounts bounds the accounts of one realm, and MaxRealms the realms a provider keeps in
// memory: the authorize page creates accounts for anyone, in any realm its URL names. Beyond
// them the oldest go.
const (
	MaxAccounts = 1000
	MaxRealms   = 4096
)

// Accounts are the provider's test accounts, per realm — the mock's tenant, so parallel test
// suites see their own. The realm "" is the provider's own when nobody names one.
type Accounts struct {
	random func([]byte)
	store  Store
}

// Add stores an account in realm, giving it a subject if it has none, and returns it. An
// account with the email of an existing one replaces it.
func (a *Accounts) Add(ctx context.Context, realm string, acc Account) (Account, error) {
	if acc.Subject == "" {
		b := make([]byte, 12)
		a.random(b)
		acc.Subject = base64.RawURLEncoding.EncodeToString(b)
	}
	fresh := acc.Subject
	err := a.store.UpdateRealm(ctx, realm, func(r *Realm) {
		acc.Subject = fresh
		list := r.Accounts
		if i := slices.IndexFunc(list, func(x Account) bool { return strings.EqualFold(x.Email, acc.Email) }); i >= 0 {
			acc.Subject = list[i].Subject // the same person keeps their subject
			list = slices.Delete(slices.Clone(list), i, i+1)
		}
		if len(list) >= MaxAccounts {
			list = list[1:]
		}
		r.Accounts = append(slices.Clone(list), acc)
	})
	return acc, err
}

// List returns realm's accounts, oldest first.
func (a *Accounts) List(ctx context.Context, realm string) ([]Account, error) {
	r, err := a.store.ViewRealm(ctx, realm)
	return r.Accounts, err
}

// Find returns realm's account with the subject or email given.
func (a *Accounts) Find(ctx context.Context, realm, subjectOrEmail string) (Account, bool, error) {
	r, err := a.store.ViewRealm(ctx, realm)
	acc, ok := find(r, subjectOrEmail)
	return acc, ok, err
}

func find(r Realm, subjectOrEmail string) (Account, bool) {
	for _, acc := range r.Accounts {
		if acc.Subject == subjectOrEmail || strings.EqualFold(acc.Email, subjectOrEmail) {
			return acc, true
		}
	}
	return Account{}, false
}

// Select makes the next authorization in realm complete with the account (subject or email)
// without showing the page: how a test signs in without a browser.
func (a *Accounts) Select(ctx context.Context, realm, subjectOrEmail string) (bool, error) {
	found := false
	err := a.store.UpdateRealm(ctx, realm, func(r *Realm) {
		if acc, ok := find(*r, subjectOrEmail); ok {
			r.Selected, found = acc.Subject, true
		}
	})
	return found, err
}

// LieAboutNonce makes the next ID token issued in realm carry a nonce other than the one its
// authorization sent: a hostile provider, to show a relying party refuses it.
func (a *Accounts) LieAboutNonce(ctx context.Context, realm string) error {
	return a.store.UpdateRealm(ctx, realm, func(r *Realm) { r.Hostile = true })
}

// takeHostile reports, once, whether realm's next ID token lies about its nonce.
func (a *Accounts) takeHostile(ctx context.Context, realm string) (bool, error) {
	r, err := a.store.ViewRealm(ctx, realm)
	if err != nil || !r.Hostile {
		return false, err
	}
	hostile := false
	err = a.store.UpdateRealm(ctx, realm, func(r *Realm) { hostile, r.Hostile = r.Hostile, false })
	return hostile, err
}

// takeSelected returns and forgets realm's selected account.
func (a *Accounts) takeSelected(ctx context.Context, realm string) (Account, bool, error) {
	r, err := a.store.ViewRealm(ctx, realm)
	if err != nil || r.Selected == "" {
		return Account{}, false, err
	}
	var acc Account
	found := false
	err = a.store.UpdateRealm(ctx, realm, func(r *Realm) {
		if r.Selected != "" {
			acc, found = find(*r, r.Selected)
			r.Selected = ""
		}
	})
	return acc, found, err
}

// Reset forgets realm's accounts and selection.
func (a *Accounts) Reset(ctx context.Context, realm string) error {
	return a.store.UpdateRealm(ctx, realm, func(r *Realm) { *r = Realm{} })
}
