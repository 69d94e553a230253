// Package store keeps one tenant's identities, flows and sessions in memory. All access goes
// through Update, which runs a function under the tenant's lock, so a read-modify-write (a
// failed-password counter, a consumed flow) is never lost. Expired state is swept as time
// passes and the number of flows and sessions is capped, so memory stays bounded under load.
package store

import (
	"container/list"
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"sync"
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

// Store is one tenant's state.
type Store struct {
	limits Limits
	budget *Budget // shared by every tenant; nil is unbounded
	now    func() time.Time
	// KeepExpiredFlows makes expired flows usable: the expiry-ignored deviation, never set otherwise.
	KeepExpiredFlows bool
	// FoldUnicode compares addresses after Unicode lower-casing: the unicode-folding deviation,
	// never set otherwise.
	FoldUnicode bool

	mu         sync.RWMutex
	identities map[string]identity.Identity
	byEmail    map[string]string
	byUsername map[string]string
	bySocial   map[identity.SocialLink]string
	orgs       map[string]identity.Organization
	flows      map[string]*list.Element // values are flow.Flow, in creation order
	flowOrder  *list.List
	sessions   map[string]*list.Element // values are session.Session, in creation order
	sessOrder  *list.List
	byToken    map[string]string
	windows    map[string]*window
	lastSweep  time.Time
}

// New returns an empty store whose time is now, counting what it holds against budget (which
// may be nil).
func New(limits Limits, budget *Budget, now func() time.Time) *Store {
	s := &Store{limits: limits, budget: budget, now: now}
	s.reset()
	return s
}

func (s *Store) reset() {
	s.identities = map[string]identity.Identity{}
	s.byEmail = map[string]string{}
	s.byUsername = map[string]string{}
	s.bySocial = map[identity.SocialLink]string{}
	s.orgs = map[string]identity.Organization{}
	s.flows = map[string]*list.Element{}
	s.flowOrder = list.New()
	s.sessions = map[string]*list.Element{}
	s.sessOrder = list.New()
	s.byToken = map[string]string{}
	s.windows = map[string]*window{}
}

// Reset drops everything, giving its share of the budget back (a reset tenant, or a dropped one).
func (s *Store) Reset() {
	s.mu.Lock()
	s.budget.release(len(s.flows), len(s.sessions), len(s.identities))
	s.reset()
	s.mu.Unlock()
}

// Update runs fn with exclusive access to the store. Changes made through tx are kept even when
// fn returns an error: a failed login must still count.
func (s *Store) Update(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if now.Sub(s.lastSweep) >= s.limits.SweepEvery || now.Before(s.lastSweep) {
		s.sweep(now)
		s.lastSweep = now
	}
	tx := &Tx{s: s, Now: now}
	err := fn(tx)
	if tx.full != nil && err == nil {
		return tx.full
	}
	return err
}

// sweep drops flows and sessions that expired more than the grace period ago, and rate-limit
// windows that ended.
func (s *Store) sweep(now time.Time) {
	cutoff := now.Add(-s.limits.Grace)
	flows, sessions := 0, 0
	for id, el := range s.flows {
		if el.Value.(flow.Flow).ExpiresAt.Before(cutoff) {
			s.flowOrder.Remove(el)
			delete(s.flows, id)
			flows++
		}
	}
	for id, el := range s.sessions {
		if ses := el.Value.(session.Session); ses.ExpiresAt.Before(cutoff) {
			s.sessOrder.Remove(el)
			delete(s.sessions, id)
			delete(s.byToken, ses.Token)
			sessions++
		}
	}
	s.budget.release(flows, sessions, 0)
	for k, w := range s.windows {
		if !now.Before(w.resetAt) {
			delete(s.windows, k)
		}
	}
}

// Counts reports how many flows, sessions and identities the store holds.
func (s *Store) Counts() (flows, sessions, identities int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.flows), len(s.sessions), len(s.identities)
}

// Read runs fn with shared access to the store, alongside other reads: what GETs use. A read
// that turns out to need a write (a GET of an expired flow stores a fresh one) is run again
// under Update, so fn must only assign what it reads to its results.
func (s *Store) Read(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	tx := &Tx{s: s, Now: s.now(), readOnly: true}
	err := fn(tx)
	s.mu.RUnlock()
	if tx.wrote {
		return s.Update(ctx, fn)
	}
	return err
}

