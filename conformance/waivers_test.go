package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance/report"
)

func TestParseWaivers(t *testing.T) {
	w, err := ParseWaivers([]byte("waivers:\n  - case: login.create.fresh\n    reason: known\n"))
	require.NoError(t, err)
	assert.Equal(t, Waivers{"login.create.fresh": "known"}, w)

	empty, err := ParseWaivers(nil)
	require.NoError(t, err)
	assert.Empty(t, empty)

	for name, doc := range map[string]string{
		"unknown case":   "waivers:\n  - case: no.such.case\n    reason: x\n",
		"no reason":      "waivers:\n  - case: login.create.fresh\n",
		"twice":          "waivers:\n  - {case: login.create.fresh, reason: a}\n  - {case: login.create.fresh, reason: b}\n",
		"unknown key":    "waivers:\n  - {case: login.create.fresh, reason: a, until: 2027}\n",
		"not a list":     "waivers: login.create.fresh\n",
		"no case at all": "waivers:\n  - {reason: a}\n",
	} {
		_, err := ParseWaivers([]byte(doc))
		assert.Error(t, err, name)
	}
}

func TestApplyWaiver(t *testing.T) {
	w := Waivers{"a": "known"}
	failed := applyWaiver(report.Case{ID: "a", Status: report.Failed}, w)
	assert.Equal(t, "known", failed.Waiver)
	assert.False(t, failed.Counts())
	passed := applyWaiver(report.Case{ID: "a", Status: report.Passed}, w)
	assert.True(t, passed.StaleWaiver)
	skipped := applyWaiver(report.Case{ID: "a", Status: report.Skipped}, w)
	assert.Empty(t, skipped.Waiver)
	other := applyWaiver(report.Case{ID: "b", Status: report.Failed}, w)
	assert.True(t, other.Counts())
}
