package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/registration"
)

func (a *flowAPI) CreateRegistrationFlow(ctx context.Context, req api.CreateRegistrationFlowRequestObject) (api.CreateRegistrationFlowResponseObject, error) {
	c := callFrom(ctx)
	p := req.Params
	out, err := a.s.registration.Create(ctx, c.world, c.req, registration.CreateParams{
		ReturnTo: deref(p.ReturnTo), LoginChallenge: deref(p.LoginChallenge), OrganizationID: deref(p.OrganizationId),
	})
	if err != nil {
		return nil, err
	}
	a.s.csrfCookie(c, out.MintedCSRF, out.CSRFToken)
	return encodeFlow(&out.Flow, &out.Flow.Ui)
}

func (a *flowAPI) GetRegistrationFlow(ctx context.Context, req api.GetRegistrationFlowRequestObject) (api.GetRegistrationFlowResponseObject, error) {
	out, err := a.s.registration.Get(ctx, callFrom(ctx).world, req.FlowId)
	if err != nil {
		return nil, err
	}
	return encodeFlow(&out, &out.Ui)
}

func (a *flowAPI) SubmitRegistrationFlow(ctx context.Context, req api.SubmitRegistrationFlowRequestObject) (api.SubmitRegistrationFlowResponseObject, error) {
	c := callFrom(ctx)
	var cmd registration.Command
	if err := decodeOnce(c, &cmd); err != nil {
		return nil, err
	}
	out, err := a.s.registration.Submit(ctx, c.world, c.req, req.FlowId, cmd)
	if err != nil {
		return nil, err
	}
	a.s.answerEffects(c, out.Effects)
	return api.SubmitRegistrationFlow200JSONResponse(out.Body), nil
}
