package store

import (
	"context"
	"errors"
	"time"

	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
)

// Backend is where one tenant's state lives: this process's memory (NewMemory, the default)
// or a store every replica of the mock shares (Redis). Store turns it into transactions.
type Backend interface {
	// Begin starts a transaction and tells the tenant's time, which the backend keeps (a
	// shared backend reads it in the same round trip). A write transaction is exclusive —
	// against every process sharing the backend — and a read runs alongside others.
	Begin(ctx context.Context, write bool) (State, time.Time, error)
	// Reset deletes the tenant's state.
	Reset(ctx context.Context) error
	// Counts reports how many flows, sessions and identities the tenant holds.
	Counts(ctx context.Context) (flows, sessions, identities int, err error)
}

// State is the tenant's state inside one transaction; values go in and out by copy, and a
// transaction reads its own writes. A backend that fails mid-transaction answers "not found"
// from then on, keeps none of the transaction's writes and reports the failure from End.
type State interface {
	Identity(id string) (identity.Identity, bool)
	// IdentityByKey finds an identity by its email or username as IndexKeys gives them.
	IdentityByKey(key string) (identity.Identity, bool)
	IdentityBySocial(l identity.SocialLink) (identity.Identity, bool)
	Identities() []identity.Identity
	// PutIdentity creates or replaces an identity; ErrDuplicate when its email, username or a
	// social link belongs to another, a *FullError when a new one does not fit.
	PutIdentity(i identity.Identity) error
	Organization(id string) (identity.Organization, bool)
	Organizations() []identity.Organization
	// PutOrganization is ErrTooManyOrganizations beyond MaxOrganizations.
	PutOrganization(o identity.Organization) error

	Flow(id string) (flow.Flow, bool)
	// Flows returns up to limit flows, newest first.
	Flows(limit int) []flow.Flow
	// PutFlow creates or replaces a flow; a new one beyond the tenant's cap evicts its oldest,
	// and one that does not fit the budget is a *FullError.
	PutFlow(f flow.Flow) error

	Session(id string) (session.Session, bool)
	SessionByToken(token string) (session.Session, bool)
	// Sessions returns up to limit sessions, newest first; SessionsOf an identity's, newest first.
	Sessions(limit int) []session.Session
	SessionsOf(identityID string) []session.Session
	PutSession(s session.Session) error

	// Window is a rate-limit or lockout counter; PutWindow keeps it until it resets.
	Window(key string) (Window, bool)
	PutWindow(key string, w Window)

	// Seeded reports whether the tenant was given its fixtures since it was made or reset;
	// MarkSeeded records that this transaction gives them.
	Seeded() bool
	MarkSeeded()

	// End finishes the transaction, keeping its writes when commit is set.
	End(commit bool) error
}

// Window is a fixed rate-limit window: events counted until ResetAt.
type Window struct {
	Count   int
	ResetAt time.Time
}

// ErrUnavailable is what a transaction's error is (errors.Is) when a shared backend could not
// be reached or answered something this version cannot read: nothing of the transaction was
// kept, and the request may be retried.
var ErrUnavailable = errors.New("store: the shared state is unavailable")

// IndexKeys are the keys an identity is found by: its email and username, each lower-cased
// in ASCII only (REQ-SEC-002); username is "" without one.
func IndexKeys(i identity.Identity) (email, username string) {
	return identity.NormalizeEmail(i.Traits.Email), identity.NormalizeEmail(i.Username)
}
