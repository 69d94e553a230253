// Package codeflow is what recovery and verification share: a flow that asks for an email,
// sends a one-time code (package codes) and checks it. What a correct code does is each flow's
// own business, passed in as a function.
package codeflow

import (
	"context"
	"sync"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Engine runs code flows of one type.
type Engine struct {
	Type  flow.Type
	Steps codes.Steps
	// Passed is what a correct code does, inside the submit's transaction, for the identity
	// the code was sent to; its outcome moves the flow to passed_challenge.
	Passed       func(st *kernel.Step, ident identity.Identity) (kernel.Outcome, error)
	ReturnTo     returnto.AllowList
	FlowLifetime time.Duration
	// AsFlow renders a flow for an error's continue_flow.
	AsFlow func(flow.Flow) *api.Flow

	once sync.Once
	typ  *kernel.Type[Fields, struct{}]
}

// Create makes a flow in show_form (REQ-REC-001, REQ-VER-001); minted says whether the CSRF
// cookie must be set.
func (e *Engine) Create(ctx context.Context, w *tenant.World, req request.Request, returnTo string) (f flow.Flow, minted bool, err error) {
	if err := e.ReturnTo.Check(returnTo); err != nil {
		return flow.Flow{}, false, err
	}
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		f = flow.New(ids.UUID(w.IDs), e.Type, tx.Now, e.FlowLifetime)
		f.CSRFToken, minted = req.CSRFToken(func() string { return ids.Token(w.IDs, 32) })
		f.ReturnTo = returnTo
		tx.PutFlow(f)
		return nil
	})
	return f, minted, err
}

// Get returns a flow that can still be used.
func (e *Engine) Get(ctx context.Context, w *tenant.World, id string) (f flow.Flow, err error) {
	err = w.Store.Read(ctx, func(tx *store.Tx) error {
		f, err = kernel.Usable(tx, w, e.Type, id)
		return err
	})
	return f, err
}

// Command is a submit, decoded once from the validated request.
type Command = kernel.Command[Fields]

// Fields are the code method's: step 1 sends email, step 2 sends code.
type Fields struct {
	CSRFToken string `json:"csrf_token"`
	Email     string `json:"email"`
	Code      string `json:"code"`
}

// CSRF is the token the form carried.
func (f Fields) CSRF() string { return f.CSRFToken }

// Submit runs one step of the code method.
func (e *Engine) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, cmd Command) (kernel.Done[struct{}], error) {
	return kernel.Run(ctx, e.flowType(), w, req, id, cmd)
}

// flowType declares the flow type to the kernel: the code method is its one method.
func (e *Engine) flowType() *kernel.Type[Fields, struct{}] {
	e.once.Do(func() {
		e.typ = &kernel.Type[Fields, struct{}]{
			Flow:    e.Type,
			Methods: map[string]kernel.Method[Fields]{"code": {Run: e.code}},
			Load:    kernel.LoadUsable(e.Type),
			View:    func(*kernel.Step) struct{} { return struct{}{} },
			Render: func(f flow.Flow, _ struct{}) *api.Flow {
				if e.AsFlow == nil {
					return nil
				}
				return e.AsFlow(f)
			},
		}
	})
	return e.typ
}

func (e *Engine) code(st *kernel.Step, b Fields) (kernel.Outcome, error) {
	f := st.Flow
	if f.State() == flow.PassedChallenge { // done: it still shows its outcome, but takes nothing more
		return kernel.Outcome{}, apierr.ExpiredFlow(string(e.Type), f.ID, "")
	}
	switch {
	case b.Email != "":
		ident, known := st.Tx.IdentityByIdentifier(b.Email)
		return e.Steps.Send(st, codes.Recipient(st.World, b.Email, ident, known), ident.ID, known)
	case b.Code != "":
		if err := e.Steps.Check(st, b.Code); err != nil {
			return kernel.Outcome{}, err
		}
		ident, _ := st.Tx.Identity(f.CodeIdentityID)
		o, err := e.Passed(st, ident)
		o.To = flow.PassedChallenge
		return o, err
	}
	return kernel.Outcome{}, e.Steps.Missing()
}