// Tx is the store seen from inside Update or Read. Values go in and out by copy.
type Tx struct {
	s   *Store
	Now time.Time
	// readOnly is a Read's transaction: a write is not done but noted in wrote, and the Read
	// runs again as an Update.
	readOnly, wrote bool
	// full is set when a new flow, session or identity did not fit the budget: it was not
	// stored, and Update answers this error.
	full *FullError
}

// Identity returns the identity with id.
func (tx *Tx) Identity(id string) (identity.Identity, bool) {
	i, ok := tx.s.identities[id]
	return i, ok
}

// IdentityByIdentifier finds an identity by email or username, compared after ASCII-only
// lower-casing (REQ-SEC-002).
func (tx *Tx) IdentityByIdentifier(identifier string) (identity.Identity, bool) {
	key := identity.NormalizeEmail(identifier)
	if tx.s.FoldUnicode {
		key = strings.ToLower(key)
	}
	if id, ok := tx.s.byEmail[key]; ok {
		return tx.s.identities[id], true
	}
	if id, ok := tx.s.byUsername[key]; ok {
		return tx.s.identities[id], true
	}
	return identity.Identity{}, false
}

// PutIdentity creates or replaces an identity, keeping emails and usernames unique.
func (tx *Tx) PutIdentity(i identity.Identity) error {
	if tx.readOnly {
		tx.wrote = true
		return nil
	}
	email := identity.NormalizeEmail(i.Traits.Email)
	if other, ok := tx.s.byEmail[email]; ok && other != i.ID {
		return ErrDuplicate
	}
	username := identity.NormalizeEmail(i.Username)
	if other, ok := tx.s.byUsername[username]; ok && username != "" && other != i.ID {
		return ErrDuplicate
	}
	for _, l := range i.Social {
		if other, ok := tx.s.bySocial[l]; ok && other != i.ID {
			return ErrDuplicate
		}
	}
	if old, ok := tx.s.identities[i.ID]; ok {
		delete(tx.s.byEmail, identity.NormalizeEmail(old.Traits.Email))
		delete(tx.s.byUsername, identity.NormalizeEmail(old.Username))
		for _, l := range old.Social {
			delete(tx.s.bySocial, l)
		}
	} else if full := tx.s.budget.take(kindIdentities); full != nil {
		tx.full = full
		return full
	}
	tx.s.identities[i.ID] = i
	tx.s.byEmail[email] = i.ID
	for _, l := range i.Social {
		tx.s.bySocial[l] = i.ID
	}
	if username != "" {
		tx.s.byUsername[username] = i.ID
	}
	return nil
}

// MaxOrganizations bounds a tenant's organizations (the control plane creates them).
const MaxOrganizations = 1000

// Organization returns the organization with id.
func (tx *Tx) Organization(id string) (identity.Organization, bool) {
	o, ok := tx.s.orgs[id]
	return o, ok
}

// PutOrganization creates or replaces an organization; a tenant holds at most
// MaxOrganizations (ErrFull beyond).
func (tx *Tx) PutOrganization(o identity.Organization) error {
	if tx.readOnly {
		tx.wrote = true
		return nil
	}
	if _, ok := tx.s.orgs[o.ID]; !ok && len(tx.s.orgs) >= MaxOrganizations {
		return ErrTooManyOrganizations
	}
	tx.s.orgs[o.ID] = o
	return nil
}

// Organizations returns every organization, by id.
func (tx *Tx) Organizations() []identity.Organization {
	out := make([]identity.Organization, 0, len(tx.s.orgs))
	for _, o := range tx.s.orgs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b identity.Organization) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// ErrTooManyOrganizations is PutOrganization's error beyond MaxOrganizations.
var ErrTooManyOrganizations = errors.New("store: too many organizations in this tenant")

// IdentityBySocial returns the identity a provider account is linked to.
func (tx *Tx) IdentityBySocial(l identity.SocialLink) (identity.Identity, bool) {
	id, ok := tx.s.bySocial[l]
	if !ok {
		return identity.Identity{}, false
	}
	return tx.Identity(id)
}

