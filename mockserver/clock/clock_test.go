package clock_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/clock"
)

func TestOffsetMovesIndependentlyOfItsBase(t *testing.T) {
	start := time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)
	base := clock.NewFake(start)
	a, b := clock.NewOffset(base), clock.NewOffset(base)

	a.Advance(31 * time.Minute)
	assert.Equal(t, start.Add(31*time.Minute), a.Now())
	assert.Equal(t, start, b.Now(), "another offset clock is untouched")

	base.Advance(time.Minute)
	assert.Equal(t, start.Add(32*time.Minute), a.Now(), "time runs on from the base")

	a.Set(start)
	assert.Equal(t, start, a.Now())
	assert.Equal(t, -time.Minute, a.OffsetFromBase())

	a.Reset()
	assert.Equal(t, base.Now(), a.Now())
}
