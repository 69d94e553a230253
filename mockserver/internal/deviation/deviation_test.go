package deviation_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/internal/deviation"
)

// A world without deviations keeps every rule; each behavioural deviation relaxes exactly one.
func TestRules(t *testing.T) {
	kept := reflect.ValueOf(deviation.RulesOf(nil))
	for i := range kept.NumField() {
		assert.True(t, kept.Field(i).Bool(), "%s is kept by default", kept.Type().Field(i).Name)
	}
	relaxedBy := map[string]deviation.Kind{}
	for kind := range deviation.All {
		r := reflect.ValueOf(deviation.RulesOf(deviation.Set{kind: true}))
		var relaxed []string
		for i := range r.NumField() {
			if !r.Field(i).Bool() {
				relaxed = append(relaxed, r.Type().Field(i).Name)
			}
		}
		assert.LessOrEqual(t, len(relaxed), 1, "%s relaxes %v", kind, relaxed)
		for _, name := range relaxed {
			relaxedBy[name] = kind
		}
	}
	for i := range kept.NumField() {
		assert.Contains(t, relaxedBy, kept.Type().Field(i).Name, "some deviation relaxes each rule, so the suite can prove it")
	}
}
