package mockserver

import (
	"context"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// Operations of the contract that the mock does not implement yet answer an honest 500 _900
// naming themselves; the conformance waivers list them.

func (a *flowAPI) CreateRecoveryFlow(context.Context, api.CreateRecoveryFlowRequestObject) (api.CreateRecoveryFlowResponseObject, error) {
	return nil, apierr.NotImplemented("createRecoveryFlow")
}

func (a *flowAPI) GetRecoveryFlow(context.Context, api.GetRecoveryFlowRequestObject) (api.GetRecoveryFlowResponseObject, error) {
	return nil, apierr.NotImplemented("getRecoveryFlow")
}

func (a *flowAPI) SubmitRecoveryFlow(context.Context, api.SubmitRecoveryFlowRequestObject) (api.SubmitRecoveryFlowResponseObject, error) {
	return nil, apierr.NotImplemented("submitRecoveryFlow")
}

func (a *flowAPI) CreateVerificationFlow(context.Context, api.CreateVerificationFlowRequestObject) (api.CreateVerificationFlowResponseObject, error) {
	return nil, apierr.NotImplemented("createVerificationFlow")
}

func (a *flowAPI) GetVerificationFlow(context.Context, api.GetVerificationFlowRequestObject) (api.GetVerificationFlowResponseObject, error) {
	return nil, apierr.NotImplemented("getVerificationFlow")
}

func (a *flowAPI) SubmitVerificationFlow(context.Context, api.SubmitVerificationFlowRequestObject) (api.SubmitVerificationFlowResponseObject, error) {
	return nil, apierr.NotImplemented("submitVerificationFlow")
}

func (a *flowAPI) CompleteOidcFlow(context.Context, api.CompleteOidcFlowRequestObject) (api.CompleteOidcFlowResponseObject, error) {
	return nil, apierr.NotImplemented("completeOidcFlow")
}
