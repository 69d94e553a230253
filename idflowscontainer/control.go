package idflowscontainer

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/avnology/idflows/gen/control"
)

// The control plane calls a test needs most, as plain values and errors (the generated client,
// Control, has every other one).

// Reset puts the tenant back to the personas: identities, flows, sessions, clock, outbox.
func (c *Container) Reset(ctx context.Context) error {
	r, err := c.Control.ResetTenantWithResponse(ctx, &control.ResetTenantParams{})
	return answered(r, err, http.StatusNoContent)
}

// SeedIdentity creates an identity with any credentials, bypassing the password policy.
func (c *Container) SeedIdentity(ctx context.Context, seed control.IdentitySeed) (control.IdentitySummary, error) {
	r, err := c.Control.SeedIdentityWithResponse(ctx, &control.SeedIdentityParams{}, seed)
	if err := answered(r, err, http.StatusCreated); err != nil {
		return control.IdentitySummary{}, err
	}
	return *r.JSON201, nil
}

// Outbox returns the messages the mock sent to address (codes and links among them).
func (c *Container) Outbox(ctx context.Context, address string) ([]control.OutboxMessage, error) {
	r, err := c.Control.ListOutboxWithResponse(ctx, &control.ListOutboxParams{To: &address})
	if err := answered(r, err, http.StatusOK); err != nil {
		return nil, err
	}
	return r.JSON200.Messages, nil
}

// TOTPCode is the identity's current TOTP code, on the tenant's clock.
func (c *Container) TOTPCode(ctx context.Context, identityID string) (string, error) {
	r, err := c.Control.GetIdentityTotpCodeWithResponse(ctx, identityID, &control.GetIdentityTotpCodeParams{})
	if err := answered(r, err, http.StatusOK); err != nil {
		return "", err
	}
	return r.JSON200.Code, nil
}

// AdvanceClock moves the tenant's clock forward: flows, sessions and codes expire.
func (c *Container) AdvanceClock(ctx context.Context, d time.Duration) error {
	r, err := c.Control.AdvanceClockWithResponse(ctx, &control.AdvanceClockParams{}, control.ClockAdvance{Seconds: int(d / time.Second)})
	return answered(r, err, http.StatusOK)
}

type response interface{ StatusCode() int }

// answered is err, or an error when the control plane answered another status than want.
func answered(r response, err error, want int) error {
	if err != nil {
		return fmt.Errorf("idflowscontainer: %w", err)
	}
	if r.StatusCode() != want {
		return fmt.Errorf("idflowscontainer: the control plane answered HTTP %d", r.StatusCode())
	}
	return nil
}
