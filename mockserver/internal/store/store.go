// Package store keeps one tenant's identities, flows and sessions. All access goes through
// Update, which runs a function as one exclusive transaction, so a read-modify-write (a
// failed-password counter, a consumed flow) is never lost — in this process's memory by
// default, or in a Backend every replica of the mock shares. Expired state is swept as time
// passes and the number of flows and sessions is capped, so memory stays bounded under load.
package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
)

// ErrDuplicate is returned by PutIdentity when the email or username belongs to another identity.
var ErrDuplicate = errors.New("store: email or username already taken")

// Limits bound a tenant's memory.
type Limits struct {
	MaxFlows    int // oldest flows are evicted beyond this
	MaxSessions int // oldest sessions are evicted beyond this
	// Grace keeps expired flows and sessions this long, so that they answer "expired"
	// (_009, _004) rather than "unknown".
	Grace time.Duration
	// SweepEvery is how often (tenant time) expired state is swept.
	SweepEvery time.Duration
}

// DefaultLimits suit a developer's laptop and a load test alike.
var DefaultLimits = Limits{MaxFlows: 100_000, MaxSessions: 100_000, Grace: time.Hour, SweepEvery: time.Minute}

// MaxOrganizations bounds a tenant's organizations (the control plane creates them).
const MaxOrganizations = 1000

// ErrTooManyOrganizations is PutOrganization's error beyond MaxOrganizations.
var ErrTooManyOrganizations = errors.New("store: too many organizations in this tenant")

// Store is one tenant's state.
type Store struct {
	backend Backend
	// KeepExpiredFlows makes expired flows usable: the expiry-ignored deviation, never set otherwise.
	KeepExpiredFlows bool
	// FoldUnicode compares addresses after Unicode lower-casing: the unicode-folding deviation,
	// never set otherwise.
	FoldUnicode bool
	// Seed gives a new or reset tenant its fixtures, in the first transaction that finds it
	// without them: so a reset and its seeding look like one step to every replica.
	Seed func(tx *Tx) error
	// Began, when set, is told the tenant's time whenever a transaction begins: the server
	// answers it as its Date, so a client sees the clock its flows expire by.
	Began func(ctx context.Context, now time.Time)
}

// New returns an empty in-memory store whose time is now, counting what it holds against
// budget (which may be nil).
func New(limits Limits, budget *Budget, now func() time.Time) *Store {
	return On(NewMemory(limits, budget, now))
}

// On returns the store kept in backend.
func On(backend Backend) *Store { return &Store{backend: backend} }

// Reset drops everything (a reset tenant, or a dropped one).
func (s *Store) Reset(ctx context.Context) error { return s.backend.Reset(ctx) }

// Counts reports how many flows, sessions and identities the store holds.
func (s *Store) Counts(ctx context.Context) (flows, sessions, identities int, err error) {
	return s.backend.Counts(ctx)
}

// Update runs fn as one exclusive transaction. Changes made through tx are kept even when fn
// returns an error: a failed login must still count. A backend's failure (ErrUnavailable)
// wins over fn's answer, which may rest on what could not be read.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, now, err := s.backend.Begin(ctx, true)
	if err != nil {
		return err
	}
	s.began(ctx, now)
	defer endOnPanic(st)
	tx := &Tx{ctx: ctx, s: s, st: st, Now: now}
	if err := s.seed(tx); err != nil {
		return errors.Join(err, st.End(false))
	}
	err = fn(tx)
	if endErr := st.End(true); endErr != nil {
		return endErr
	}
	if tx.full != nil && err == nil {
		return tx.full
	}
	return err
}

func (s *Store) began(ctx context.Context, now time.Time) {
	if s.Began != nil {
		s.Began(ctx, now)
	}
}

// Read runs fn as a transaction that shares the store with other reads: what GETs use. A
// read that turns out to need a write (a GET of an expired flow stores a fresh one) is run
// again under Update, so fn must only assign what it reads to its results.
func (s *Store) Read(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, now, err := s.backend.Begin(ctx, false)
	if err != nil {
		return err
	}
	s.began(ctx, now)
	if !st.Seeded() && s.Seed != nil { // seeding writes
		if err := st.End(false); err != nil {
			return err
		}
		return s.Update(ctx, fn)
	}
	defer endOnPanic(st)
	tx := &Tx{ctx: ctx, s: s, st: st, Now: now, readOnly: true}
	err = fn(tx)
	if endErr := st.End(false); endErr != nil {
		return endErr
	}
	if tx.wrote {
		return s.Update(ctx, fn)
	}
	return err
}

// endOnPanic ends a transaction whose function panicked, keeping nothing, and panics on: the
// recoverer answers 500, and the tenant must not stay held.
func endOnPanic(st State) {
	if v := recover(); v != nil {
		_ = st.End(false)
		panic(v)
	}
}

// seed gives the tenant its fixtures if the transaction finds it without them.
func (s *Store) seed(tx *Tx) error {
	if s.Seed == nil || tx.st.Seeded() {
		return nil
	}
	if err := s.Seed(tx); err != nil {
		return err
	}
	if tx.full != nil {
		return tx.full
	}
	tx.st.MarkSeeded()
	return nil
}

// Tx is the store seen from inside Update or Read. Values go in and out by copy.
type Tx struct {
	ctx context.Context // a transaction's, as in database/sql
	s   *Store
	st  State
	Now time.Time
	// readOnly is a Read's transaction: a write is not done but noted in wrote, and the Read
	// runs again as an Update.
	readOnly, wrote bool
	// full is set when a new flow, session or identity did not fit the budget: it was not
	// stored, and Update answers this error.
	full *FullError
}

