// Package submit is the one submit pipeline every flow type runs: inside the tenant's
// transaction, load the flow the request names (only while it is usable), check its CSRF token,
// clear the last answer's messages, let the method act, and store the flow — its counters,
// messages and state too when the method fails. Flow types differ only in how they load a flow
// and what their methods do.
package submit

import (
	"context"

	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Command is a submit decoded once from the validated request: its method and the fields of
// its body. F is one struct per flow type, holding the fields of every method it offers.
type Command[F any] struct {
	Method string `json:"method"`
	Body   F      `json:"body"`
}

// CSRF is what a submit brings to prove it comes from the flow's own page: the token in its
// body, and the avnl_csrf cookie when the client has one (REQ-CSRF-002, REQ-CSRF-003).
type CSRF struct {
	Token, Cookie string
}

// Load finds the flow a submit names, or the error to answer (404, 400 _009, 401 …).
type Load func(tx *store.Tx) (flow.Flow, error)

// Act is a method acting on the loaded flow.
type Act[R any] func(tx *store.Tx, f *flow.Flow) (R, error)

// Run runs one submit. Its result is act's, even with an error (a code flow answers the flow
// as it now is either way).
func Run[R any](ctx context.Context, w *tenant.World, csrf CSRF, load Load, act Act[R]) (R, error) {
	var out R
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		f, err := load(tx)
		if err != nil {
			return err
		}
		if w.Rules.EnforceCSRF && !f.CSRFMatches(csrf.Token, csrf.Cookie) {
			return apierr.CSRF()
		}
		f.ClearMessages()
		out, err = act(tx, &f)
		tx.PutFlow(f)
		return err
	})
	return out, err
}
