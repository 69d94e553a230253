package oidcprovider

import (
	"encoding/base64"
	"slices"
	"strings"
	"sync"
)

// Account is a test account at the provider.
type Account struct {
	Subject       string `json:"sub"`
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// MaxAccounts bounds the accounts of one realm, and MaxRealms the realms: the authorize page
// creates accounts for anyone, in any realm its URL names. Beyond them the oldest go.
const (
	MaxAccounts = 1000
	MaxRealms   = 4096
)

// Accounts are the provider's test accounts, per realm — the mock's tenant, so parallel test
// suites see their own. The realm "" is the provider's own when nobody names one.
type Accounts struct {
	random func([]byte)

	mu       sync.Mutex
	byRealm  map[string][]Account
	realms   []string          // in the order they were first used
	selected map[string]string // realm → the subject the next authorization completes with
	hostile  map[string]bool   // realm → the next ID token carries a nonce of its own
}

// Add stores an account in realm, giving it a subject if it has none, and returns it. An
// account with the email of an existing one replaces it.
func (a *Accounts) Add(realm string, acc Account) Account {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byRealm == nil {
		a.byRealm = map[string][]Account{}
	}
	if _, known := a.byRealm[realm]; !known {
		if len(a.realms) >= MaxRealms {
			delete(a.byRealm, a.realms[0])
			delete(a.selected, a.realms[0])
			delete(a.hostile, a.realms[0])
			a.realms = a.realms[1:]
		}
		a.realms = append(a.realms, realm)
	}
	list := a.byRealm[realm]
	if i := slices.IndexFunc(list, func(x Account) bool { return strings.EqualFold(x.Email, acc.Email) }); i >= 0 {
		if acc.Subject == "" {
			acc.Subject = list[i].Subject
		}
		list = slices.Delete(slices.Clone(list), i, i+1)
	}
	if acc.Subject == "" {
		b := make([]byte, 12)
		a.random(b)
		acc.Subject = base64.RawURLEncoding.EncodeToString(b)
	}
	if len(list) >= MaxAccounts {
		list = list[1:]
	}
	a.byRealm[realm] = append(slices.Clone(list), acc)
	return acc
}

// List returns realm's accounts, oldest first.
func (a *Accounts) List(realm string) []Account {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.byRealm[realm])
}

// Find returns realm's account with the subject or email given.
func (a *Accounts) Find(realm, subjectOrEmail string) (Account, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, acc := range a.byRealm[realm] {
		if acc.Subject == subjectOrEmail || strings.EqualFold(acc.Email, subjectOrEmail) {
			return acc, true
		}
	}
	return Account{}, false
}

// Select makes the next authorization in realm complete with the account (subject or email)
// without showing the page: how a test signs in without a browser.
func (a *Accounts) Select(realm, subjectOrEmail string) bool {
	acc, ok := a.Find(realm, subjectOrEmail)
	if !ok {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.selected == nil {
		a.selected = map[string]string{}
	}
	a.selected[realm] = acc.Subject
	return true
}

// LieAboutNonce makes the next ID token issued in realm carry a nonce other than the one its
// authorization sent: a hostile provider, to show a relying party refuses it.
func (a *Accounts) LieAboutNonce(realm string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.hostile == nil {
		a.hostile = map[string]bool{}
	}
	a.hostile[realm] = true
}

// takeHostile reports, once, whether realm's next ID token lies about its nonce.
func (a *Accounts) takeHostile(realm string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := a.hostile[realm]
	delete(a.hostile, realm)
	return h
}

// takeSelected returns and forgets realm's selected account.
func (a *Accounts) takeSelected(realm string) (Account, bool) {
	a.mu.Lock()
	sub, ok := a.selected[realm]
	delete(a.selected, realm)
	a.mu.Unlock()
	if !ok {
		return Account{}, false
	}
	return a.Find(realm, sub)
}

// Reset forgets realm's accounts and selection.
func (a *Accounts) Reset(realm string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byRealm, realm)
	delete(a.selected, realm)
	delete(a.hostile, realm)
	a.realms = slices.DeleteFunc(a.realms, func(r string) bool { return r == realm })
}
