// Package verification is the verification flow: an email, a code, and the address verified
// (REQ-VER-001 … REQ-VER-004).
package verification

import (
	"context"
	"net/http"

	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// Service runs verification flows.
type Service struct {
	*codeflow.Engine
}

// Submit runs a step of the code method; the right code verifies the address and shows 1080002.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, b codeflow.Body) (flow.Flow, http.Header, error) {
	return s.Engine.Submit(ctx, w, req, id, b, func(tx *store.Tx, f *flow.Flow, ident identity.Identity) error {
		f.Messages = []flow.Message{ui.InfoVerified}
		if identity.NormalizeEmail(ident.Traits.Email) == identity.NormalizeEmail(f.CodeAddress) {
			ident.EmailVerified, ident.VerifiedAt = true, tx.Now
		}
		return tx.PutIdentity(ident)
	})
}
