package mockserver

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/oidcprovider"
	"github.com/avnology/idflows/openapi"
)

// controlAPI implements openapi/mock-control.yaml.
type controlAPI struct{ s *Server }

func (c *controlAPI) health(status control.HealthStatus) control.Health {
	return control.Health{Status: status, Version: c.s.cfg.Version, ContractSha256: openapi.FlowsSHA256()}
}

func (c *controlAPI) GetHealth(context.Context, control.GetHealthRequestObject) (control.GetHealthResponseObject, error) {
	return control.GetHealth200JSONResponse(c.health(control.Ok)), nil
}

func (c *controlAPI) GetReady(ctx context.Context, _ control.GetReadyRequestObject) (control.GetReadyResponseObject, error) {
	if c.s.shared != nil {
		if err := c.s.shared.Ping(ctx); err != nil {
			return nil, err
		}
	}
	return control.GetReady200JSONResponse(c.health(control.Ready)), nil
}

func (c *controlAPI) ResetTenant(ctx context.Context, _ control.ResetTenantRequestObject) (control.ResetTenantResponseObject, error) {
	if err := c.s.tenants.Reset(ctx, callFrom(ctx).world); err != nil {
		return nil, err
	}
	return control.ResetTenant204Response{}, nil
}

func summary(i identity.Identity, now time.Time) control.IdentitySummary {
	out := control.IdentitySummary{
		Id: i.ID, Email: i.Traits.Email, EmailVerified: i.EmailVerified,
		State: control.IdentitySummaryState(i.State), Locked: i.Locked(now),
		Credentials: []control.IdentitySummaryCredentials{},
	}
	if i.Username != "" {
		u := i.Username
		out.Username = &u
	}
	for _, cred := range i.Credentials() {
		out.Credentials = append(out.Credentials, control.IdentitySummaryCredentials(cred))
	}
	return out
}

func (c *controlAPI) ListIdentities(ctx context.Context, _ control.ListIdentitiesRequestObject) (control.ListIdentitiesResponseObject, error) {
	out := control.IdentityList{Identities: []control.IdentitySummary{}}
	err := callFrom(ctx).world.Store.Update(ctx, func(tx *store.Tx) error {
		for _, i := range tx.Identities() {
			out.Identities = append(out.Identities, summary(i, tx.Now))
		}
		return nil
	})
	return control.ListIdentities200JSONResponse(out), err
}

func (c *controlAPI) ListFlows(ctx context.Context, req control.ListFlowsRequestObject) (control.ListFlowsResponseObject, error) {
	out := control.FlowList{Flows: []control.FlowSummary{}}
	err := callFrom(ctx).world.Store.Read(ctx, func(tx *store.Tx) error {
		for _, f := range tx.Flows(limitOr100(req.Params.Limit)) {
			sum := control.FlowSummary{Id: f.ID, Type: control.FlowSummaryType(f.Type), State: string(f.State()),
				IssuedAt: f.IssuedAt, ExpiresAt: f.ExpiresAt, Expired: !tx.Now.Before(f.ExpiresAt), Consumed: f.Consumed}
			if f.IdentityID != "" {
				sum.IdentityId = &f.IdentityID
			}
			if f.ReturnTo != "" {
				sum.ReturnTo = &f.ReturnTo
			}
			out.Flows = append(out.Flows, sum)
		}
		return nil
	})
	return control.ListFlows200JSONResponse(out), err
}

func (c *controlAPI) ListSessions(ctx context.Context, req control.ListSessionsRequestObject) (control.ListSessionsResponseObject, error) {
	out := control.SessionList{Sessions: []control.SessionSummary{}}
	err := callFrom(ctx).world.Store.Read(ctx, func(tx *store.Tx) error {
		for _, ses := range tx.Sessions(limitOr100(req.Params.Limit)) {
			methods := make([]string, 0, len(ses.Methods))
			for _, m := range ses.Methods {
				methods = append(methods, m.Method)
			}
			out.Sessions = append(out.Sessions, control.SessionSummary{Id: ses.ID, IdentityId: ses.IdentityID,
				Aal: control.SessionSummaryAal(ses.AAL), Active: ses.Active(tx.Now), Revoked: ses.Revoked, Methods: methods,
				IssuedAt: ses.IssuedAt, ExpiresAt: ses.ExpiresAt})
		}
		return nil
	})
	return control.ListSessions200JSONResponse(out), err
}

