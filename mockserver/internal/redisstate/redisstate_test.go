package redisstate_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/redisstate"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

var start = time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)

// replicas are n processes' views of one Redis.
func replicas(t *testing.T, mr *miniredis.Miniredis, n int) []*redisstate.Shared {
	out := make([]*redisstate.Shared, n)
	for i := range out {
		s, err := redisstate.Open(t.Context(), "redis://"+mr.Addr())
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		out[i] = s
	}
	return out
}

func storeOf(s *redisstate.Shared, name string, clk clock.Clock) *store.Store {
	return store.On(s.Parts(name, clk, store.DefaultLimits).Store)
}

// Two replicas counting the same rate-limit window at once lose no count: a write
// transaction holds the tenant.
func TestWritesOfReplicasAreSerialized(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 2)
	clk := clock.NewFake(start)
	var wg sync.WaitGroup
	for _, r := range rs {
		st := storeOf(r, "acme", clk)
		wg.Go(func() {
			for range 25 {
				assert.NoError(t, st.Update(t.Context(), func(tx *store.Tx) error {
					tx.Hit("k", 1000, time.Hour)
					return nil
				}))
			}
		})
	}
	wg.Wait()
	require.NoError(t, storeOf(rs[0], "acme", clk).Update(t.Context(), func(tx *store.Tx) error {
		_, remaining, _ := tx.Hit("k", 1000, time.Hour)
		assert.Equal(t, 1000-51, remaining)
		return nil
	}))
}

// A flow written by one replica is read by the other, state and all; spent on one, it is
// spent for both.
func TestAFlowIsTheSameOnEveryReplica(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 2)
	clk := clock.NewFake(start)
	a, b := storeOf(rs[0], "acme", clk), storeOf(rs[1], "acme", clk)
	require.NoError(t, a.Update(t.Context(), func(tx *store.Tx) error {
		f := flow.New("f1", flow.Recovery, tx.Now, time.Hour)
		require.NoError(t, f.MoveTo(flow.SentEmail))
		f.Code = "123456"
		tx.PutFlow(f)
		return nil
	}))
	require.NoError(t, b.Update(t.Context(), func(tx *store.Tx) error {
		f, ok := tx.Flow("f1")
		require.True(t, ok)
		assert.Equal(t, flow.SentEmail, f.State())
		assert.Equal(t, "123456", f.Code)
		f.Consumed = true
		tx.PutFlow(f)
		return nil
	}))
	require.NoError(t, a.Read(t.Context(), func(tx *store.Tx) error {
		f, _ := tx.Flow("f1")
		assert.True(t, f.Consumed, "spent on b, spent on a")
		return nil
	}))
}

// A value of another version is refused, never misread: the transaction fails as unavailable
// and keeps nothing.
func TestAValueOfAnotherVersionIsRefused(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 1)
	clk := clock.NewFake(start)
	st := storeOf(rs[0], "acme", clk)
	require.NoError(t, st.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutFlow(flow.New("f1", flow.Login, tx.Now, time.Hour))
		return nil
	}))
	keys := mr.Keys()
	var flowKey string
	for _, k := range keys {
		if len(k) > 4 && k[len(k)-4:] == "f:f1" {
			flowKey = k
		}
	}
	require.NotEmpty(t, flowKey, "keys: %v", keys)
	require.NoError(t, mr.Set(flowKey, `2{"ID":"f1","Type":"login"}`))
	err := st.Update(t.Context(), func(tx *store.Tx) error {
		_, ok := tx.Flow("f1")
		assert.False(t, ok)
		tx.PutFlow(flow.New("f2", flow.Login, tx.Now, time.Hour))
		return nil
	})
	require.ErrorIs(t, err, store.ErrUnavailable)
	assert.ErrorContains(t, err, "another version")
	require.NoError(t, st.Read(t.Context(), func(tx *store.Tx) error {
		_, ok := tx.Flow("f2")
		assert.False(t, ok, "the failed transaction kept nothing")
		return nil
	}))
}

// A transaction that outlived its lease cannot commit over the one that took the tenant
// after it.
func TestALateCommitIsFenced(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 2)
	clk := clock.NewFake(start)
	slow, fast := storeOf(rs[0], "acme", clk), storeOf(rs[1], "acme", clk)
	require.NoError(t, fast.Update(t.Context(), func(*store.Tx) error { return nil })) // seeds
	err := slow.Update(t.Context(), func(tx *store.Tx) error {
		mr.FastForward(6 * time.Second) // past the lease
		require.NoError(t, fast.Update(t.Context(), func(tx *store.Tx) error {
			tx.PutFlow(flow.New("fast", flow.Login, tx.Now, time.Hour))
			return nil
		}))
		tx.PutFlow(flow.New("slow", flow.Login, tx.Now, time.Hour))
		return nil
	})
	require.ErrorIs(t, err, store.ErrUnavailable)
	require.NoError(t, fast.Read(t.Context(), func(tx *store.Tx) error {
		_, ok := tx.Flow("fast")
		assert.True(t, ok)
		_, ok = tx.Flow("slow")
		assert.False(t, ok, "the late commit was refused")
		return nil
	}))
}

