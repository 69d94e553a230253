package redisstate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// backend is one tenant's store.Backend in Redis.
type backend struct {
	s      *Shared
	k      keys
	name   string
	limits store.Limits
	clock  *sharedClock
	// writing queues this process's write transactions on the tenant, so that only one of
	// them at a time asks Redis for the lease instead of all of them spinning on it.
	writing sync.Mutex
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin reads the tenant's generation, whether it is seeded and its clock in one round trip
// — for a write, the same as the one that takes the lease.
func (b *backend) Begin(ctx context.Context, write bool) (store.State, time.Time, error) {
	tx := &rtx{ctx: ctx, b: b, write: write}
	meta := func(p redis.Pipeliner) *redis.SliceCmd { return p.HMGet(ctx, b.k.meta(), "gen", "seeded", "clock") }
	var vals []any
	var err error
	if write {
		b.writing.Lock()
		tx.token = newToken()
		vals, err = b.s.leaseAnd(ctx, b.k, tx.token, meta)
		if err != nil {
			b.writing.Unlock()
		}
	} else {
		vals, err = b.s.db.HMGet(ctx, b.k.meta(), "gen", "seeded", "clock").Result()
		if err != nil {
			err = unavailable("begin", err)
		}
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	tx.gen = "0"
	if g, ok := vals[0].(string); ok {
		tx.gen = g
	}
	tx.seeded = vals[1] != nil
	offset, _ := vals[2].(string)
	tx.now = b.clock.at(offset)
	tx.items = b.k.item(tx.gen)
	return tx, tx.now, nil
}

func (b *backend) Reset(ctx context.Context) error { return b.s.Reset(ctx, b.name) }

func (b *backend) Counts(ctx context.Context) (flows, sessions, identities int, err error) {
	t, err := b.s.db.Time(ctx).Result()
	if err != nil {
		return 0, 0, 0, unavailable("counts", err)
	}
	now := strconv.FormatInt(t.UnixMilli(), 10)
	var f, s, i *redis.IntCmd
	_, err = b.s.db.Pipelined(ctx, func(p redis.Pipeliner) error {
		f = p.ZCount(ctx, b.k.flowOrder(), "("+now, "+inf")
		s = p.ZCount(ctx, b.k.sessOrder(), "("+now, "+inf")
		i = p.HLen(ctx, b.k.identities())
		return nil
	})
	if err != nil {
		return 0, 0, 0, unavailable("counts", err)
	}
	return int(f.Val()), int(s.Val()), int(i.Val()), nil
}

// rtx is one transaction: reads go to Redis (after its own writes), writes are buffered and
// committed at End by commitScript.
type rtx struct {
	ctx    context.Context
	b      *backend
	write  bool
	token  string // the lease's
	now    time.Time
	gen    string
	items  string // the prefix of this generation's per-item keys
	seeded bool
	err    error // the first failure: from then on nothing is found and nothing is kept

	pending map[string]*string // keys and hash fields written ("hash\x00field"); nil is deleted
	ops     []any              // the commit script's operations, four arguments each
}

// fail records the first failure.
func (t *rtx) fail(what string, err error) {
	if t.err == nil {
		t.err = unavailable(what, err)
	}
}

func (t *rtx) Seeded() bool { return t.seeded }
func (t *rtx) MarkSeeded() {
	t.seeded = true
	t.op("hset", t.b.k.meta(), "seeded", "1")
}

// op buffers one write for the commit script.
func (t *rtx) op(name, key, a, b string) {
	t.ops = append(t.ops, name, key, a, b)
}

// put notes a value the transaction wrote, for its own reads.
func (t *rtx) put(key string, v *string) {
	if t.pending == nil {
		t.pending = map[string]*string{}
	}
	t.pending[key] = v
}

// get reads a key, the transaction's own write first.
func (t *rtx) get(key string) (string, bool) {
	if v, ok := t.pending[key]; ok {
		return deref(v)
	}
	if t.err != nil {
		return "", false
	}
	v, err := t.b.s.db.Get(t.ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return "", false
	}
	if err != nil {
		t.fail("get", err)
		return "", false
	}
	return v, true
}

// hget reads a hash field, the transaction's own write first.
func (t *rtx) hget(key, field string) (string, bool) {
	if v, ok := t.pending[key+"\x00"+field]; ok {
		return deref(v)
	}
	if t.err != nil {
		return "", false
	}
	v, err := t.b.s.db.HGet(t.ctx, key, field).Result()
	if errors.Is(err, redis.Nil) {
		return "", false
	}
	if err != nil {
		t.fail("hget", err)
		return "", false
	}
	return v, true
}

func deref(v *string) (string, bool) {
	if v == nil {
		return "", false
	}
	return *v, true
}

func (t *rtx) hset(key, field, value string) {
	t.put(key+"\x00"+field, &value)
	t.op("hset", key, field, value)
}

func (t *rtx) hdel(key, field string) {
	t.put(key+"\x00"+field, nil)
	t.op("hdel", key, field, "")
}

// setItem writes a per-item key that lives until until (tenant time), and ranks it in order
// (a sorted set by when it is swept) when order is set.
func (t *rtx) setItem(key, value string, until time.Time, order, member string) {
	ttl := max(until.Sub(t.now), time.Millisecond)
	t.put(key, &value)
	t.op("set", key, value, strconv.FormatInt(ttl.Milliseconds(), 10))
	if order != "" { // ranked by when Redis's clock sweeps it
		t.op("zadd", order, strconv.FormatInt(ttl.Milliseconds(), 10), member)
	}
}

// encode is a value as stored: the version byte and JSON.
func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // the mock's own types always encode
		panic(fmt.Sprintf("redisstate: encode %T: %v", v, err))
	}
	return string(version) + string(b)
}

