package submit_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/submit"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// The pipeline without HTTP: load, CSRF, clear, act, store — and a failed act still stores
// what it counted.
func TestRun(t *testing.T) {
	now := time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)
	world := func(rules deviation.Rules) *tenant.World {
		w := &tenant.World{Store: store.New(store.DefaultLimits, nil, clock.NewFake(now).Now), Rules: rules}
		require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error {
			f := flow.New("f1", flow.Login, tx.Now, time.Hour)
			f.CSRFToken, f.Messages = "tok", []flow.Message{{ID: "4000006"}}
			tx.PutFlow(f)
			return nil
		}))
		return w
	}
	load := func(tx *store.Tx) (flow.Flow, error) {
		f, ok := tx.Flow("f1")
		if !ok {
			return f, apierr.NotFoundError()
		}
		return f, nil
	}
	stored := func(w *tenant.World) (f flow.Flow) {
		_ = w.Store.Update(t.Context(), func(tx *store.Tx) error { f, _ = tx.Flow("f1"); return nil })
		return f
	}
	failing := func(_ *store.Tx, f *flow.Flow) (int, error) {
		f.CodeFailures++
		return 0, errors.New("wrong code")
	}
	acted := false
	act := func(_ *store.Tx, f *flow.Flow) (int, error) {
		acted = true
		assert.Empty(t, f.Messages, "the last answer's messages are cleared before the method acts")
		return 7, nil
	}

	strict := deviation.RulesOf(nil)
	w := world(strict)
	n, err := submit.Run(t.Context(), w, submit.CSRF{Token: "tok"}, load, act)
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	assert.True(t, acted)

	acted = false
	_, err = submit.Run(t.Context(), w, submit.CSRF{Token: "forged"}, load, act)
	var e *apierr.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, apierr.CSRFViolation, e.Code)
	assert.False(t, acted, "a wrong token stops the submit before the method")

	_, err = submit.Run(t.Context(), w, submit.CSRF{Token: "tok", Cookie: "another browser's"}, load, act)
	assert.ErrorAs(t, err, &e, "the cookie must match too")

	_, err = submit.Run(t.Context(), w, submit.CSRF{Token: "tok"}, load, failing)
	assert.EqualError(t, err, "wrong code")
	assert.Equal(t, 1, stored(w).CodeFailures, "a failed method's counting is stored")

	relaxed := world(deviation.RulesOf(deviation.Set{deviation.CSRFNotEnforced: true}))
	_, err = submit.Run(t.Context(), relaxed, submit.CSRF{Token: "forged"}, load, act)
	assert.NoError(t, err, "the csrf-not-enforced fault relaxes the check, and only it")

	_, err = submit.Run(t.Context(), w, submit.CSRF{}, func(*store.Tx) (flow.Flow, error) { return flow.Flow{}, apierr.NotFoundError() }, act)
	assert.ErrorAs(t, err, &e)
	assert.Equal(t, apierr.NotFound, e.Code)
}
