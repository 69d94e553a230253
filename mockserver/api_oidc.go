package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// CompleteOidcFlow is the social provider's callback. The mock offers no social provider (the
// oidc method answers 400 _013), so no sign-in can be in progress and every state is unknown:
// 404 _901, as REQ-OIDC-002 asks of an unknown state.
func (a *flowAPI) CompleteOidcFlow(context.Context, api.CompleteOidcFlowRequestObject) (api.CompleteOidcFlowResponseObject, error) {
	return nil, apierr.New(apierr.NotFound, "No social sign-in is in progress with this state.")
}