// Identities returns every identity, oldest first.
func (tx *Tx) Identities() []identity.Identity {
	out := make([]identity.Identity, 0, len(tx.s.identities))
	for _, i := range tx.s.identities {
		out = append(out, i)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// Flow returns the flow with id, expired or not.
func (tx *Tx) Flow(id string) (flow.Flow, bool) {
	el, ok := tx.s.flows[id]
	if !ok {
		return flow.Flow{}, false
	}
	return el.Value.(flow.Flow), true
}

// Flows returns up to limit flows, newest first, expired or not.
func (tx *Tx) Flows(limit int) []flow.Flow {
	var out []flow.Flow
	for el := tx.s.flowOrder.Back(); el != nil && len(out) < limit; el = el.Prev() {
		out = append(out, el.Value.(flow.Flow))
	}
	return out
}

// Sessions returns up to limit sessions, newest first, active or not.
func (tx *Tx) Sessions(limit int) []session.Session {
	var out []session.Session
	for el := tx.s.sessOrder.Back(); el != nil && len(out) < limit; el = el.Prev() {
		out = append(out, el.Value.(session.Session))
	}
	return out
}

// PutFlow creates or replaces a flow, evicting the oldest beyond the cap.
func (tx *Tx) PutFlow(f flow.Flow) {
	if tx.readOnly {
		tx.wrote = true
		return
	}
	if el, ok := tx.s.flows[f.ID]; ok {
		el.Value = f
		return
	}
	// A tenant at its own cap makes room by dropping its oldest flow (its own state, never
	// another tenant's); beyond that a new flow needs room in the budget.
	for tx.s.flowOrder.Len() >= tx.s.limits.MaxFlows && tx.s.flowOrder.Len() > 0 {
		oldest := tx.s.flowOrder.Front()
		tx.s.flowOrder.Remove(oldest)
		delete(tx.s.flows, oldest.Value.(flow.Flow).ID)
		tx.s.budget.release(1, 0, 0)
	}
	if full := tx.s.budget.take(kindFlows); full != nil {
		tx.full = full
		return
	}
	tx.s.flows[f.ID] = tx.s.flowOrder.PushBack(f)
}

// Session returns the session with id.
func (tx *Tx) Session(id string) (session.Session, bool) {
	el, ok := tx.s.sessions[id]
	if !ok {
		return session.Session{}, false
	}
	return el.Value.(session.Session), true
}

// SessionByToken returns the session a token belongs to.
func (tx *Tx) SessionByToken(token string) (session.Session, bool) {
	id, ok := tx.s.byToken[token]
	if !ok {
		return session.Session{}, false
	}
	return tx.Session(id)
}

// PutSession creates or replaces a session, evicting the oldest beyond the cap.
func (tx *Tx) PutSession(ses session.Session) {
	if tx.readOnly {
		tx.wrote = true
		return
	}
	if el, ok := tx.s.sessions[ses.ID]; ok {
		el.Value = ses
		return
	}
	for tx.s.sessOrder.Len() >= tx.s.limits.MaxSessions && tx.s.sessOrder.Len() > 0 {
		oldest := tx.s.sessOrder.Front()
		tx.s.sessOrder.Remove(oldest)
		old := oldest.Value.(session.Session)
		delete(tx.s.sessions, old.ID)
		delete(tx.s.byToken, old.Token)
		tx.s.budget.release(0, 1, 0)
	}
	if full := tx.s.budget.take(kindSessions); full != nil {
		tx.full = full
		return
	}
	tx.s.sessions[ses.ID] = tx.s.sessOrder.PushBack(ses)
	tx.s.byToken[ses.Token] = ses.ID
}

// SessionsOf returns the identity's sessions, newest first.
func (tx *Tx) SessionsOf(identityID string) []session.Session {
	var out []session.Session
	for el := tx.s.sessOrder.Back(); el != nil; el = el.Prev() {
		if ses := el.Value.(session.Session); ses.IdentityID == identityID {
			out = append(out, ses)
		}
	}
	return out
}

type window struct {
	count   int
	resetAt time.Time
}

// Hit counts one event against key's fixed window of length per and reports whether it is
// within limit, how many remain and when the window resets.
func (tx *Tx) Hit(key string, limit int, per time.Duration) (ok bool, remaining int, resetAt time.Time) {
	if tx.readOnly {
		tx.wrote = true
		return true, limit, tx.Now
	}
	w, found := tx.s.windows[key]
	if !found || !tx.Now.Before(w.resetAt) {
		w = &window{resetAt: tx.Now.Add(per)}
		tx.s.windows[key] = w
	}
	w.count++
	remaining = max(limit-w.count, 0)
	return w.count <= limit, remaining, w.resetAt
}

// Spent reports whether key's current window has used up limit, without counting.
func (tx *Tx) Spent(key string, limit int) bool {
	w, found := tx.s.windows[key]
	return found && tx.Now.Before(w.resetAt) && w.count >= limit
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
