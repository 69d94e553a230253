// Package kernel is the flow kernel: the one submit pipeline every flow type runs. Inside the
// tenant's transaction it loads the flow a submit names (only while it is usable), checks its
// CSRF token, clears the last answer's messages, picks the method's strategy from the flow
// type's table, lets it act, moves the flow only through its state machine and stores it — its
// counters and messages too when the method fails. What the answer shows is rendered after the
// lock is released, from the flow and a view the flow type copied out of the transaction; an
// error about form input gets the re-rendered flow as continue_flow (REQ-ERR-008).
//
// A flow type is a Type: the methods it offers and when, how it loads a flow, what every
// successful method does next, and how it renders. Strategies are functions of a Step.
package kernel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Fields are the body fields of every method a flow type offers (D4), decoded once; a method
// reads its own. The CSRF token is one of them.
type Fields interface {
	CSRF() string
}

// Command is a submit decoded once from the validated request: its method and its fields.
type Command[F Fields] struct {
	Method string `json:"method"`
	Body   F      `json:"body"`
}

// Step is one submit as a strategy sees it: inside the tenant's transaction, with the flow
// loaded and its CSRF token checked.
type Step struct {
	Tx    *store.Tx
	World *tenant.World
	Req   request.Request
	Flow  *flow.Flow
	// Session and Identity are the signed-in caller, for a flow type whose Load needs one
	// (settings); a strategy may change Identity for the flow type's After to store.
	Session  session.Session
	Identity identity.Identity
}

// Outcome is what a successful strategy did.
type Outcome struct {
	// To is the state the flow moves to, through its machine — a self-loop too.
	To flow.State
	// Session is a sign-in the answer carries, for Identity. A flow that produced a session is
	// consumed (REQ-FLOW-004), after moving to To if the step names one.
	Session  *session.Session
	Identity identity.Identity
	// Next is a flow the answer continues with (the settings flow after a recovery).
	Next *flow.Flow
	// Redirect is where the answer sends the client: a social provider's authorize URL.
	Redirect string
	// RateLimit are the rate-limit headers of the step (REQ-LIMIT-001).
	RateLimit http.Header
}

// Strategy is a method acting on a flow with the fields of its command.
type Strategy[F Fields] func(st *Step, fields F) (Outcome, error)

// Method is a method a flow type offers.
type Method[F Fields] struct {
	Run Strategy[F]
	// Offered says whether the flow, as it is now, offers the method (nil: always) — a login
	// awaiting its second factor offers second factors only (REQ-FLOW-009).
	Offered func(f *flow.Flow) bool
}

// Type declares a flow type to the kernel. V is what rendering needs besides the flow.
type Type[F Fields, V any] struct {
	Flow    flow.Type
	Methods map[string]Method[F]
	// Load puts the flow a submit names into st.Flow (and the caller, when the flow type
	// needs one), or returns the error to answer (404, 400 _009 with a fresh flow, 401 …).
	Load func(st *Step, id string) error
	// After, if set, is what every successful method of the flow type does next, before the
	// flow moves (settings stores the changed identity and moves to success).
	After func(st *Step, o *Outcome) error
	// View copies what rendering needs out of the transaction.
	View func(st *Step) V
	// Render renders the flow as an error's continue_flow, outside the lock.
	Render func(f flow.Flow, v V) *api.Flow
}

// Done is a submit's result, for the flow type to answer outside the lock.
type Done[V any] struct {
	Flow    flow.Flow // as the answer shows it
	View    V
	Outcome Outcome
}

// Usable loads the flow of type t named id while it can still be used, or answers 404, or
// 400 _009 with a fresh flow in its place (REQ-FLOW-003, REQ-FLOW-004).
func Usable(tx *store.Tx, w *tenant.World, t flow.Type, id string) (flow.Flow, error) {
	f, fresh, found := tx.UsableFlow(id, t, func() string { return ids.UUID(w.IDs) })
	if e := apierr.Lookup(string(t), id, fresh, found); e != nil {
		return flow.Flow{}, e
	}
	return f, nil
}

// LoadUsable is the Load of a flow type whose flows need nothing but to be usable.
func LoadUsable(t flow.Type) func(st *Step, id string) error {
	return func(st *Step, id string) (err error) {
		*st.Flow, err = Usable(st.Tx, st.World, t, id)
		return err
	}
}

