package redisstate

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// sharedClock keeps a tenant's offset from the base clock in the tenant's meta hash, so that
// moving one replica's clock moves them all.
type sharedClock struct {
	s    *Shared
	k    keys
	base clock.Clock
}

func (c *sharedClock) Offset(ctx context.Context) (time.Duration, error) {
	v, err := c.s.db.HGet(ctx, c.k.meta(), "clock").Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable("clock", err)
	}
	return offsetOf(v), nil
}

// offsetOf reads a stored offset ("" is none).
func offsetOf(v string) time.Duration {
	n, _ := strconv.ParseInt(v, 10, 64)
	return time.Duration(n)
}

// at is the clock's time for a stored offset.
func (c *sharedClock) at(offset string) time.Time { return c.base.Now().Add(offsetOf(offset)) }

// Now reads the offset each time: a clock moved on another replica is seen at once.
func (c *sharedClock) Now() time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	offset, _ := c.Offset(ctx) // unreadable: the base, and the transaction that needs it fails
	return c.base.Now().Add(offset)
}

func (c *sharedClock) Set(ctx context.Context, t time.Time) error {
	return wrap("clock", c.s.db.HSet(ctx, c.k.meta(), "clock", int64(t.Sub(c.base.Now()))).Err())
}

func (c *sharedClock) Advance(ctx context.Context, d time.Duration) error {
	return wrap("clock", c.s.db.HIncrBy(ctx, c.k.meta(), "clock", int64(d)).Err())
}

func (c *sharedClock) Reset(ctx context.Context) error {
	return wrap("clock", c.s.db.HDel(ctx, c.k.meta(), "clock").Err())
}

func wrap(what string, err error) error {
	if err != nil {
		return unavailable(what, err)
	}
	return nil
}

// push adds v to a capped list, newest first, kept for the tenant's idle TTL.
func (s *Shared) push(ctx context.Context, key string, max int64, v any) error {
	_, err := s.db.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, key, encode(v))
		p.LTrim(ctx, key, 0, max-1)
		p.PExpire(ctx, key, s.IdleTTL)
		return nil
	})
	return err
}

// all reads up to limit values of a list, newest first.
func all[T any](ctx context.Context, s *Shared, key string, limit int64) ([]T, error) {
	vals, err := s.db.LRange(ctx, key, 0, limit-1).Result()
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(vals))
	for _, v := range vals {
		item, err := decodeValue[T](v)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

type sharedOutbox struct {
	s *Shared
	k keys
}

func (o *sharedOutbox) Send(ctx context.Context, m outbox.Message) (outbox.Message, error) {
	seq, err := o.s.db.Incr(ctx, o.k.outboxSeq()).Result()
	if err != nil {
		return m, unavailable("outbox", err)
	}
	m.ID = fmt.Sprintf("msg_%06d", seq)
	return m, wrap("outbox", o.s.push(ctx, o.k.outbox(), outbox.Max, m))
}

func (o *sharedOutbox) List(ctx context.Context, to string, limit int) ([]outbox.Message, error) {
	msgs, err := all[outbox.Message](ctx, o.s, o.k.outbox(), outbox.Max)
	if err != nil {
		return nil, unavailable("outbox", err)
	}
	out := msgs[:0]
	for _, m := range msgs {
		if len(out) < limit && (to == "" || m.To == to) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (o *sharedOutbox) Clear(ctx context.Context) error {
	return wrap("outbox", o.s.db.Del(ctx, o.k.outbox()).Err())
}

type sharedJournal struct {
	s    *Shared
	k    keys
	base clock.Clock
}

// recordScript pushes an entry (ARGV[1]) stamped on the base clock, with the tenant's clock
// offset at that moment in front ("offset|entry"), in one round trip; List adds them up.
var recordScript = redis.NewScript(`
local offset = redis.call('HGET', KEYS[2], 'clock') or '0'
redis.call('LPUSH', KEYS[1], offset .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

func (j *sharedJournal) Record(ctx context.Context, e tenant.Entry) error {
	e.Time = j.base.Now()
	return wrap("journal", recordScript.Run(context.WithoutCancel(ctx), j.s.db, []string{j.k.journal(), j.k.meta()},
		encode(e), tenant.JournalMax, j.s.IdleTTL.Milliseconds()).Err())
}

func (j *sharedJournal) List(ctx context.Context, limit int) ([]tenant.Entry, error) {
	vals, err := j.s.db.LRange(ctx, j.k.journal(), 0, int64(min(limit, tenant.JournalMax))-1).Result()
	if err != nil {
		return nil, unavailable("journal", err)
	}
	out := make([]tenant.Entry, 0, len(vals))
	for _, v := range vals {
		offset, value, _ := strings.Cut(v, "|")
		e, err := decodeValue[tenant.Entry](value)
		if err != nil {
			return nil, unavailable("journal", err)
		}
		e.Time = e.Time.Add(offsetOf(offset))
		out = append(out, e)
	}
	return out, nil
}

func (j *sharedJournal) Clear(ctx context.Context) error {
	return wrap("journal", j.s.db.Del(ctx, j.k.journal()).Err())
}

// sharedFaults keep armed faults in a list, oldest first; Take runs as one script, so two
// replicas never both consume a fault's last call.
type sharedFaults struct {
	s *Shared
	k keys
}

func (f *sharedFaults) Arm(ctx context.Context, fault tenant.Fault) (tenant.Fault, error) {
	seq, err := f.s.db.Incr(ctx, f.k.faultSeq()).Result()
	if err != nil {
		return fault, unavailable("faults", err)
	}
	fault.ID = "flt_" + strconv.FormatInt(seq, 10)
	_, err = f.s.db.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, f.k.faults(), encode(fault))
		p.PExpire(ctx, f.k.faults(), f.s.IdleTTL)
		p.PExpire(ctx, f.k.faultSeq(), f.s.IdleTTL)
		return nil
	})
	return fault, wrap("faults", err)
}

// takeScript finds the first armed fault for an operation (ARGV[1]), counts one call of it
// (dropping it after its last) and returns it as it was taken.
var takeScript = redis.NewScript(`
local list = redis.call('LRANGE', KEYS[1], 0, -1)
for i, v in ipairs(list) do
  local f = cjson.decode(string.sub(v, 2))
  if f.OperationID == ARGV[1] then
    f.Remaining = f.Remaining - 1
    if f.Remaining <= 0 then
      redis.call('LREM', KEYS[1], 1, v)
    else
      redis.call('LSET', KEYS[1], i - 1, ARGV[2] .. cjson.encode(f))
    end
    return v
  end
end
return false
`)

func (f *sharedFaults) Take(ctx context.Context, operationID string) (tenant.Fault, bool, error) {
	v, err := takeScript.Run(ctx, f.s.db, []string{f.k.faults()}, operationID, string(version)).Text()
	if errors.Is(err, redis.Nil) {
		return tenant.Fault{}, false, nil
	}
	if err != nil {
		return tenant.Fault{}, false, unavailable("faults", err)
	}
	fault, err := decodeValue[tenant.Fault](v)
	if err != nil {
		return fault, false, unavailable("faults", err)
	}
	fault.Remaining-- // as taken: the calls left after this one
	return fault, true, nil
}

func (f *sharedFaults) List(ctx context.Context) ([]tenant.Fault, error) {
	faults, err := all[tenant.Fault](ctx, f.s, f.k.faults(), 1000)
	return faults, wrap("faults", err)
}

func (f *sharedFaults) Clear(ctx context.Context) error {
	return wrap("faults", f.s.db.Del(ctx, f.k.faults()).Err())
}
