// Package redisstate keeps the mock's tenants in Redis, so that several replicas of the mock
// behind a load balancer are one mock: a flow made on one is submitted on another, a code
// spent on one is refused by the other, and the control plane (reset, seed, clock, outbox,
// faults, journal) acts on all of them.
//
// How a transaction stays atomic: a write transaction holds the tenant's lease (SET NX PX
// with a random token), reads through to Redis, buffers its writes, and commits them with one
// Lua script that applies them only if the lease is still its own. A lease rather than
// WATCH/MULTI because the mock's transactions are not safe to run twice (they send mail) and
// every sign-in of a tenant touches the same rate-limit window, which would make optimistic
// transactions retry each other in a storm; the Lua commit fences a lease that ran out.
//
// Keys are per tenant, all with the tenant in a hash tag ({name}). Flows, sessions, their
// token index and rate-limit windows are keys of their own whose TTL sweeps them; they carry
// the tenant's generation, which a reset increments, so a reset forgets them at once. Values
// are JSON behind a one-byte version, and an entry of another version is refused, never
// misread (a rolling upgrade changes the version).
package redisstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

func init() {
	// go-redis logs dial failures on its own; the mock reports them as 503s and in its log.
	redis.SetLogger(quiet{})
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Shared is a Redis that keeps tenants; it is a tenant.Shared.
type Shared struct {
	db *redis.Client
	// IdleTTL is how long a tenant nobody uses is kept.
	IdleTTL time.Duration
	// Lease is how long a write transaction may hold a tenant: after that another may take it,
	// and the late transaction's commit is refused.
	Lease time.Duration
	// MaxWait bounds how long a transaction waits for a tenant's lease.
	MaxWait time.Duration
}

// Open connects to the Redis a redis:// URL names (redis://host:port/db, with user and
// password when it has them) and checks that it answers.
func Open(ctx context.Context, url string) (*Shared, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisstate: %w", err)
	}
	// A command is never retried: a commit whose answer was lost may have been applied, and
	// a request answered 503 is the honest outcome (the client retries).
	opts.MaxRetries = -1
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 2*time.Second, 2*time.Second
	// Redis down is answered at once (a 503), not after rounds of dialling; the pool keeps
	// probing in the background and reconnects when it is back.
	opts.DialerRetries, opts.DialerRetryTimeout = 1, 50*time.Millisecond
	opts.PoolSize = 64
	db := redis.NewClient(opts)
	ping, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := db.Ping(ping).Err(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("redisstate: %s does not answer: %w", redact(opts), err)
	}
	return &Shared{db: db, IdleTTL: 7 * 24 * time.Hour, Lease: 5 * time.Second, MaxWait: 10 * time.Second}, nil
}

func redact(o *redis.Options) string { return "redis://" + o.Addr + "/" + strconv.Itoa(o.DB) }

// Ping checks that Redis answers.
func (s *Shared) Ping(ctx context.Context) error { return wrap("ping", s.db.Ping(ctx).Err()) }

// Close closes the connections.
func (s *Shared) Close() error { return s.db.Close() }

// keys are one tenant's key names.
type keys struct{ prefix string }

func keysOf(name string) keys { return keys{prefix: "idf:{" + name + "}:"} }

func (k keys) meta() string       { return k.prefix + "meta" } // gen, seeded, clock offset
func (k keys) lock() string       { return k.prefix + "lock" }
func (k keys) identities() string { return k.prefix + "i" }
func (k keys) index() string      { return k.prefix + "x" } // e:email, u:username, s:provider|subject → id
func (k keys) orgs() string       { return k.prefix + "o" }
func (k keys) flowOrder() string  { return k.prefix + "F" } // flow id by when it is swept (unix ms)
func (k keys) sessOrder() string  { return k.prefix + "S" }
func (k keys) outbox() string     { return k.prefix + "out" }
func (k keys) outboxSeq() string  { return k.prefix + "outseq" }
func (k keys) journal() string    { return k.prefix + "jr" }
func (k keys) faults() string     { return k.prefix + "flt" }
func (k keys) faultSeq() string   { return k.prefix + "fltseq" }
func (k keys) item(gen string) string {
	return k.prefix + gen + ":" // flows f:, sessions s:, tokens t:, windows w:, sessions of an identity u:
}

