package mockserver

import (
	"context"

	"github.com/avnology/idflows/mockserver/internal/settings"

	"github.com/avnology/idflows/gen/api"
)

func (a *flowAPI) CreateSettingsFlow(ctx context.Context, req api.CreateSettingsFlowRequestObject) (api.CreateSettingsFlowResponseObject, error) {
	c := callFrom(ctx)
	out, err := a.s.settings.Create(ctx, c.world, c.req, deref(req.Params.ReturnTo))
	if err != nil {
		return nil, err
	}
	a.s.csrfCookie(c, out.MintedCSRF, out.CSRFToken)
	return encodeFlow(&out.Flow, &out.Flow.Ui)
}

func (a *flowAPI) GetSettingsFlow(ctx context.Context, req api.GetSettingsFlowRequestObject) (api.GetSettingsFlowResponseObject, error) {
	c := callFrom(ctx)
	out, err := a.s.settings.Get(ctx, c.world, c.req, req.FlowId)
	if err != nil {
		return nil, err
	}
	return encodeFlow(&out, &out.Ui)
}

func (a *flowAPI) SubmitSettingsFlow(ctx context.Context, req api.SubmitSettingsFlowRequestObject) (api.SubmitSettingsFlowResponseObject, error) {
	c := callFrom(ctx)
	var cmd settings.Command
	if err := decodeOnce(c, &cmd); err != nil {
		return nil, err
	}
	out, err := a.s.settings.Submit(ctx, c.world, c.req, req.FlowId, cmd)
	if err != nil {
		return nil, err
	}
	return api.SubmitSettingsFlow200JSONResponse(out), nil
}