// Effects are what a submit's answer sets besides its body: the avnl_session cookie of a
// sign-in (REQ-CSRF-004) and the rate-limit headers (REQ-LIMIT-001).
type Effects struct {
	SessionToken   string
	SessionExpires time.Time
	RateLimit      http.Header
}

// Effects are the answer's effects.
func (d Done[V]) Effects() Effects {
	e := Effects{RateLimit: d.Outcome.RateLimit}
	if s := d.Outcome.Session; s != nil {
		e.SessionToken, e.SessionExpires = s.Token, s.ExpiresAt
	}
	return e
}

// SignedIn is the session a sign-in answers and where the flow said to return to, or nil.
func (d Done[V]) SignedIn() (*api.Session, *string) {
	if d.Outcome.Session == nil {
		return nil, nil
	}
	out := auth.Session(*d.Outcome.Session, d.Outcome.Identity, true)
	var returnTo *string
	if d.Flow.ReturnTo != "" {
		rt := d.Flow.ReturnTo
		returnTo = &rt
	}
	return &out, returnTo
}

// Redirect is the answer's redirect to a social provider, or nil.
func (d Done[V]) Redirect() *api.Redirect {
	if d.Outcome.Redirect == "" {
		return nil
	}
	return &api.Redirect{Url: d.Outcome.Redirect, Reason: api.RedirectReasonOidc}
}

// Run runs one submit of cmd against the flow id.
func Run[F Fields, V any](ctx context.Context, t *Type[F, V], w *tenant.World, req request.Request, id string, cmd Command[F]) (Done[V], error) {
	var (
		done  Done[V]
		acted bool // whether an error comes from the method (and so concerns the form)
	)
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		st := &Step{Tx: tx, World: w, Req: req, Flow: &flow.Flow{}}
		if err := t.Load(st, id); err != nil {
			return err
		}
		f := st.Flow
		if w.Rules.EnforceCSRF && !f.CSRFMatches(cmd.Body.CSRF(), req.CSRFCookie) {
			return apierr.CSRF()
		}
		f.ClearMessages()
		acted = true
		o, err := t.act(st, cmd)
		done.Flow, done.View, done.Outcome = *f, t.View(st), o
		f.ShownLookup = nil // one-time secrets are shown in this answer only, never stored (REQ-SET-007)
		tx.PutFlow(*f)
		return err
	})
	if err != nil {
		var e *apierr.Error
		if acted && errors.As(err, &e) && concernsForm(e) && !done.Flow.Consumed && t.Render != nil {
			e.ContinueFlow = t.Render(done.Flow, done.View) // rendered outside the lock
		}
		return done, err
	}
	return done, nil
}

// act runs the method's strategy and moves the flow where the outcome says.
func (t *Type[F, V]) act(st *Step, cmd Command[F]) (Outcome, error) {
	m, ok := t.Methods[cmd.Method]
	if !ok || m.Offered != nil && !m.Offered(st.Flow) {
		return Outcome{}, NotOffered(cmd.Method)
	}
	o, err := m.Run(st, cmd.Body)
	if err == nil && t.After != nil {
		err = t.After(st, &o)
	}
	if err != nil {
		return o, err
	}
	if err := Apply(st.Flow, o); err != nil {
		return o, fmt.Errorf("kernel: the %s method of a %s flow: %w", cmd.Method, t.Flow, err)
	}
	return o, nil
}

// Apply moves a flow where a successful step's outcome says: through its machine to To (a
// self-loop too), and consumed once it produced a session (REQ-FLOW-004). A step that says
// neither is a bug.
func Apply(f *flow.Flow, o Outcome) error {
	if o.To == "" && o.Session == nil {
		return errors.New("a step succeeded without saying where the flow goes")
	}
	if o.To != "" {
		if err := f.MoveTo(o.To); err != nil {
			return err
		}
	}
	f.Consumed = o.Session != nil
	return nil
}

// NotOffered is 400 _013: the flow does not offer the method, or not in its state.
func NotOffered(method string) *apierr.Error {
	return apierr.New(apierr.MethodNotEnabled, fmt.Sprintf("The method %q is not enabled for this flow.", method))
}

// concernsForm reports whether an error of a method is about what the form sent, so that the
// client shows the flow again: every 4xx but those that send it elsewhere — to a fresh flow
// (400 _009, use_flow_id) or to a login that steps the session up (403 _102, login_url).
func concernsForm(e *apierr.Error) bool {
	return e.Status >= 400 && e.Status < 500 && e.ContinueFlow == nil &&
		e.Code != apierr.FlowExpired && e.Code != apierr.StepUpRequired
}
