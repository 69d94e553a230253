package password_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/password"
)

func TestRefuse(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		code           string
	}{
		{"acceptable", "correct-horse-battery", ""},
		{"too short", "short", string(apierr.PasswordTooWeak)},
		{"contains the identifier", "xx-jane@acme.com-xx", string(apierr.PasswordTooWeak)},
		{"breached", "password123", string(apierr.PasswordBreached)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f flow.Flow
			e := password.Refuse(&f, tc.password, "jane@acme.com")
			if tc.code == "" {
				assert.Nil(t, e)
				assert.Empty(t, f.FieldMessages)
				return
			}
			if assert.NotNil(t, e) {
				assert.Equal(t, tc.code, string(e.Code))
			}
			assert.Len(t, f.FieldMessages["password"], 1, "the field says why")
		})
	}
}
