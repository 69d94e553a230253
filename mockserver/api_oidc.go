package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
)

// CompleteOidcFlow is the social provider's callback: it completes the flow the state names
// and sends the browser on (303), with the session cookie of a completed sign-in.
func (a *flowAPI) CompleteOidcFlow(ctx context.Context, req api.CompleteOidcFlowRequestObject) (api.CompleteOidcFlowResponseObject, error) {
	c := callFrom(ctx)
	res, err := a.s.callback.Complete(ctx, c.world, c.req, req.Provider, req.Params.Code, req.Params.State)
	if err != nil {
		return nil, err
	}
	a.s.answerEffects(c, res.Effects)
	if rt := c.query.Get("return_to"); rt != "" && !c.world.Rules.FixedCallbackTarget { // the social-open-redirect deviation
		res.Location = rt
	}
	c.header.Set("Location", res.Location)
	return api.CompleteOidcFlow303Response{}, nil
}