// decode reads a value stored by encode, noting a failure in the transaction.
func decode[T any](t *rtx, s string) (T, bool) {
	v, err := decodeValue[T](s)
	if err != nil {
		t.fail("decode", err)
	}
	return v, err == nil
}

// decodeValue reads a value stored by encode; one of another version is refused, not guessed at.
func decodeValue[T any](s string) (T, error) {
	var v T
	if len(s) == 0 || s[0] != version {
		return v, fmt.Errorf("a %T of another version (%.1q); is every replica the same version?", v, s)
	}
	if err := json.Unmarshal([]byte(s[1:]), &v); err != nil {
		return v, fmt.Errorf("%T: %w", v, err)
	}
	return v, nil
}

func (t *rtx) flowKey(id string) string       { return t.items + "f:" + id }
func (t *rtx) sessKey(id string) string       { return t.items + "s:" + id }
func (t *rtx) tokenKey(tok string) string     { return t.items + "t:" + tok }
func (t *rtx) windowKey(key string) string    { return t.items + "w:" + key }
func (t *rtx) sessionsOf(ident string) string { return t.items + "u:" + ident }

func socialField(l identity.SocialLink) string { return "s:" + l.Provider + "|" + l.Subject }

func (t *rtx) Identity(id string) (identity.Identity, bool) {
	if id == "" { // nobody: no round trip
		return identity.Identity{}, false
	}
	v, ok := t.hget(t.b.k.identities(), id)
	if !ok {
		return identity.Identity{}, false
	}
	return decode[identity.Identity](t, v)
}

func (t *rtx) byIndex(field string) (identity.Identity, bool) {
	id, ok := t.hget(t.b.k.index(), field)
	if !ok {
		return identity.Identity{}, false
	}
	return t.Identity(id)
}

func (t *rtx) IdentityByKey(key string) (identity.Identity, bool) {
	if i, ok := t.byIndex("e:" + key); ok {
		return i, true
	}
	return t.byIndex("u:" + key)
}

func (t *rtx) IdentityBySocial(l identity.SocialLink) (identity.Identity, bool) {
	return t.byIndex(socialField(l))
}

func (t *rtx) Identities() []identity.Identity {
	all := t.hgetall(t.b.k.identities())
	out := make([]identity.Identity, 0, len(all))
	for _, v := range all {
		if i, ok := decode[identity.Identity](t, v); ok {
			out = append(out, i)
		}
	}
	store.SortIdentities(out)
	return out
}

// hgetall reads a whole hash with the transaction's own writes.
func (t *rtx) hgetall(key string) map[string]string {
	all := map[string]string{}
	if t.err == nil {
		got, err := t.b.s.db.HGetAll(t.ctx, key).Result()
		if err != nil {
			t.fail("hgetall", err)
		} else {
			all = got
		}
	}
	for k, v := range t.pending {
		if field, ok := strings.CutPrefix(k, key+"\x00"); ok {
			if v == nil {
				delete(all, field)
			} else {
				all[field] = *v
			}
		}
	}
	return all
}