// A reset forgets everything at once — rate-limit windows too — and the next transaction on
// any replica seeds the tenant again.
func TestResetForgetsAndTheNextTransactionSeeds(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 2)
	clk := clock.NewFake(start)
	seeds := 0
	seeded := func(s *redisstate.Shared) *store.Store {
		st := storeOf(s, "acme", clk)
		st.Seed = func(tx *store.Tx) error {
			seeds++
			tx.PutFlow(flow.New("fixture", flow.Login, tx.Now, time.Hour))
			return nil
		}
		return st
	}
	a, b := seeded(rs[0]), seeded(rs[1])
	require.NoError(t, a.Update(t.Context(), func(tx *store.Tx) error {
		tx.Hit("k", 1, time.Hour)
		tx.PutFlow(flow.New("mine", flow.Login, tx.Now, time.Hour))
		return nil
	}))
	require.NoError(t, b.Read(t.Context(), func(tx *store.Tx) error {
		assert.True(t, tx.Spent("k", 1))
		return nil
	}))
	assert.Equal(t, 1, seeds, "seeded once, by the first transaction")

	require.NoError(t, rs[1].Reset(t.Context(), "acme"))
	require.NoError(t, b.Read(t.Context(), func(tx *store.Tx) error {
		assert.False(t, tx.Spent("k", 1), "the window is forgotten")
		_, ok := tx.Flow("mine")
		assert.False(t, ok)
		_, ok = tx.Flow("fixture")
		assert.True(t, ok, "seeded again")
		return nil
	}))
	assert.Equal(t, 2, seeds)
}

// The control plane's parts are the same on every replica: the clock, the outbox, the
// journal, and a fault taken once whichever replica takes it.
func TestTheControlPlaneIsShared(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 2)
	base := clock.NewFake(start)
	a, b := rs[0].Parts("acme", base, store.DefaultLimits), rs[1].Parts("acme", base, store.DefaultLimits)
	ctx := t.Context()

	require.NoError(t, a.Clock.Advance(ctx, time.Hour))
	assert.Equal(t, start.Add(time.Hour), b.Clock.Now())
	require.NoError(t, b.Clock.Set(ctx, start.Add(3*time.Hour)))
	offset, err := a.Clock.Offset(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Hour, offset)

	for i := range 3 {
		_, err := a.Outbox.Send(ctx, outbox.Message{To: fmt.Sprint("u", i%2, "@x.test"), Code: fmt.Sprint(i)})
		require.NoError(t, err)
	}
	msgs, err := b.Outbox.List(ctx, "u0@x.test", 10)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Equal(t, []string{"2", "0"}, []string{msgs[0].Code, msgs[1].Code}, "newest first")
	assert.Equal(t, "msg_000003", msgs[0].ID)

	armed, err := a.Faults.Arm(ctx, tenant.Fault{OperationID: "getSession", ErrorCode: "AVNOLOGY_AUTH_005", Latency: 1500 * time.Millisecond, Remaining: 2})
	require.NoError(t, err)
	for i, p := range []tenant.Parts{b, a} {
		got, ok, err := p.Faults.Take(ctx, "getSession")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, armed.ID, got.ID)
		assert.Equal(t, 1-i, got.Remaining)
		assert.Equal(t, 1500*time.Millisecond, got.Latency)
	}
	_, ok, err := b.Faults.Take(ctx, "getSession")
	require.NoError(t, err)
	assert.False(t, ok, "two calls armed, two taken")

	require.NoError(t, a.Journal.Record(ctx, tenant.Entry{RequestID: "req_1", Status: 200}))
	entries, err := b.Journal.List(ctx, 10)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "req_1", entries[0].RequestID)

	require.NoError(t, rs[1].Reset(ctx, "acme"))
	msgs, err = a.Outbox.List(ctx, "", 10)
	require.NoError(t, err)
	assert.Empty(t, msgs)
	offset, err = a.Clock.Offset(ctx)
	require.NoError(t, err)
	assert.Zero(t, offset)
	used, err := rs[0].Used(ctx)
	require.NoError(t, err)
	assert.Empty(t, used, "no transaction committed yet")
}

// With Redis gone every part fails as unavailable — never a panic — and works again once
// Redis is back.
func TestRedisGoneIsUnavailableAndComesBack(t *testing.T) {
	mr := miniredis.RunT(t)
	rs := replicas(t, mr, 1)
	clk := clock.NewFake(start)
	st := storeOf(rs[0], "acme", clk)
	parts := rs[0].Parts("acme", clk, store.DefaultLimits)
	require.NoError(t, st.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutFlow(flow.New("f1", flow.Login, tx.Now, time.Hour))
		return nil
	}))
	addr := mr.Addr()
	mr.Close()
	err := st.Update(t.Context(), func(*store.Tx) error { return nil })
	assert.ErrorIs(t, err, store.ErrUnavailable)
	assert.ErrorIs(t, st.Read(t.Context(), func(*store.Tx) error { return nil }), store.ErrUnavailable)
	_, err = parts.Outbox.List(t.Context(), "", 1)
	assert.ErrorIs(t, err, store.ErrUnavailable)
	_, _, err = parts.Faults.Take(t.Context(), "getSession")
	assert.ErrorIs(t, err, store.ErrUnavailable)

	require.NoError(t, mr.StartAddr(addr)) // back, with its data
	require.NoError(t, st.Update(t.Context(), func(tx *store.Tx) error {
		f, ok := tx.Flow("f1")
		assert.True(t, ok)
		assert.Equal(t, flow.ChooseMethod, f.State())
		return nil
	}))
}