// tenantsKey ranks the tenants by when they were last used (unix ms).
const tenantsKey = "idf:tenants"

// fixed are the keys a reset deletes and a commit keeps for the idle TTL (the flow and session
// orders first: the commit script sweeps them); the rest carry the generation a reset
// increments.
func (k keys) fixed() []string {
	return []string{k.flowOrder(), k.sessOrder(), k.identities(), k.index(), k.orgs(), k.outbox(), k.outboxSeq(),
		k.journal(), k.faults(), k.faultSeq()}
}

// version is the first byte of every value; a value of another version is refused.
const version = '1'

// unavailable wraps a Redis failure as the store's ErrUnavailable.
func unavailable(what string, err error) error {
	return fmt.Errorf("%w: %s: %v", store.ErrUnavailable, what, err)
}

// Parts returns the named tenant's parts in Redis.
func (s *Shared) Parts(name string, base clock.Clock, limits store.Limits) tenant.Parts {
	k := keysOf(name)
	clk := &sharedClock{s: s, k: k, base: base}
	return tenant.Parts{
		Store:   &backend{s: s, k: k, name: name, limits: limits, clock: clk},
		Clock:   clk,
		Outbox:  &sharedOutbox{s: s, k: k},
		Faults:  &sharedFaults{s: s, k: k},
		Journal: &sharedJournal{s: s, k: k, base: base},
	}
}

// resetScript deletes a tenant's fixed keys and moves it to a new generation, under the
// lease (KEYS[1], ARGV[1]) so that no transaction in flight writes the old state back.
var resetScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('HINCRBY', KEYS[2], 'gen', 1)
redis.call('HDEL', KEYS[2], 'seeded', 'clock')
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
redis.call('DEL', KEYS[1])
return 1
`)

// Reset deletes everything the tenant keeps, at once; its next transaction seeds it.
func (s *Shared) Reset(ctx context.Context, name string) error {
	k := keysOf(name)
	token, err := s.lease(ctx, k)
	if err != nil {
		return err
	}
	ok, err := resetScript.Run(ctx, s.db, append([]string{k.lock(), k.meta()}, k.fixed()...), token).Int()
	switch {
	case err != nil:
		return unavailable("reset", err)
	case ok != 1:
		return fmt.Errorf("%w: reset: the tenant's lease ran out", store.ErrUnavailable)
	}
	return nil
}

// Used lists the tenants used within IdleTTL, the most recently used first.
func (s *Shared) Used(ctx context.Context) ([]tenant.Used, error) {
	now, err := s.db.Time(ctx).Result()
	if err != nil {
		return nil, unavailable("tenants", err)
	}
	zs, err := s.db.ZRevRangeByScoreWithScores(ctx, tenantsKey, &redis.ZRangeBy{
		Min: strconv.FormatInt(now.Add(-s.IdleTTL).UnixMilli(), 10), Max: "+inf", Count: 1000}).Result()
	if err != nil {
		return nil, unavailable("tenants", err)
	}
	out := make([]tenant.Used, 0, len(zs))
	for _, z := range zs {
		out = append(out, tenant.Used{Name: z.Member.(string), LastUsed: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return out, nil
}

// lease takes the tenant's lease, waiting (with backoff, at most MaxWait) while another
// transaction holds it, and returns its token.
func (s *Shared) lease(ctx context.Context, k keys) (string, error) {
	token := newToken()
	_, err := s.leaseAnd(ctx, k, token, nil)
	return token, err
}

// leaseAnd takes the lease like lease, sending then (which may be nil) in the same round
// trip, after the lease: what it reads is read under the lease.
func (s *Shared) leaseAnd(ctx context.Context, k keys, token string, then func(redis.Pipeliner) *redis.SliceCmd) ([]any, error) {
	deadline := time.Now().Add(s.MaxWait)
	wait := 50 * time.Microsecond
	for {
		var got *redis.SliceCmd
		cmds, err := s.db.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.SetNX(ctx, k.lock(), token, s.Lease)
			if then != nil {
				got = then(p)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, unavailable("lease", err)
		}
		if cmds[0].(*redis.BoolCmd).Val() {
			if got == nil {
				return nil, nil
			}
			return got.Val(), nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w: the tenant stayed busy for %s", store.ErrUnavailable, s.MaxWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 2*time.Millisecond)
	}
}

// releaseScript gives a lease back if it is still the token's.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
