package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/sessions"
)

func (a *flowAPI) GetSession(ctx context.Context, _ api.GetSessionRequestObject) (api.GetSessionResponseObject, error) {
	c := callFrom(ctx)
	out, err := sessions.Whoami(ctx, c.world, c.req)
	if err != nil {
		return nil, err
	}
	return api.GetSession200JSONResponse(out), nil
}

func (a *flowAPI) Logout(ctx context.Context, _ api.LogoutRequestObject) (api.LogoutResponseObject, error) {
	c := callFrom(ctx)
	if err := sessions.Logout(ctx, c.world, c.req); err != nil {
		return nil, err
	}
	a.s.clearSessionCookie(c)
	return api.Logout204Response{}, nil
}

func (a *flowAPI) ListSessions(ctx context.Context, req api.ListSessionsRequestObject) (api.ListSessionsResponseObject, error) {
	c := callFrom(ctx)
	size := 25
	if req.Params.PageSize != nil {
		size = *req.Params.PageSize
	}
	out, err := sessions.List(ctx, c.world, c.req, size, deref(req.Params.PageToken))
	if err != nil {
		return nil, err
	}
	return api.ListSessions200JSONResponse(out), nil
}

func (a *flowAPI) RevokeOtherSessions(ctx context.Context, _ api.RevokeOtherSessionsRequestObject) (api.RevokeOtherSessionsResponseObject, error) {
	c := callFrom(ctx)
	n, err := sessions.RevokeOthers(ctx, c.world, c.req)
	if err != nil {
		return nil, err
	}
	return api.RevokeOtherSessions200JSONResponse{RevokedCount: n}, nil
}

func (a *flowAPI) RevokeSession(ctx context.Context, req api.RevokeSessionRequestObject) (api.RevokeSessionResponseObject, error) {
	c := callFrom(ctx)
	current, err := sessions.Revoke(ctx, c.world, c.req, req.SessionId)
	if err != nil {
		return nil, err
	}
	if current {
		a.s.clearSessionCookie(c)
	}
	return api.RevokeSession204Response{}, nil
}

// clearSessionCookie expires avnl_session when the request carried it (REQ-CSRF-004).
func (s *Server) clearSessionCookie(c *call) {
	if c.req.SessionCookie != "" {
		c.setCookie(s.cookie(request.SessionCookie, "", 0))
	}
}
