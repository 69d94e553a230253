// Package recovery is the recovery flow: an email, a code, and then a privileged recovery
// session with a settings flow to set a new password (REQ-REC-001 … REQ-REC-005).
package recovery

import (
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/settings"
)

// New makes the recovery flow type on a code-flow engine: a correct code signs the identity
// in with a recovery session and continues with a settings flow of its own.
func New(e *codeflow.Engine, s *settings.Service) *codeflow.Engine {
	e.Passed = func(st *kernel.Step, ident identity.Identity) (kernel.Outcome, error) {
		ident.EmailVerified, ident.VerifiedAt = true, st.Tx.Now // the code proved control of the address
		if err := st.Tx.PutIdentity(ident); err != nil {
			return kernel.Outcome{}, err
		}
		ses := auth.Issue(st.Tx, st.World.IDs, ident, auth.Method("code", session.AAL1, st.Tx.Now), st.Req, 0, true)
		next, err := s.Open(st.Tx, st.World, ident, st.Flow.CSRFToken, st.Flow.ReturnTo)
		if err != nil {
			return kernel.Outcome{}, err
		}
		return kernel.Outcome{Session: &ses, Identity: ident, Next: &next}, nil
	}
	return e
}
