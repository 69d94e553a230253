package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/flow"
)

// Recovery and verification: the thin translation to and from their services.

func (a *flowAPI) CreateRecoveryFlow(ctx context.Context, req api.CreateRecoveryFlowRequestObject) (api.CreateRecoveryFlowResponseObject, error) {
	c := callFrom(ctx)
	f, minted, err := a.s.recovery.Create(ctx, c.world, c.req, deref(req.Params.ReturnTo))
	if err != nil {
		return nil, err
	}
	a.s.csrfCookie(c, minted, f.CSRFToken)
	return api.CreateRecoveryFlow200JSONResponse(a.s.render.Recovery(f)), nil
}

func (a *flowAPI) GetRecoveryFlow(ctx context.Context, req api.GetRecoveryFlowRequestObject) (api.GetRecoveryFlowResponseObject, error) {
	f, err := a.s.recovery.Get(ctx, callFrom(ctx).world, req.FlowId)
	if err != nil {
		return nil, err
	}
	return api.GetRecoveryFlow200JSONResponse(a.s.render.Recovery(f)), nil
}

func (a *flowAPI) SubmitRecoveryFlow(ctx context.Context, req api.SubmitRecoveryFlowRequestObject) (api.SubmitRecoveryFlowResponseObject, error) {
	c := callFrom(ctx)
	var cmd codeflow.Command
	if err := decodeOnce(c, &cmd); err != nil {
		return nil, err
	}
	d, err := a.s.recovery.Submit(ctx, c.world, c.req, req.FlowId, cmd)
	if err != nil {
		return nil, err
	}
	a.s.answerEffects(c, d.Effects())
	var out api.RecoverySubmitResult
	var next api.RecoveryContinueFlow
	if out.Session, _ = d.SignedIn(); out.Session != nil && d.Outcome.Next != nil { // rendered outside the lock
		err = next.FromSettingsFlow(a.s.settings.Show(*d.Outcome.Next, d.Outcome.Identity))
	} else {
		err = next.FromRecoveryFlow(a.s.render.Recovery(d.Flow))
	}
	if err != nil {
		return nil, err
	}
	out.ContinueFlow = &next
	return api.SubmitRecoveryFlow200JSONResponse(out), nil
}

func (a *flowAPI) CreateVerificationFlow(ctx context.Context, req api.CreateVerificationFlowRequestObject) (api.CreateVerificationFlowResponseObject, error) {
	c := callFrom(ctx)
	f, minted, err := a.s.verification.Create(ctx, c.world, c.req, deref(req.Params.ReturnTo))
	if err != nil {
		return nil, err
	}
	a.s.csrfCookie(c, minted, f.CSRFToken)
	return api.CreateVerificationFlow200JSONResponse(a.s.render.Verification(f)), nil
}

func (a *flowAPI) GetVerificationFlow(ctx context.Context, req api.GetVerificationFlowRequestObject) (api.GetVerificationFlowResponseObject, error) {
	f, err := a.s.verification.Get(ctx, callFrom(ctx).world, req.FlowId)
	if err != nil {
		return nil, err
	}
	return api.GetVerificationFlow200JSONResponse(a.s.render.Verification(f)), nil
}

func (a *flowAPI) SubmitVerificationFlow(ctx context.Context, req api.SubmitVerificationFlowRequestObject) (api.SubmitVerificationFlowResponseObject, error) {
	c := callFrom(ctx)
	var cmd codeflow.Command
	if err := decodeOnce(c, &cmd); err != nil {
		return nil, err
	}
	d, err := a.s.verification.Submit(ctx, c.world, c.req, req.FlowId, cmd)
	if err != nil {
		return nil, err
	}
	a.s.answerEffects(c, d.Effects())
	out := api.VerificationSubmitResult{ContinueFlow: a.s.render.Verification(d.Flow)}
	if d.Flow.ReturnTo != "" && d.Flow.State() == flow.PassedChallenge {
		out.ReturnTo = &d.Flow.ReturnTo
	}
	return api.SubmitVerificationFlow200JSONResponse(out), nil
}
