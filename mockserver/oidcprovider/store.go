package oidcprovider

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Grant is what an authorization code, and then its access token, stands for.
type Grant struct {
	Client, RedirectURI, Nonce string
	Challenge                  string // S256 code challenge, or ""
	Account                    Account
	Expires                    time.Time
	// Data is an opaque record of another user of the store (the mock's own authorization
	// server keeps its challenges, codes and refresh tokens here).
	Data []byte `json:",omitempty"`
}

// Realm is one realm's state at the provider: its accounts (oldest first), the account its
// next authorization completes with, and whether its next ID token lies about the nonce.
type Realm struct {
	Accounts []Account
	Selected string
	Hostile  bool
}

// Kinds of grant.
const (
	KindCode  = "code"
	KindToken = "token"
)

// ErrFull is what PutGrant answers when as many grants are outstanding as may be.
var ErrFull = errors.New("oidcprovider: too many codes or tokens outstanding")

// Store keeps what a provider remembers between requests: its codes and tokens, and its
// realms. NewMemoryStore (the default) keeps them in the process; a store several replicas
// share lets one redeem a code another issued.
type Store interface {
	// PutGrant keeps a code or token (kind) until it expires, or answers ErrFull.
	PutGrant(ctx context.Context, kind, key string, g Grant) error
	// TakeGrant returns a grant and forgets it: a code is single use.
	TakeGrant(ctx context.Context, kind, key string) (Grant, bool, error)
	// Grant returns a grant.
	Grant(ctx context.Context, kind, key string) (Grant, bool, error)
	// UpdateRealm runs fn on the realm's state as one step; ViewRealm reads it.
	UpdateRealm(ctx context.Context, realm string, fn func(*Realm)) error
	ViewRealm(ctx context.Context, realm string) (Realm, error)
}

// memoryStore is a Store in the process, bounded: at most MaxOutstanding codes and tokens
// (swept as they expire) and MaxRealms realms (the oldest first going).
type memoryStore struct {
	now func() time.Time

	mu     sync.Mutex
	grants map[string]Grant // kind + "\x00" + key
	realms map[string]*Realm
	order  []string // realms in the order they were first used
}

// NewMemoryStore returns a Store in the process, on the clock now.
func NewMemoryStore(now func() time.Time) Store {
	return &memoryStore{now: now, grants: map[string]Grant{}, realms: map[string]*Realm{}}
}

func (m *memoryStore) PutGrant(_ context.Context, kind, key string, g Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.grants) >= MaxOutstanding { // full: drop what expired, so the map holds what is in use
		now := m.now()
		for k, old := range m.grants {
			if now.After(old.Expires) {
				delete(m.grants, k)
			}
		}
	}
	if len(m.grants) >= MaxOutstanding {
		return ErrFull
	}
	m.grants[kind+"\x00"+key] = g
	return nil
}

func (m *memoryStore) TakeGrant(_ context.Context, kind, key string) (Grant, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[kind+"\x00"+key]
	delete(m.grants, kind+"\x00"+key)
	return g, ok, nil
}

func (m *memoryStore) Grant(_ context.Context, kind, key string) (Grant, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[kind+"\x00"+key]
	return g, ok, nil
}

func (m *memoryStore) UpdateRealm(_ context.Context, realm string, fn func(*Realm)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.realms[realm]
	if !ok {
		if len(m.order) >= MaxRealms {
			delete(m.realms, m.order[0])
			m.order = m.order[1:]
		}
		r = &Realm{}
		m.realms[realm] = r
		m.order = append(m.order, realm)
	}
	fn(r)
	if r.Accounts == nil && r.Selected == "" && !r.Hostile { // reset: forgotten
		delete(m.realms, realm)
		m.order = slices.DeleteFunc(m.order, func(x string) bool { return x == realm })
	}
	return nil
}

func (m *memoryStore) ViewRealm(_ context.Context, realm string) (Realm, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.realms[realm]; ok {
		return Realm{Accounts: slices.Clone(r.Accounts), Selected: r.Selected, Hostile: r.Hostile}, nil
	}
	return Realm{}, nil
}
