// Package recovery is the recovery flow: an email, a code, and then a privileged recovery
// session with a settings flow to set a new password (REQ-REC-001 … REQ-REC-005).
package recovery

import (
	"context"
	"net/http"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/settings"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Service runs recovery flows.
type Service struct {
	*codeflow.Engine
	Settings *settings.Service
}

// Result is a submit's outcome: the flow, or — after the right code — a recovery session
// and the settings flow it continues with.
type Result struct {
	Flow           flow.Flow
	Session        *api.Session
	Settings       *api.SettingsFlow
	SessionToken   string
	SessionExpires int64 // seconds the cookie lives
	RateLimit      http.Header
}

// Submit runs a step of the code method.
func (s *Service) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, b codeflow.Body) (Result, error) {
	var res Result
	f, headers, err := s.Engine.Submit(ctx, w, req, id, b, func(tx *store.Tx, f *flow.Flow, ident identity.Identity) error {
		f.Consumed = true
		ident.EmailVerified, ident.VerifiedAt = true, tx.Now // the code proved control of the address
		if err := tx.PutIdentity(ident); err != nil {
			return err
		}
		ses := auth.Issue(tx, w.IDs, ident, auth.Method("code", session.AAL1, tx.Now), req, 0, true)
		sf, err := s.Settings.Open(tx, w, ident, f.CSRFToken, f.ReturnTo)
		if err != nil {
			return err
		}
		out := auth.Session(ses, ident, true)
		res.Session, res.Settings, res.SessionToken = &out, &sf, ses.Token
		res.SessionExpires = int64(ses.ExpiresAt.Sub(tx.Now).Seconds())
		return nil
	})
	res.Flow, res.RateLimit = f, headers
	return res, err
}
