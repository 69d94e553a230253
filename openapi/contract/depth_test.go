package contract_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/openapi/contract"
)

func TestCheckDepth(t *testing.T) {
	deep := func(n int) string { return strings.Repeat(`{"a":[`, n/2) + strings.Repeat(`]}`, n/2) }
	for _, tc := range []struct {
		name string
		body string
		ok   bool
	}{
		{"empty", ``, true},
		{"flat", `{"a":1,"b":[1,2,3]}`, true},
		{"64 levels", deep(64), true},
		{"66 levels", deep(66), false},
		{"65 arrays", strings.Repeat("[", 65) + strings.Repeat("]", 65), false},
		{"brackets inside strings do not count", `{"a":"` + strings.Repeat("[{", 100) + `"}`, true},
		{"an escaped quote does not end a string", `{"a":"\"` + strings.Repeat("[", 100) + `"}`, true},
		{"an escaped backslash does", `{"a":"\\",` + `"b":` + strings.Repeat("[", 65) + `}`, false},
		{"siblings do not add up", `[` + strings.Repeat(deep(60)+",", 100) + `1]`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := contract.CheckDepth([]byte(tc.body))
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, contract.ErrTooDeep)
			}
		})
	}
}

// BenchmarkCheckDepth scans a 1 MiB body that passes (the worst case: every byte is read).
func BenchmarkCheckDepth(b *testing.B) {
	unit := strings.Repeat("[", 60) + `"a \" ] string"` + strings.Repeat("]", 60) + ","
	body := []byte("[" + strings.Repeat(unit, (1<<20)/len(unit)) + "1]")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = contract.CheckDepth(body)
	}
}
