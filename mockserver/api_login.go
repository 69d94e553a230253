package mockserver

import (
	"context"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/login"
	"github.com/avnology/idflows/mockserver/internal/request"
)

// flowAPI implements the contract's operations: each method translates, calls its service and
// maps the result.
type flowAPI struct{ s *Server }

func (a *flowAPI) CreateLoginFlow(ctx context.Context, req api.CreateLoginFlowRequestObject) (api.CreateLoginFlowResponseObject, error) {
	c := callFrom(ctx)
	p := req.Params
	out, err := a.s.login.Create(ctx, c.world, c.req, login.CreateParams{
		Refresh: deref(p.Refresh), ReturnTo: deref(p.ReturnTo), LoginChallenge: deref(p.LoginChallenge),
		OrganizationID: deref(p.OrganizationId), AAL: string(deref(p.Aal)),
	})
	if err != nil {
		return nil, err
	}
	a.s.csrfCookie(c, out.MintedCSRF, out.CSRFToken)
	return encodeFlow(&out.Flow, &out.Flow.Ui)
}

func (a *flowAPI) GetLoginFlow(ctx context.Context, req api.GetLoginFlowRequestObject) (api.GetLoginFlowResponseObject, error) {
	out, err := a.s.login.Get(ctx, callFrom(ctx).world, req.FlowId)
	if err != nil {
		return nil, err
	}
	return encodeFlow(&out, &out.Ui)
}

func (a *flowAPI) SubmitLoginFlow(ctx context.Context, req api.SubmitLoginFlowRequestObject) (api.SubmitLoginFlowResponseObject, error) {
	c := callFrom(ctx)
	var cmd login.Command
	if err := decodeOnce(c, &cmd); err != nil {
		return nil, err
	}
	out, err := a.s.login.Submit(ctx, c.world, c.req, req.FlowId, cmd)
	if err != nil {
		return nil, err
	}
	a.s.answerEffects(c, out.Effects)
	return api.SubmitLoginFlow200JSONResponse(out.Body), nil
}

// answerEffects sets what a submit's answer carries besides its body: the session cookie of a
// sign-in and the rate-limit headers.
func (s *Server) answerEffects(c *call, e kernel.Effects) {
	for k, v := range e.RateLimit {
		c.header[k] = v
	}
	if e.SessionToken != "" {
		c.setCookie(s.cookie(request.SessionCookie, e.SessionToken, e.SessionExpires.Sub(c.world.Clock.Now())))
	}
}

// csrfCookie sets avnl_csrf when the flow minted its token (REQ-CSRF-001).
func (s *Server) csrfCookie(c *call, minted bool, token string) {
	if minted {
		c.setCookie(s.cookie(request.CSRFCookie, token, 365*24*time.Hour))
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