func (t *rtx) PutIdentity(i identity.Identity) error {
	email, username := store.IndexKeys(i)
	taken := func(field string) bool {
		other, ok := t.hget(t.b.k.index(), field)
		return ok && other != i.ID
	}
	if taken("e:"+email) || (username != "" && taken("u:"+username)) {
		return store.ErrDuplicate
	}
	for _, l := range i.Social {
		if taken(socialField(l)) {
			return store.ErrDuplicate
		}
	}
	if old, ok := t.Identity(i.ID); ok {
		oldEmail, oldUsername := store.IndexKeys(old)
		t.hdel(t.b.k.index(), "e:"+oldEmail)
		if oldUsername != "" {
			t.hdel(t.b.k.index(), "u:"+oldUsername)
		}
		for _, l := range old.Social {
			t.hdel(t.b.k.index(), socialField(l))
		}
	}
	t.hset(t.b.k.identities(), i.ID, encode(i))
	t.hset(t.b.k.index(), "e:"+email, i.ID)
	if username != "" {
		t.hset(t.b.k.index(), "u:"+username, i.ID)
	}
	for _, l := range i.Social {
		t.hset(t.b.k.index(), socialField(l), i.ID)
	}
	return nil
}

func (t *rtx) Organization(id string) (identity.Organization, bool) {
	v, ok := t.hget(t.b.k.orgs(), id)
	if !ok {
		return identity.Organization{}, false
	}
	return decode[identity.Organization](t, v)
}

