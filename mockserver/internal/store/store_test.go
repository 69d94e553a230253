package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/redisstate"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
)

var start = time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)

// place is a backend a test runs on: open makes an empty store whose time is clk's, and
// advance moves clk and whatever else keeps time there.
type place struct {
	open    func(t *testing.T, limits store.Limits, clk *clock.Fake) *store.Store
	advance func(clk *clock.Fake, d time.Duration)
}

// places are the memory and Redis (miniredis: fast, in process; the integration tests use a
// real redis-server).
func places() map[string]place {
	return map[string]place{
		"memory": {
			open: func(_ *testing.T, limits store.Limits, clk *clock.Fake) *store.Store {
				return store.New(limits, nil, clk.Now)
			},
			advance: func(clk *clock.Fake, d time.Duration) { clk.Advance(d) },
		},
		"redis": redisPlace(),
	}
}

func redisPlace() place {
	var mr *miniredis.Miniredis
	n := 0
	return place{
		open: func(t *testing.T, limits store.Limits, clk *clock.Fake) *store.Store {
			if mr == nil {
				mr = miniredis.RunT(t)
				mr.SetTime(start)
			}
			shared, err := redisstate.Open(t.Context(), "redis://"+mr.Addr())
			require.NoError(t, err)
			t.Cleanup(func() { _ = shared.Close() })
			n++
			return store.On(shared.Parts(fmt.Sprint("t", n), clk, limits).Store)
		},
		advance: func(clk *clock.Fake, d time.Duration) {
			clk.Advance(d)
			mr.FastForward(d) // Redis's TTLs sweep
			mr.SetTime(clk.Now())
		},
	}
}

// each runs test on every place.
func each(t *testing.T, test func(t *testing.T, p place)) {
	for name, p := range places() {
		t.Run("store="+name, func(t *testing.T) { test(t, p) })
	}
}

func TestExpiredStateIsSweptAfterTheGrace(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		clk := clock.NewFake(start)
		s := p.open(t, store.DefaultLimits, clk)
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
			tx.PutFlow(flow.New("f1", flow.Login, tx.Now, 30*time.Minute))
			tx.PutSession(session.Session{ID: "s1", Token: "t1", ExpiresAt: tx.Now.Add(session.DefaultLifetime)})
			return nil
		}))
		p.advance(clk, 31*time.Minute)
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
			_, ok := tx.Flow("f1")
			assert.True(t, ok, "an expired flow is kept for the grace period")
			return nil
		}))
		p.advance(clk, 2*time.Hour)
		require.NoError(t, s.Update(t.Context(), func(*store.Tx) error { return nil }))
		flows, sessions, _, _ := s.Counts(t.Context())
		assert.Equal(t, 0, flows)
		assert.Equal(t, 1, sessions, "the session has 24 h")

		p.advance(clk, 25*time.Hour)
		require.NoError(t, s.Update(t.Context(), func(*store.Tx) error { return nil }))
		_, sessions, _, _ = s.Counts(t.Context())
		assert.Equal(t, 0, sessions)
	})
}

func TestFlowsAreCapped(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		limits := store.DefaultLimits
		limits.MaxFlows = 3
		s := p.open(t, limits, clock.NewFake(start))
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
			for i := range 5 {
				tx.PutFlow(flow.New(fmt.Sprint(i), flow.Login, tx.Now, time.Minute))
			}
			return nil
		}))
		require.NoError(t, s.Read(t.Context(), func(tx *store.Tx) error { // Redis evicts as it commits
			_, ok := tx.Flow("0")
			assert.False(t, ok, "the oldest flow is evicted")
			_, ok = tx.Flow("4")
			assert.True(t, ok)
			return nil
		}))
		flows, _, _, _ := s.Counts(t.Context())
		assert.Equal(t, 3, flows)
	})
}

func TestIdentitiesAreUniqueByEmailAndUsername(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		s := p.open(t, store.DefaultLimits, clock.NewFake(start))
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
			require.NoError(t, tx.PutIdentity(identity.Identity{ID: "a", Username: "jane", Traits: identity.Traits{Email: "Jane@acme.com"}}))
			assert.ErrorIs(t, tx.PutIdentity(identity.Identity{ID: "b", Traits: identity.Traits{Email: "jane@ACME.com"}}), store.ErrDuplicate)
			assert.ErrorIs(t, tx.PutIdentity(identity.Identity{ID: "b", Username: "jane", Traits: identity.Traits{Email: "b@acme.com"}}), store.ErrDuplicate)
			got, ok := tx.IdentityByIdentifier("JANE@acme.com")
			assert.True(t, ok)
			assert.Equal(t, "a", got.ID)
			got, ok = tx.IdentityByIdentifier("jane")
			assert.True(t, ok)
			assert.Equal(t, "a", got.ID)
			return nil
		}))
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error { // in a later transaction too
			assert.ErrorIs(t, tx.PutIdentity(identity.Identity{ID: "b", Traits: identity.Traits{Email: "JANE@acme.com"}}), store.ErrDuplicate)
			require.NoError(t, tx.PutIdentity(identity.Identity{ID: "a", Username: "janet", Traits: identity.Traits{Email: "janet@acme.com"}}))
			_, ok := tx.IdentityByIdentifier("jane@acme.com")
			assert.False(t, ok, "a changed address no longer finds the identity")
			got, ok := tx.IdentityByIdentifier("janet")
			assert.True(t, ok)
			assert.Equal(t, "janet@acme.com", got.Traits.Email)
			return nil
		}))
	})
}

