package identity_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/identity"
)

func TestHashVerify(t *testing.T) {
	h := identity.Hasher{MemoryKiB: 64, Iterations: 1, Salt: ids.NewSeeded(1).Read}
	enc := h.Hash("correct horse")
	assert.True(t, identity.Verify(enc, "correct horse"))
	assert.False(t, identity.Verify(enc, "correct horsE"))
	assert.False(t, identity.Verify("garbage", "x"))
	assert.False(t, identity.Verify("argon2id$1$64$!!$!!", "x"))
}

func TestPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		breached       bool
		ok             bool
	}{
		{"too short", "Ab1!xyz", false, false},
		{"too long", string(make([]byte, 257)), false, false},
		{"contains the email's local part", "jane.doe-2026!", false, false},
		{"equals the email", "jane.doe@acme.com", false, false},
		{"breached", "password123", true, false},
		{"breached, any case", "PASSWORD123", true, false},
		{"fine", "correct-horse-battery", false, true},
	} {
		t.Run("case="+tc.name, func(t *testing.T) {
			v := identity.CheckPassword(tc.password, "jane.doe@acme.com")
			if tc.ok {
				assert.Nil(t, v)
				return
			}
			if assert.NotNil(t, v) {
				assert.Equal(t, tc.breached, v.Breached)
				assert.Equal(t, tc.breached, v.Reason == "")
			}
		})
	}
}