// Context is the context the transaction runs in, for what it does beside the store.
func (tx *Tx) Context() context.Context { return tx.ctx }

// skipWrite reports whether a write must not happen: in a Read, which then runs again as
// an Update.
func (tx *Tx) skipWrite() bool {
	if tx.readOnly {
		tx.wrote = true
	}
	return tx.readOnly
}

// noteFull keeps a budget refusal for Update to answer.
func (tx *Tx) noteFull(err error) error {
	var full *FullError
	if errors.As(err, &full) {
		tx.full = full
	}
	return err
}

// Identity returns the identity with id.
func (tx *Tx) Identity(id string) (identity.Identity, bool) { return tx.st.Identity(id) }

// IdentityByIdentifier finds an identity by email or username, compared after ASCII-only
// lower-casing (REQ-SEC-002).
func (tx *Tx) IdentityByIdentifier(identifier string) (identity.Identity, bool) {
	key := identity.NormalizeEmail(identifier)
	if tx.s.FoldUnicode {
		key = strings.ToLower(key)
	}
	return tx.st.IdentityByKey(key)
}

// PutIdentity creates or replaces an identity, keeping emails and usernames unique.
func (tx *Tx) PutIdentity(i identity.Identity) error {
	if tx.skipWrite() {
		return nil
	}
	return tx.noteFull(tx.st.PutIdentity(i))
}

// Organization returns the organization with id.
func (tx *Tx) Organization(id string) (identity.Organization, bool) { return tx.st.Organization(id) }

// PutOrganization creates or replaces an organization; a tenant holds at most
// MaxOrganizations (ErrTooManyOrganizations beyond).
func (tx *Tx) PutOrganization(o identity.Organization) error {
	if tx.skipWrite() {
		return nil
	}
	return tx.st.PutOrganization(o)
}

// Organizations returns every organization, by id.
func (tx *Tx) Organizations() []identity.Organization { return tx.st.Organizations() }

// IdentityBySocial returns the identity a provider account is linked to.
func (tx *Tx) IdentityBySocial(l identity.SocialLink) (identity.Identity, bool) {
	return tx.st.IdentityBySocial(l)
}

// Identities returns every identity, oldest first.
func (tx *Tx) Identities() []identity.Identity { return tx.st.Identities() }

// Flow returns the flow with id, expired or not.
func (tx *Tx) Flow(id string) (flow.Flow, bool) { return tx.st.Flow(id) }

// Flows returns up to limit flows, newest first, expired or not.
func (tx *Tx) Flows(limit int) []flow.Flow { return tx.st.Flows(limit) }

// Sessions returns up to limit sessions, newest first, active or not.
func (tx *Tx) Sessions(limit int) []session.Session { return tx.st.Sessions(limit) }

// PutFlow creates or replaces a flow, evicting the oldest beyond the cap.
func (tx *Tx) PutFlow(f flow.Flow) {
	if !tx.skipWrite() {
		_ = tx.noteFull(tx.st.PutFlow(f))
	}
}

// Session returns the session with id.
func (tx *Tx) Session(id string) (session.Session, bool) { return tx.st.Session(id) }

// SessionByToken returns the session a token belongs to.
func (tx *Tx) SessionByToken(token string) (session.Session, bool) {
	return tx.st.SessionByToken(token)
}

// PutSession creates or replaces a session, evicting the oldest beyond the cap.
func (tx *Tx) PutSession(ses session.Session) {
	if !tx.skipWrite() {
		_ = tx.noteFull(tx.st.PutSession(ses))
	}
}

// SessionsOf returns the identity's sessions, newest first.
func (tx *Tx) SessionsOf(identityID string) []session.Session { return tx.st.SessionsOf(identityID) }

// Hit counts one event against key's fixed window of length per and reports whether it is
// within limit, how many remain and when the window resets.
func (tx *Tx) Hit(key string, limit int, per time.Duration) (ok bool, remaining int, resetAt time.Time) {
	if tx.skipWrite() {
		return true, limit, tx.Now
	}
	w, found := tx.st.Window(key)
	if !found || !tx.Now.Before(w.ResetAt) {
		w = Window{ResetAt: tx.Now.Add(per)}
	}
	w.Count++
	tx.st.PutWindow(key, w)
	return w.Count <= limit, max(limit-w.Count, 0), w.ResetAt
}

// Spent reports whether key's current window has used up limit, without counting.
func (tx *Tx) Spent(key string, limit int) bool {
	w, found := tx.st.Window(key)
	return found && tx.Now.Before(w.ResetAt) && w.Count >= limit
}

// UsableFlow loads the flow id of type t for a get or a submit. found is false for an unknown
// id (or one of another type). An expired or consumed flow is not returned: a fresh flow with
// the same parameters is stored instead and its id returned in fresh, for `use_flow_id`.
func (tx *Tx) UsableFlow(id string, t flow.Type, newID func() string) (f flow.Flow, fresh string, found bool) {
	f, ok := tx.Flow(id)
	if !ok || f.Type != t {
		return flow.Flow{}, "", false
	}
	if !f.Usable(tx.Now) && !(tx.s.KeepExpiredFlows && !f.Consumed) {
		n := flow.Fresh(f, newID(), tx.Now)
		tx.PutFlow(n)
		return flow.Flow{}, n.ID, true
	}
	return f, "", true
}
