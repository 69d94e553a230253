package login

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/identity"
)

// A verdict reached outside the lock is used only for the hash it was reached on: a password
// changed in between is verified again, under the lock.
func TestPasswordVerdictHoldsForItsHashOnly(t *testing.T) {
	h := identity.Hasher{MemoryKiB: 64, Iterations: 1, Salt: ids.NewSeeded(1).Read}
	before, after := h.Hash("old password"), h.Hash("new password")
	b := Fields{Password: "new password", checked: &checked{hash: before, ok: false}}
	assert.False(t, b.verify(before), "the verdict on this hash stands")
	assert.True(t, b.verify(after), "another hash is verified afresh")
	assert.True(t, Fields{Password: "new password"}.verify(after), "no verdict: verified under the lock")
}
