package tenant_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

func TestWorldsAreIsolatedAndBounded(t *testing.T) {
	seeded := 0
	r := tenant.NewRegistry(tenant.Config{
		Max: 2, Clock: clock.NewFake(time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)), Limits: store.DefaultLimits,
		IDs:  func(string) ids.Source { return ids.Random{} },
		Seed: func(*store.Tx) error { seeded++; return nil },
	})
	a := use(t, r, "a")
	b := use(t, r, "b")
	require.NoError(t, a.Clock.Advance(t.Context(), time.Hour))
	assert.NotEqual(t, a.Clock.Now(), b.Clock.Now())

	again, err := r.Get("a")
	require.NoError(t, err)
	assert.Same(t, a, again)

	use(t, r, "c") // evicts b, the least recently used
	assert.Equal(t, 2, r.Len())
	b2 := use(t, r, "b")
	assert.NotSame(t, b, b2, "b was dropped and is made anew")
	assert.Equal(t, 4, seeded, "each world is seeded by its first transaction")
}

// use gets the named world and runs a transaction in it, which seeds it.
func use(t *testing.T, r *tenant.Registry, name string) *tenant.World {
	t.Helper()
	w, err := r.Get(name)
	require.NoError(t, err)
	require.NoError(t, w.Store.Update(t.Context(), func(*store.Tx) error { return nil }))
	return w
}

// Suites churning through named worlds never evict the default world a frontend lives in.
func TestTheDefaultWorldIsNeverEvicted(t *testing.T) {
	r := tenant.NewRegistry(tenant.Config{
		Max: 2, Clock: clock.System{}, Limits: store.DefaultLimits,
		IDs:  func(string) ids.Source { return ids.Random{} },
		Seed: func(*store.Tx) error { return nil },
	})
	def, err := r.Get(tenant.Default)
	require.NoError(t, err)
	for _, name := range []string{"a", "b", "c", "d"} {
		_, err := r.Get(name)
		require.NoError(t, err)
	}
	assert.Equal(t, 2, r.Len())
	again, err := r.Get(tenant.Default)
	require.NoError(t, err)
	assert.Same(t, def, again)
}

func TestJournalKeepsTheLastEntriesNewestFirst(t *testing.T) {
	j := tenant.NewJournal(3, time.Now)
	for i := range 5 {
		require.NoError(t, j.Record(t.Context(), tenant.Entry{Status: i}))
	}
	got, err := j.List(t.Context(), 10)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []int{4, 3, 2}, []int{got[0].Status, got[1].Status, got[2].Status})
	got, err = j.List(t.Context(), 1)
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

func TestFaultsAreConsumed(t *testing.T) {
	r := tenant.NewRegistry(tenant.Config{Max: 1, Clock: clock.System{}, Limits: store.DefaultLimits,
		IDs: func(string) ids.Source { return ids.Random{} }})
	f := use(t, r, "a").Faults
	_, err := f.Arm(t.Context(), tenant.Fault{OperationID: "getSession", ErrorCode: "AVNOLOGY_AUTH_005", Remaining: 2})
	require.NoError(t, err)
	_, ok, err := f.Take(t.Context(), "logout")
	require.NoError(t, err)
	assert.False(t, ok)
	for range 2 {
		got, ok, err := f.Take(t.Context(), "getSession")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, "AVNOLOGY_AUTH_005", got.ErrorCode)
	}
	_, ok, err = f.Take(t.Context(), "getSession")
	require.NoError(t, err)
	assert.False(t, ok)
}

// A client opening tenants in a loop fills the registry but cannot evict the worlds others use:
// a new world takes the place of one idle for MinIdle, or is refused.
func TestBusyWorldsAreNeverEvicted(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC))
	budget := &store.Budget{MaxFlows: 100}
	r := tenant.NewRegistry(tenant.Config{
		Max: 2, MinIdle: time.Minute, Clock: clk, Limits: store.DefaultLimits, Budget: budget,
		IDs: func(string) ids.Source { return ids.Random{} },
		Seed: func(tx *store.Tx) error {
			tx.PutFlow(flow.New("f", flow.Login, tx.Now, time.Hour))
			return nil
		},
	})
	a := use(t, r, "a")
	use(t, r, "b")
	flows, _, _ := budget.Usage()
	assert.EqualValues(t, 2, flows)

	clk.Advance(30 * time.Second)
	_, err := r.Get("c")
	var busy *tenant.ErrTooManyTenants
	require.ErrorAs(t, err, &busy, "both worlds were used within a minute")
	assert.Equal(t, 30*time.Second, busy.RetryAfter)
	flows, _, _ = budget.Usage()
	assert.EqualValues(t, 2, flows, "the refused world gave its flows back")

	clk.Advance(20 * time.Second)
	_, err = r.Get("b") // b is used again; a is now the idle one
	require.NoError(t, err)
	clk.Advance(15 * time.Second)
	use(t, r, "c") // a has been idle for 65 s and gives way
	again, err := r.Get("b")
	require.NoError(t, err)
	assert.NotSame(t, a, again)
	flows, _, _ = budget.Usage()
	assert.EqualValues(t, 2, flows, "the dropped world gave its flows back")
}