func (c *controlAPI) ListTenants(ctx context.Context, _ control.ListTenantsRequestObject) (control.ListTenantsResponseObject, error) {
	out := control.TenantList{Tenants: []control.TenantSummary{}}
	used, err := c.s.tenants.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range used {
		out.Tenants = append(out.Tenants, control.TenantSummary{LastUsed: u.LastUsed, Name: u.Name})
	}
	return control.ListTenants200JSONResponse(out), nil
}

func limitOr100(limit *int) int {
	if limit == nil {
		return 100
	}
	return *limit
}

func (c *controlAPI) SeedIdentity(ctx context.Context, req control.SeedIdentityRequestObject) (control.SeedIdentityResponseObject, error) {
	w := callFrom(ctx).world
	b := req.Body
	ident := identity.Identity{
		ID: deref(b.Id), Username: deref(b.Username),
		Traits:        identity.Traits{Email: string(b.Email), Phone: deref(b.Phone)},
		EmailVerified: deref(b.EmailVerified), State: identity.StateActive,
		TOTPSecret: deref(b.TotpSecret), LookupSecrets: deref(b.LookupSecrets),
	}
	if ident.ID == "" {
		ident.ID = "usr_" + ids.UUID(w.IDs)
	}
	if b.Name != nil {
		ident.Traits.Name = identity.Name{First: deref(b.Name.First), Last: deref(b.Name.Last)}
	}
	if b.State != nil {
		ident.State = string(*b.State)
	}
	if b.Password != nil {
		ident.PasswordHash = c.s.hasher(w.IDs).Hash(*b.Password)
	}
	for i, cred := range deref(b.WebauthnCredentials) {
		id, err1 := base64.RawURLEncoding.DecodeString(cred.Id)
		key, err2 := base64.RawURLEncoding.DecodeString(cred.PublicKey)
		if err1 != nil || err2 != nil {
			return nil, apierr.Invalid("A WebAuthn credential is not base64url.", apierr.Field(fmt.Sprintf("body.webauthn_credentials.%d", i), "id and public_key must be base64url without padding"))
		}
		ident.WebAuthn = append(ident.WebAuthn, identity.WebAuthnCredential{
			ID: id, PublicKey: key, SignCount: uint32(deref(cred.SignCount)), DisplayName: deref(cred.DisplayName),
			Discoverable: cred.Discoverable == nil || *cred.Discoverable,
		})
	}
	for i, sa := range deref(b.SocialAccounts) {
		p, ok := c.s.providers[sa.Provider]
		if !ok {
			return nil, apierr.Invalid("No such built-in provider.", apierr.Field(fmt.Sprintf("body.social_accounts.%d.provider", i), "see --oidc-builtin"))
		}
		acc, err := p.Accounts.Add(ctx, w.Name, oidcprovider.Account{Email: string(sa.Email), Name: ident.DisplayName(), EmailVerified: true})
		if err != nil {
			return nil, err
		}
		ident.Social = append(ident.Social, identity.SocialLink{Provider: sa.Provider, Subject: acc.Subject})
	}
	var out control.IdentitySummary
	err := w.Store.Update(ctx, func(tx *store.Tx) error {
		ident.CreatedAt, ident.UpdatedAt = tx.Now, tx.Now
		if ident.EmailVerified {
			ident.VerifiedAt = tx.Now
		}
		for i := range ident.WebAuthn {
			ident.WebAuthn[i].CreatedAt = tx.Now
		}
		if deref(b.Locked) {
			ident.LockedUntil = tx.Now.Add(lockedFor)
		}
		if _, exists := tx.Identity(ident.ID); exists {
			return apierr.New(apierr.DuplicateAccount, "An identity with this id already exists.")
		}
		if err := tx.PutIdentity(ident); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return apierr.New(apierr.DuplicateAccount, "An account with this email or username already exists.")
			}
			return err
		}
		out = summary(ident, tx.Now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return control.SeedIdentity201JSONResponse(out), nil
}

func (c *controlAPI) GetIdentityTotpCode(ctx context.Context, req control.GetIdentityTotpCodeRequestObject) (control.GetIdentityTotpCodeResponseObject, error) {
	var out control.TotpCode
	err := callFrom(ctx).world.Store.Update(ctx, func(tx *store.Tx) error {
		ident, ok := tx.Identity(req.IdentityId)
		if !ok || ident.TOTPSecret == "" {
			return apierr.NotFoundError()
		}
		code, err := identity.TOTPCode(ident.TOTPSecret, tx.Now)
		if err != nil {
			return err
		}
		step := tx.Now.Unix() / 30
		out = control.TotpCode{Code: code, ValidUntil: time.Unix((step+1)*30, 0).UTC()}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return control.GetIdentityTotpCode200JSONResponse(out), nil
}

func (c *controlAPI) ListOutbox(ctx context.Context, req control.ListOutboxRequestObject) (control.ListOutboxResponseObject, error) {
	limit := 100
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	out := control.Outbox{Messages: []control.OutboxMessage{}}
	msgs, err := callFrom(ctx).world.Outbox.List(ctx, deref(req.Params.To), limit)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		msg := control.OutboxMessage{
			Id: m.ID, Channel: control.OutboxMessageChannel(m.Channel), To: m.To,
			Template: control.OutboxMessageTemplate(m.Template), Subject: m.Subject, Body: m.Body, SentAt: m.SentAt,
		}
		if m.Code != "" {
			msg.Code = &m.Code
		}
		if m.Link != "" {
			msg.Link = &m.Link
		}
		if m.FlowID != "" {
			msg.FlowId = &m.FlowID
		}
		out.Messages = append(out.Messages, msg)
	}
	return control.ListOutbox200JSONResponse(out), nil
}

func (c *controlAPI) ClearOutbox(ctx context.Context, _ control.ClearOutboxRequestObject) (control.ClearOutboxResponseObject, error) {
	if err := callFrom(ctx).world.Outbox.Clear(ctx); err != nil {
		return nil, err
	}
	return control.ClearOutbox204Response{}, nil
}

// clockOf reads the tenant's clock after moved (which may be nil) moved it.
func clockOf(ctx context.Context, moved error) (control.Clock, error) {
	if moved != nil {
		return control.Clock{}, moved
	}
	clk := callFrom(ctx).world.Clock
	offset, err := clk.Offset(ctx)
	return control.Clock{Now: clk.Now(), OffsetSeconds: int(offset / time.Second)}, err
}

func (c *controlAPI) GetClock(ctx context.Context, _ control.GetClockRequestObject) (control.GetClockResponseObject, error) {
	out, err := clockOf(ctx, nil)
	return control.GetClock200JSONResponse(out), err
}

func (c *controlAPI) SetClock(ctx context.Context, req control.SetClockRequestObject) (control.SetClockResponseObject, error) {
	out, err := clockOf(ctx, callFrom(ctx).world.Clock.Set(ctx, req.Body.Now))
	return control.SetClock200JSONResponse(out), err
}

func (c *controlAPI) AdvanceClock(ctx context.Context, req control.AdvanceClockRequestObject) (control.AdvanceClockResponseObject, error) {
	out, err := clockOf(ctx, callFrom(ctx).world.Clock.Advance(ctx, time.Duration(req.Body.Seconds)*time.Second))
	return control.AdvanceClock200JSONResponse(out), err
}

func faultOut(f tenant.Fault) control.Fault {
	out := control.Fault{Id: f.ID, OperationId: f.OperationID, LatencyMs: int(f.Latency / time.Millisecond), Remaining: f.Remaining}
	if f.ErrorCode != "" {
		code, status := f.ErrorCode, f.Status
		out.ErrorCode = &code
		if status != 0 {
			out.Status = &status
		}
	}
	return out
}

func (c *controlAPI) ListFaults(ctx context.Context, _ control.ListFaultsRequestObject) (control.ListFaultsResponseObject, error) {
	out := control.FaultList{Faults: []control.Fault{}}
	faults, err := callFrom(ctx).world.Faults.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range faults {
		out.Faults = append(out.Faults, faultOut(f))
	}
	return control.ListFaults200JSONResponse(out), nil
}

func (c *controlAPI) ArmFault(ctx context.Context, req control.ArmFaultRequestObject) (control.ArmFaultResponseObject, error) {
	b := req.Body
	op := c.s.flows.Operation(b.OperationId)
	if op == nil {
		return nil, apierr.Invalid("Unknown operation.", apierr.Field("body.operation_id", "not an operationId of the contract"))
	}
	status := deref(b.Status)
	if code := deref(b.ErrorCode); code != "" {
		listed, atStatus := false, status == 0
		for _, pair := range op.Pairs {
			listed = listed || pair.Code == code
			atStatus = atStatus || (pair.Code == code && pair.Status == status)
		}
		if !listed {
			return nil, apierr.Invalid("The operation does not list this error code.", apierr.Field("body.error_code", "not in the operation's x-error-codes"))
		}
		if !atStatus {
			return nil, apierr.Invalid("The operation does not list this error code at this status.", apierr.Field("body.status", "not a status x-error-codes gives the code"))
		}
	} else if status != 0 {
		return nil, apierr.Invalid("A status needs an error code.", apierr.Field("body.status", "set error_code too"))
	}
	times := 1
	if b.Times != nil {
		times = *b.Times
	}
	f, err := callFrom(ctx).world.Faults.Arm(ctx, tenant.Fault{
		OperationID: b.OperationId, ErrorCode: deref(b.ErrorCode), Status: status,
		Latency: time.Duration(deref(b.LatencyMs)) * time.Millisecond, Remaining: times,
	})
	if err != nil {
		return nil, err
	}
	return control.ArmFault201JSONResponse(faultOut(f)), nil
}

func (c *controlAPI) ClearFaults(ctx context.Context, _ control.ClearFaultsRequestObject) (control.ClearFaultsResponseObject, error) {
	if err := callFrom(ctx).world.Faults.Clear(ctx); err != nil {
		return nil, err
	}
	return control.ClearFaults204Response{}, nil
}

func (c *controlAPI) ListJournal(ctx context.Context, req control.ListJournalRequestObject) (control.ListJournalResponseObject, error) {
	out := control.Journal{Entries: []control.JournalEntry{}}
	entries, err := callFrom(ctx).world.Journal.List(ctx, limitOr100(req.Params.Limit))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		entry := control.JournalEntry{
			RequestId: e.RequestID, Time: e.Time, Method: e.Method, Path: e.Path,
			Status: e.Status, DurationMs: int(e.Duration / time.Millisecond),
		}
		if e.OperationID != "" {
			entry.OperationId = &e.OperationID
		}
		if e.ErrorCode != "" {
			entry.ErrorCode = &e.ErrorCode
		}
		out.Entries = append(out.Entries, entry)
	}
	return control.ListJournal200JSONResponse(out), nil
}

func (c *controlAPI) GetWebauthnScript(context.Context, control.GetWebauthnScriptRequestObject) (control.GetWebauthnScriptResponseObject, error) {
	return control.GetWebauthnScript200TextjavascriptResponse{Body: bytes.NewReader(passkey.Script), ContentLength: int64(len(passkey.Script))}, nil
}