func TestHitCountsInFixedWindows(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		clk := clock.NewFake(start)
		s := p.open(t, store.DefaultLimits, clk)
		hit := func() (ok bool, remaining int) {
			require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
				ok, remaining, _ = tx.Hit("k", 2, time.Minute)
				return nil
			}))
			return ok, remaining
		}
		ok, rem := hit()
		assert.True(t, ok)
		assert.Equal(t, 1, rem)
		ok, _ = hit()
		assert.True(t, ok)
		ok, rem = hit()
		assert.False(t, ok)
		assert.Equal(t, 0, rem)
		p.advance(clk, time.Minute)
		ok, _ = hit()
		assert.True(t, ok, "a new window")
	})
}

// The budget bounds every tenant's store together: a store over it refuses what is new, never
// evicts another store's state, and gives back what it sweeps or drops.
func TestBudgetIsSharedAndNeverEvicts(t *testing.T) {
	clk := clock.NewFake(start)
	budget := &store.Budget{MaxFlows: 3, MaxSessions: 1, MaxIdentities: 1}
	a := store.New(store.DefaultLimits, budget, clk.Now)
	b := store.New(store.DefaultLimits, budget, clk.Now)
	put := func(s *store.Store, id string) error {
		return s.Update(t.Context(), func(tx *store.Tx) error {
			tx.PutFlow(flow.New(id, flow.Login, tx.Now, 30*time.Minute))
			return nil
		})
	}
	require.NoError(t, put(a, "a1"))
	require.NoError(t, put(a, "a2"))
	require.NoError(t, put(b, "b1"))
	err := put(b, "b2")
	require.ErrorIs(t, err, store.ErrFull)
	var full *store.FullError
	require.ErrorAs(t, err, &full)
	assert.Equal(t, "flows", full.What)
	flows, _, _, _ := a.Counts(t.Context())
	assert.Equal(t, 2, flows, "a keeps its flows")
	require.NoError(t, a.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutFlow(flow.New("a1", flow.Login, tx.Now, time.Hour)) // replacing is not growing
		return nil
	}))

	require.NoError(t, a.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutSession(session.Session{ID: "s1", Token: "t1", ExpiresAt: tx.Now.Add(time.Hour)})
		return tx.PutIdentity(identity.Identity{ID: "i1", Traits: identity.Traits{Email: "a@x.test"}})
	}))
	assert.ErrorIs(t, b.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutSession(session.Session{ID: "s2", Token: "t2", ExpiresAt: tx.Now.Add(time.Hour)})
		return nil
	}), store.ErrFull)
	assert.ErrorIs(t, b.Update(t.Context(), func(tx *store.Tx) error {
		return tx.PutIdentity(identity.Identity{ID: "i2", Traits: identity.Traits{Email: "b@x.test"}})
	}), store.ErrFull)

	require.NoError(t, b.Reset(t.Context())) // a dropped tenant gives its share back
	require.NoError(t, put(b, "b2"))
	clk.Advance(3 * time.Hour) // a's flows expire and are swept past the grace
	require.NoError(t, b.Update(t.Context(), func(*store.Tx) error { return nil }))
	require.NoError(t, a.Update(t.Context(), func(*store.Tx) error { return nil }))
	f, ses, ids := budget.Usage()
	assert.Equal(t, []int64{0, 0, 1}, []int64{f, ses, ids}, "the sweep gave flows and sessions back")
}

// A Read shares the store with other reads; one that finds it must write (a GET of an expired
// flow stores a fresh one) is run again as an Update, and only that run's writes and answer
// count.
func TestReadThatWritesRunsAgainAsAnUpdate(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		clk := clock.NewFake(start)
		s := p.open(t, store.DefaultLimits, clk)
		require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
			tx.PutFlow(flow.New("f1", flow.Login, tx.Now, 30*time.Minute))
			return nil
		}))
		runs := 0
		fresh := func() string { runs++; return fmt.Sprintf("fresh-%d", runs) }

		var found string
		require.NoError(t, s.Read(t.Context(), func(tx *store.Tx) error {
			f, _, _ := tx.UsableFlow("f1", flow.Login, fresh)
			found = f.ID
			return nil
		}))
		assert.Equal(t, "f1", found)
		assert.Zero(t, runs, "a usable flow is read without a write")

		p.advance(clk, 31*time.Minute)
		var use string
		err := s.Read(t.Context(), func(tx *store.Tx) error {
			_, use, _ = tx.UsableFlow("f1", flow.Login, fresh)
			return fmt.Errorf("expired, use %s", use)
		})
		assert.EqualError(t, err, "expired, use fresh-2", "the answer is the Update's")
		assert.Equal(t, 2, runs)
		require.NoError(t, s.Read(t.Context(), func(tx *store.Tx) error {
			_, ok := tx.Flow("fresh-2")
			assert.True(t, ok, "the Update's fresh flow is stored")
			_, ok = tx.Flow("fresh-1")
			assert.False(t, ok, "the read attempt stored nothing")
			return nil
		}))
	})
}

// A transaction that panics (the mock's recoverer answers 500) does not leave the tenant held.
func TestAPanicDoesNotHoldTheTenant(t *testing.T) {
	each(t, func(t *testing.T, p place) {
		s := p.open(t, store.DefaultLimits, clock.NewFake(start))
		for _, run := range []func(func(*store.Tx) error) error{
			func(fn func(*store.Tx) error) error { return s.Update(t.Context(), fn) },
			func(fn func(*store.Tx) error) error { return s.Read(t.Context(), fn) },
		} {
			assert.Panics(t, func() { _ = run(func(*store.Tx) error { panic("boom") }) })
		}
		require.NoError(t, s.Update(t.Context(), func(*store.Tx) error { return nil }), "the tenant is free")
	})
}
