package mockserver

import (
	"context"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/request"
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
	v, err := req.Body.AsRecoveryCodeSubmit()
	if err != nil {
		return nil, apierr.Invalid("The request body is invalid.")
	}
	res, err := a.s.recovery.Submit(ctx, c.world, c.req, req.FlowId, codeflow.Body{
		Email: string(deref(v.Body.Email)), Code: deref(v.Body.Code), CSRF: deref(v.Body.CsrfToken)})
	if err != nil {
		return nil, err
	}
	for k, vals := range res.RateLimit {
		c.header[k] = vals
	}
	var out api.RecoverySubmitResult
	var next api.RecoveryContinueFlow
	if res.Settings != nil {
		c.setCookie(a.s.cookie(request.SessionCookie, res.SessionToken, time.Duration(res.SessionExpires)*time.Second))
		out.Session = res.Session
		err = next.FromSettingsFlow(*res.Settings)
	} else {
		err = next.FromRecoveryFlow(a.s.render.Recovery(res.Flow))
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
	v, err := req.Body.AsVerificationCodeSubmit()
	if err != nil {
		return nil, apierr.Invalid("The request body is invalid.")
	}
	f, headers, err := a.s.verification.Submit(ctx, c.world, c.req, req.FlowId, codeflow.Body{
		Email: string(deref(v.Body.Email)), Code: deref(v.Body.Code), CSRF: deref(v.Body.CsrfToken)})
	if err != nil {
		return nil, err
	}
	for k, vals := range headers {
		c.header[k] = vals
	}
	out := api.VerificationSubmitResult{ContinueFlow: a.s.render.Verification(f)}
	if f.ReturnTo != "" && f.State == "passed_challenge" {
		out.ReturnTo = &f.ReturnTo
	}
	return api.SubmitVerificationFlow200JSONResponse(out), nil
}
