package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
)

var start = time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)

func TestExpiredStateIsSweptAfterTheGrace(t *testing.T) {
	clk := clock.NewFake(start)
	s := store.New(store.DefaultLimits, clk.Now)
	require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
		tx.PutFlow(flow.New("f1", flow.Login, tx.Now, 30*time.Minute))
		tx.PutSession(session.Session{ID: "s1", Token: "t1", ExpiresAt: tx.Now.Add(session.DefaultLifetime)})
		return nil
	}))
	clk.Advance(31 * time.Minute)
	require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
		_, ok := tx.Flow("f1")
		assert.True(t, ok, "an expired flow is kept for the grace period")
		return nil
	}))
	clk.Advance(2 * time.Hour)
	require.NoError(t, s.Update(t.Context(), func(*store.Tx) error { return nil }))
	flows, sessions, _ := s.Counts()
	assert.Equal(t, 0, flows)
	assert.Equal(t, 1, sessions, "the session has 24 h")

	clk.Advance(25 * time.Hour)
	require.NoError(t, s.Update(t.Context(), func(*store.Tx) error { return nil }))
	_, sessions, _ = s.Counts()
	assert.Equal(t, 0, sessions)
}

func TestFlowsAreCapped(t *testing.T) {
	limits := store.DefaultLimits
	limits.MaxFlows = 3
	s := store.New(limits, clock.NewFake(start).Now)
	require.NoError(t, s.Update(t.Context(), func(tx *store.Tx) error {
		for i := range 5 {
			tx.PutFlow(flow.New(fmt.Sprint(i), flow.Login, tx.Now, time.Minute))
		}
		_, ok := tx.Flow("0")
		assert.False(t, ok, "the oldest flow is evicted")
		_, ok = tx.Flow("4")
		assert.True(t, ok)
		return nil
	}))
	flows, _, _ := s.Counts()
	assert.Equal(t, 3, flows)
}

func TestIdentitiesAreUniqueByEmailAndUsername(t *testing.T) {
	s := store.New(store.DefaultLimits, clock.NewFake(start).Now)
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
}

func TestHitCountsInFixedWindows(t *testing.T) {
	clk := clock.NewFake(start)
	s := store.New(store.DefaultLimits, clk.Now)
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
	clk.Advance(time.Minute)
	ok, _ = hit()
	assert.True(t, ok, "a new window")
}
