// Package verification is the verification flow: an email, a code, and the address verified
// (REQ-VER-001 … REQ-VER-004).
package verification

import (
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// New makes the verification flow type on a code-flow engine: a correct code verifies the
// address it went to, if it is still the identity's, and shows 1080002.
func New(e *codeflow.Engine) *codeflow.Engine {
	e.Passed = func(st *kernel.Step, ident identity.Identity) (kernel.Outcome, error) {
		st.Flow.Messages = []flow.Message{ui.InfoVerified}
		if identity.NormalizeEmail(ident.Traits.Email) == identity.NormalizeEmail(st.Flow.CodeAddress) {
			ident.EmailVerified, ident.VerifiedAt = true, st.Tx.Now
		}
		return kernel.Outcome{}, st.Tx.PutIdentity(ident)
	}
	return e
}