func (t *rtx) Organizations() []identity.Organization {
	all := t.hgetall(t.b.k.orgs())
	out := make([]identity.Organization, 0, len(all))
	for _, v := range all {
		if o, ok := decode[identity.Organization](t, v); ok {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b identity.Organization) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (t *rtx) PutOrganization(o identity.Organization) error {
	if _, ok := t.Organization(o.ID); !ok && len(t.hgetall(t.b.k.orgs())) >= store.MaxOrganizations {
		return store.ErrTooManyOrganizations
	}
	t.hset(t.b.k.orgs(), o.ID, encode(o))
	return nil
}

func (t *rtx) Flow(id string) (flow.Flow, bool) {
	if id == "" {
		return flow.Flow{}, false
	}
	v, ok := t.get(t.flowKey(id))
	if !ok {
		return flow.Flow{}, false
	}
	return decode[flow.Flow](t, v)
}

func (t *rtx) PutFlow(f flow.Flow) error {
	t.setItem(t.flowKey(f.ID), encode(f), f.ExpiresAt.Add(t.b.limits.Grace), t.b.k.flowOrder(), f.ID)
	return nil
}

// newest reads up to limit items of an order, those swept last first (for a flow or a
// session, the newest), without this transaction's own new ones.
func newest[T any](t *rtx, order string, limit int, key func(string) string) []T {
	if t.err != nil || limit <= 0 {
		return nil
	}
	ids, err := t.b.s.db.ZRangeArgs(t.ctx, redis.ZRangeArgs{Key: order, Start: 0, Stop: int64(limit) - 1, Rev: true}).Result()
	if err != nil {
		t.fail("zrevrange", err)
		return nil
	}
	return items[T](t, ids, key)
}

// items reads the items ids name, skipping those gone (swept by their TTL).
func items[T any](t *rtx, ids []string, key func(string) string) []T {
	if t.err != nil || len(ids) == 0 {
		return nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = key(id)
	}
	vals, err := t.b.s.db.MGet(t.ctx, keys...).Result()
	if err != nil {
		t.fail("mget", err)
		return nil
	}
	out := make([]T, 0, len(vals))
	for i, v := range vals {
		if p, ok := t.pending[keys[i]]; ok {
			v = nil
			if p != nil {
				v = *p
			}
		}
		if s, ok := v.(string); ok {
			if item, ok := decode[T](t, s); ok {
				out = append(out, item)
			}
		}
	}
	return out
}

func (t *rtx) Flows(limit int) []flow.Flow {
	out := newest[flow.Flow](t, t.b.k.flowOrder(), limit, t.flowKey)
	slices.SortStableFunc(out, func(a, b flow.Flow) int { return b.IssuedAt.Compare(a.IssuedAt) })
	return out
}

func (t *rtx) Session(id string) (session.Session, bool) {
	if id == "" {
		return session.Session{}, false
	}
	v, ok := t.get(t.sessKey(id))
	if !ok {
		return session.Session{}, false
	}
	return decode[session.Session](t, v)
}

func (t *rtx) SessionByToken(token string) (session.Session, bool) {
	if token == "" {
		return session.Session{}, false
	}
	id, ok := t.get(t.tokenKey(token))
	if !ok {
		return session.Session{}, false
	}
	return t.Session(id)
}

func newestSessionFirst(a, b session.Session) int { return b.IssuedAt.Compare(a.IssuedAt) }

func (t *rtx) Sessions(limit int) []session.Session {
	out := newest[session.Session](t, t.b.k.sessOrder(), limit, t.sessKey)
	slices.SortStableFunc(out, newestSessionFirst)
	return out
}

func (t *rtx) SessionsOf(identityID string) []session.Session {
	if t.err != nil {
		return nil
	}
	ids, err := t.b.s.db.SMembers(t.ctx, t.sessionsOf(identityID)).Result()
	if err != nil {
		t.fail("smembers", err)
		return nil
	}
	for k, v := range t.pending { // sessions this transaction made
		if id, ok := strings.CutPrefix(k, t.items+"s:"); ok && v != nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var out []session.Session
	for _, s := range items[session.Session](t, ids, t.sessKey) {
		if s.IdentityID == identityID {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, newestSessionFirst)
	return out
}

func (t *rtx) PutSession(s session.Session) error {
	until := s.ExpiresAt.Add(t.b.limits.Grace)
	t.setItem(t.sessKey(s.ID), encode(s), until, t.b.k.sessOrder(), s.ID)
	t.setItem(t.tokenKey(s.Token), s.ID, until, "", "")
	t.op("sadd", t.sessionsOf(s.IdentityID), s.ID, strconv.FormatInt(max(until.Sub(t.now), time.Millisecond).Milliseconds(), 10))
	return nil
}

func (t *rtx) Window(key string) (store.Window, bool) {
	v, ok := t.get(t.windowKey(key))
	if !ok {
		return store.Window{}, false
	}
	return decode[store.Window](t, v)
}

func (t *rtx) PutWindow(key string, w store.Window) {
	t.setItem(t.windowKey(key), encode(w), w.ResetAt, "", "")
}

// commitScript applies a transaction's writes if it still holds the lease (KEYS[1] =
// ARGV[1]), then sweeps the flows and sessions whose TTL ran out from their orders, evicts
// the oldest beyond the tenant's caps, keeps the tenant's keys for its idle TTL, ranks it
// among the tenants and gives the lease back. ARGV: token, max flows, max sessions, idle TTL
// (ms), tenant name, items prefix, then the operations, four arguments each. KEYS are the
// lease, the tenant's fixed keys (the flow and session orders third and fourth) and the
// tenants' ranking; the per-item keys it writes share the tenant's hash tag, so the script
// runs on a standalone Redis or the one shard holding the tenant.
var commitScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local i = 7
while i <= #ARGV do
  local op, k, a, b = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  if op == 'set' then redis.call('SET', k, a, 'PX', b)
  elseif op == 'hset' then redis.call('HSET', k, a, b)
  elseif op == 'hdel' then redis.call('HDEL', k, a)
  elseif op == 'zadd' then redis.call('ZADD', k, now + tonumber(a), b)
  elseif op == 'sadd' then
    redis.call('SADD', k, a)
    if redis.call('PTTL', k) < tonumber(b) then redis.call('PEXPIRE', k, b) end
  end
  i = i + 4
end
local function cap(order, prefix, max)
  redis.call('ZREMRANGEBYSCORE', order, '-inf', now)
  local over = redis.call('ZCARD', order) - max
  if over > 0 then
    for _, id in ipairs(redis.call('ZRANGE', order, 0, over - 1)) do redis.call('DEL', prefix .. id) end
    redis.call('ZREMRANGEBYRANK', order, 0, over - 1)
  end
end
cap(KEYS[3], ARGV[6] .. 'f:', tonumber(ARGV[2]))
cap(KEYS[4], ARGV[6] .. 's:', tonumber(ARGV[3]))
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) - 3600000 then -- at most hourly
  for j = 2, #KEYS - 1 do redis.call('PEXPIRE', KEYS[j], ARGV[4]) end
end
redis.call('ZADD', KEYS[#KEYS], now, ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[#KEYS], '-inf', now - tonumber(ARGV[4]))
redis.call('DEL', KEYS[1])
return 1
`)

func (t *rtx) End(commit bool) error {
	if !t.write {
		return t.err
	}
	defer t.b.writing.Unlock()
	k := t.b.k
	if t.err != nil || !commit {
		if err := releaseScript.Run(context.WithoutCancel(t.ctx), t.b.s.db, []string{k.lock()}, t.token).Err(); err != nil && t.err == nil {
			t.fail("release", err)
		}
		return t.err
	}
	keys := append(append([]string{k.lock(), k.meta()}, k.fixed()...), tenantsKey)
	args := append([]any{t.token, t.b.limits.MaxFlows, t.b.limits.MaxSessions, t.b.s.IdleTTL.Milliseconds(), t.b.name, t.items}, t.ops...)
	// The commit runs even if the request was cancelled meanwhile: what the transaction decided
	// (a counted failure) must be kept, and its lease given back.
	ok, err := commitScript.Run(context.WithoutCancel(t.ctx), t.b.s.db, keys, args...).Int()
	switch {
	case err != nil:
		t.fail("commit", err)
	case ok != 1:
		t.err = fmt.Errorf("%w: the tenant's lease ran out before the commit", store.ErrUnavailable)
	}
	return t.err
}
