package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// secretKey holds what every replica derives the same values from (the built-in providers'
// signing keys and client secrets).
const secretKey = "idf:secret"

// Secret returns the secret the replicas share, made by the first replica that asks.
func (s *Shared) Secret(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	if err := s.db.SetNX(ctx, secretKey, base64.RawURLEncoding.EncodeToString(b), 0).Err(); err != nil {
		return nil, unavailable("secret", err)
	}
	v, err := s.db.Get(ctx, secretKey).Result()
	if err != nil {
		return nil, unavailable("secret", err)
	}
	return base64.RawURLEncoding.DecodeString(v)
}

// Provider returns the store of the built-in provider name: a code issued through one
// replica is redeemed through another, and a tenant's test accounts are the same on all.
func (s *Shared) Provider(name string) oidcprovider.Store { return &providerStore{s: s, name: name} }

type providerStore struct {
	s    *Shared
	name string
}

func (p *providerStore) grantKey(kind, key string) string {
	return "idf:oidc:" + p.name + ":" + kind + ":" + key
}

// realmKey is under the tenant's hash tag, beside its other keys.
func (p *providerStore) realmKey(realm string) string {
	return keysOf(realm).prefix + "oidc:" + p.name
}

func (p *providerStore) PutGrant(ctx context.Context, kind, key string, g oidcprovider.Grant) error {
	ttl := max(time.Until(g.Expires), time.Millisecond)
	return wrap("provider", p.s.db.Set(ctx, p.grantKey(kind, key), encode(g), ttl).Err())
}

func (p *providerStore) grant(cmd *redis.StringCmd) (oidcprovider.Grant, bool, error) {
	v, err := cmd.Result()
	if errors.Is(err, redis.Nil) {
		return oidcprovider.Grant{}, false, nil
	}
	if err != nil {
		return oidcprovider.Grant{}, false, unavailable("provider", err)
	}
	g, err := decodeValue[oidcprovider.Grant](v)
	return g, err == nil, wrap("provider", err)
}

func (p *providerStore) TakeGrant(ctx context.Context, kind, key string) (oidcprovider.Grant, bool, error) {
	return p.grant(p.s.db.GetDel(ctx, p.grantKey(kind, key)))
}

func (p *providerStore) Grant(ctx context.Context, kind, key string) (oidcprovider.Grant, bool, error) {
	return p.grant(p.s.db.Get(ctx, p.grantKey(kind, key)))
}

func (p *providerStore) ViewRealm(ctx context.Context, realm string) (oidcprovider.Realm, error) {
	v, err := p.s.db.Get(ctx, p.realmKey(realm)).Result()
	if errors.Is(err, redis.Nil) {
		return oidcprovider.Realm{}, nil
	}
	if err != nil {
		return oidcprovider.Realm{}, unavailable("provider", err)
	}
	r, err := decodeValue[oidcprovider.Realm](v)
	return r, wrap("provider", err)
}

// UpdateRealm is optimistic (WATCH/MULTI): fn only edits the realm, so running it again
// after another replica's change is safe, and realms are rarely written.
func (p *providerStore) UpdateRealm(ctx context.Context, realm string, fn func(*oidcprovider.Realm)) error {
	key := p.realmKey(realm)
	for range 50 {
		err := p.s.db.Watch(ctx, func(tx *redis.Tx) error {
			r, err := p.ViewRealm(ctx, realm)
			if err != nil {
				return err
			}
			fn(&r)
			_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
				if r.Accounts == nil && r.Selected == "" && !r.Hostile {
					pipe.Del(ctx, key)
				} else {
					pipe.Set(ctx, key, encode(r), p.s.IdleTTL)
				}
				return nil
			})
			return err
		}, key)
		if !errors.Is(err, redis.TxFailedErr) {
			return wrap("provider", err)
		}
	}
	return unavailable("provider", errors.New("the realm kept changing"))
}

// Keep returns the value every replica shares under name, made by the first replica that
// asks (the authorization server's signing key).
func (s *Shared) Keep(ctx context.Context, name string, make func() ([]byte, error)) ([]byte, error) {
	key := "idf:keep:" + name
	if v, err := s.db.Get(ctx, key).Result(); err == nil {
		return base64.RawURLEncoding.DecodeString(v)
	} else if !errors.Is(err, redis.Nil) {
		return nil, unavailable("keep", err)
	}
	made, err := make()
	if err != nil {
		return nil, err
	}
	if err := s.db.SetNX(ctx, key, base64.RawURLEncoding.EncodeToString(made), 0).Err(); err != nil {
		return nil, unavailable("keep", err)
	}
	v, err := s.db.Get(ctx, key).Result() // another replica's, if it was first
	if err != nil {
		return nil, unavailable("keep", err)
	}
	return base64.RawURLEncoding.DecodeString(v)
}
