// Package codeflow is what recovery and verification share: a flow that asks for an email,
// sends a one-time code (package codes) and checks it. What a correct code does is each flow's
// own business, passed in as a function.
package codeflow

import (
	"context"
	"net/http"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/returnto"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/submit"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// Rules are what differs between recovery and verification.
type Rules struct {
	Type    flow.Type
	Message codes.Message // what the email says
	Sent    flow.Message  // the flow's message after a send
	codes.Errors
}

// Engine runs code flows of one type.
type Engine struct {
	Rules
	ReturnTo     returnto.AllowList
	FlowLifetime time.Duration
	// AsFlow renders a flow for an error's continue_flow.
	AsFlow func(flow.Flow) *api.Flow
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
	err = w.Store.Update(ctx, func(tx *store.Tx) error {
		f, err = e.usable(tx, w, id)
		return err
	})
	return f, err
}

func (e *Engine) usable(tx *store.Tx, w *tenant.World, id string) (flow.Flow, error) {
	f, fresh, found := tx.UsableFlow(id, e.Type, func() string { return ids.UUID(w.IDs) })
	if e := apierr.Lookup(string(e.Type), id, fresh, found); e != nil {
		return flow.Flow{}, e
	}
	return f, nil
}

// Body is a submit of the code method: step 1 sends email, step 2 sends code.
type Body struct {
	Email, Code, CSRF string
}

// Passed is what a correct code does, inside the submit's transaction, for the identity the
// code was sent to.
type Passed func(tx *store.Tx, f *flow.Flow, ident identity.Identity) error

// Submit runs one step and returns the flow as it now is, with the rate-limit headers of a send.
func (e *Engine) Submit(ctx context.Context, w *tenant.World, req request.Request, id string, b Body, passed Passed) (flow.Flow, http.Header, error) {
	var headers http.Header
	load := func(tx *store.Tx) (flow.Flow, error) { return e.usable(tx, w, id) }
	out, err := submit.Run(ctx, w, submit.CSRF{Token: b.CSRF, Cookie: req.CSRFCookie}, load, func(tx *store.Tx, f *flow.Flow) (flow.Flow, error) {
		err := e.step(tx, w, f, b, passed, &headers)
		return *f, err
	})
	return out, headers, err
}

func (e *Engine) step(tx *store.Tx, w *tenant.World, f *flow.Flow, b Body, passed Passed, headers *http.Header) error {
	if f.State == flow.PassedChallenge { // done: it still shows its outcome, but takes nothing more
		return apierr.ExpiredFlow(string(e.Type), f.ID, "")
	}
	switch {
	case b.Email != "":
		ident, known := tx.IdentityByIdentifier(b.Email)
		h, err := codes.Send(tx, w, f, codes.Recipient(w, b.Email, ident, known), ident.ID, e.Message, known)
		if err != nil {
			return err
		}
		*headers = h
		if err := f.MoveTo(flow.SentEmail); err != nil {
			return err
		}
		f.Messages = []flow.Message{e.Sent}
		return nil
	case b.Code != "":
		if f.State != flow.SentEmail {
			return apierr.Invalid("Ask for a code first.", apierr.Field("body.email", "required before a code"))
		}
		if err := codes.Verify(f, b.Code, tx.Now, e.Errors); err != nil {
			if err.Code != apierr.FlowExpired {
				return e.withFlow(*f, err)
			}
			return err
		}
		ident, _ := tx.Identity(f.CodeIdentityID)
		if err := f.MoveTo(flow.PassedChallenge); err != nil {
			return err
		}
		return passed(tx, f, ident)
	}
	return apierr.Invalid("Send email to get a code, or code to use one.", apierr.Field("body", "one of email and code is required"))
}

func (e *Engine) withFlow(f flow.Flow, err *apierr.Error) *apierr.Error {
	if e.AsFlow != nil {
		err.ContinueFlow = e.AsFlow(f)
	}
	return err
}
