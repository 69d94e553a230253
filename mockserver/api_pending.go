package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// Operations of the contract that the mock does not implement yet answer an honest 500 _900
// naming themselves; the conformance waivers list them.

func (a *flowAPI) CompleteOidcFlow(context.Context, api.CompleteOidcFlowRequestObject) (api.CompleteOidcFlowResponseObject, error) {
	return nil, apierr.NotImplemented("completeOidcFlow")
}
