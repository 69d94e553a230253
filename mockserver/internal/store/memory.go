package store

import (
	"container/list"
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/session"
)

// memory is a Backend in this process's memory: the default. A mutex makes write
// transactions exclusive; expired state is swept as time passes, and flows and sessions are
// capped per tenant and counted against a budget shared by every tenant.
type memory struct {
	limits Limits
	budget *Budget // nil is unbounded
	now    func() time.Time

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
	windows    map[string]Window
	lastSweep  time.Time
	seeded     bool
}

// NewMemory returns an empty in-memory backend whose time is now, counting what it holds
// against budget (which may be nil).
func NewMemory(limits Limits, budget *Budget, now func() time.Time) Backend {
	m := &memory{limits: limits, budget: budget, now: now}
	m.clear()
	return m
}

func (m *memory) clear() {
	m.identities = map[string]identity.Identity{}
	m.byEmail = map[string]string{}
	m.byUsername = map[string]string{}
	m.bySocial = map[identity.SocialLink]string{}
	m.orgs = map[string]identity.Organization{}
	m.flows = map[string]*list.Element{}
	m.flowOrder = list.New()
	m.sessions = map[string]*list.Element{}
	m.sessOrder = list.New()
	m.byToken = map[string]string{}
	m.windows = map[string]Window{}
	m.seeded = false
}

// memWrite and memRead are the two kinds of transaction; each is one pointer, so handing it
// out as a State allocates nothing.
type (
	memWrite struct{ *memory }
	memRead  struct{ *memory }
)

func (w memWrite) End(bool) error { w.mu.Unlock(); return nil }
func (r memRead) End(bool) error  { r.mu.RUnlock(); return nil }

func (m *memory) Begin(_ context.Context, write bool) (State, time.Time, error) {
	now := m.now()
	if !write {
		m.mu.RLock()
		return memRead{m}, now, nil
	}
	m.mu.Lock()
	if now.Sub(m.lastSweep) >= m.limits.SweepEvery || now.Before(m.lastSweep) {
		m.sweep(now)
		m.lastSweep = now
	}
	return memWrite{m}, now, nil
}

// Reset drops everything, giving its share of the budget back (a reset tenant, or a dropped one).
func (m *memory) Reset(context.Context) error {
	m.mu.Lock()
	m.budget.release(len(m.flows), len(m.sessions), len(m.identities))
	m.clear()
	m.mu.Unlock()
	return nil
}

func (m *memory) Counts(context.Context) (flows, sessions, identities int, err error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.flows), len(m.sessions), len(m.identities), nil
}

// sweep drops flows and sessions that expired more than the grace period ago, and rate-limit
// windows that ended.
func (m *memory) sweep(now time.Time) {
	cutoff := now.Add(-m.limits.Grace)
	flows, sessions := 0, 0
	for id, el := range m.flows {
		if el.Value.(flow.Flow).ExpiresAt.Before(cutoff) {
			m.flowOrder.Remove(el)
			delete(m.flows, id)
			flows++
		}
	}
	for id, el := range m.sessions {
		if ses := el.Value.(session.Session); ses.ExpiresAt.Before(cutoff) {
			m.sessOrder.Remove(el)
			delete(m.sessions, id)
			delete(m.byToken, ses.Token)
			sessions++
		}
	}
	m.budget.release(flows, sessions, 0)
	for k, w := range m.windows {
		if !now.Before(w.ResetAt) {
			delete(m.windows, k)
		}
	}
}

func (m *memory) Identity(id string) (identity.Identity, bool) {
	i, ok := m.identities[id]
	return i, ok
}

func (m *memory) IdentityByKey(key string) (identity.Identity, bool) {
	if id, ok := m.byEmail[key]; ok {
		return m.identities[id], true
	}
	if id, ok := m.byUsername[key]; ok {
		return m.identities[id], true
	}
	return identity.Identity{}, false
}

func (m *memory) PutIdentity(i identity.Identity) error {
	email, username := IndexKeys(i)
	if other, ok := m.byEmail[email]; ok && other != i.ID {
		return ErrDuplicate
	}
	if other, ok := m.byUsername[username]; ok && username != "" && other != i.ID {
		return ErrDuplicate
	}
	for _, l := range i.Social {
		if other, ok := m.bySocial[l]; ok && other != i.ID {
			return ErrDuplicate
		}
	}
	if old, ok := m.identities[i.ID]; ok {
		oldEmail, oldUsername := IndexKeys(old)
		delete(m.byEmail, oldEmail)
		delete(m.byUsername, oldUsername)
		for _, l := range old.Social {
			delete(m.bySocial, l)
		}
	} else if full := m.budget.take(kindIdentities); full != nil {
		return full
	}
	m.identities[i.ID] = i
	m.byEmail[email] = i.ID
	for _, l := range i.Social {
		m.bySocial[l] = i.ID
	}
	if username != "" {
		m.byUsername[username] = i.ID
	}
	return nil
}

func (m *memory) Organization(id string) (identity.Organization, bool) {
	o, ok := m.orgs[id]
	return o, ok
}

func (m *memory) PutOrganization(o identity.Organization) error {
	if _, ok := m.orgs[o.ID]; !ok && len(m.orgs) >= MaxOrganizations {
		return ErrTooManyOrganizations
	}
	m.orgs[o.ID] = o
	return nil
}

func (m *memory) Organizations() []identity.Organization {
	out := make([]identity.Organization, 0, len(m.orgs))
	for _, o := range m.orgs {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b identity.Organization) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func (m *memory) IdentityBySocial(l identity.SocialLink) (identity.Identity, bool) {
	id, ok := m.bySocial[l]
	if !ok {
		return identity.Identity{}, false
	}
	return m.Identity(id)
}

func (m *memory) Identities() []identity.Identity {
	out := make([]identity.Identity, 0, len(m.identities))
	for _, i := range m.identities {
		out = append(out, i)
	}
	SortIdentities(out)
	return out
}

// SortIdentities orders identities oldest first (ties by id): how every backend lists them.
func SortIdentities(out []identity.Identity) {
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].ID < out[b].ID
	})
}

func (m *memory) Flow(id string) (flow.Flow, bool) {
	el, ok := m.flows[id]
	if !ok {
		return flow.Flow{}, false
	}
	return el.Value.(flow.Flow), true
}

func (m *memory) Flows(limit int) []flow.Flow {
	var out []flow.Flow
	for el := m.flowOrder.Back(); el != nil && len(out) < limit; el = el.Prev() {
		out = append(out, el.Value.(flow.Flow))
	}
	return out
}

func (m *memory) Sessions(limit int) []session.Session {
	var out []session.Session
	for el := m.sessOrder.Back(); el != nil && len(out) < limit; el = el.Prev() {
		out = append(out, el.Value.(session.Session))
	}
	return out
}

func (m *memory) PutFlow(f flow.Flow) error {
	if el, ok := m.flows[f.ID]; ok {
		el.Value = f
		return nil
	}
	// A tenant at its own cap makes room by dropping its oldest flow (its own state, never
	// another tenant's); beyond that a new flow needs room in the budget.
	for m.flowOrder.Len() >= m.limits.MaxFlows && m.flowOrder.Len() > 0 {
		oldest := m.flowOrder.Front()
		m.flowOrder.Remove(oldest)
		delete(m.flows, oldest.Value.(flow.Flow).ID)
		m.budget.release(1, 0, 0)
	}
	if full := m.budget.take(kindFlows); full != nil {
		return full
	}
	m.flows[f.ID] = m.flowOrder.PushBack(f)
	return nil
}

func (m *memory) Session(id string) (session.Session, bool) {
	el, ok := m.sessions[id]
	if !ok {
		return session.Session{}, false
	}
	return el.Value.(session.Session), true
}

func (m *memory) SessionByToken(token string) (session.Session, bool) {
	id, ok := m.byToken[token]
	if !ok {
		return session.Session{}, false
	}
	return m.Session(id)
}

func (m *memory) PutSession(ses session.Session) error {
	if el, ok := m.sessions[ses.ID]; ok {
		el.Value = ses
		return nil
	}
	for m.sessOrder.Len() >= m.limits.MaxSessions && m.sessOrder.Len() > 0 {
		oldest := m.sessOrder.Front()
		m.sessOrder.Remove(oldest)
		old := oldest.Value.(session.Session)
		delete(m.sessions, old.ID)
		delete(m.byToken, old.Token)
		m.budget.release(0, 1, 0)
	}
	if full := m.budget.take(kindSessions); full != nil {
		return full
	}
	m.sessions[ses.ID] = m.sessOrder.PushBack(ses)
	m.byToken[ses.Token] = ses.ID
	return nil
}

func (m *memory) SessionsOf(identityID string) []session.Session {
	var out []session.Session
	for el := m.sessOrder.Back(); el != nil; el = el.Prev() {
		if ses := el.Value.(session.Session); ses.IdentityID == identityID {
			out = append(out, ses)
		}
	}
	return out
}

func (m *memory) Window(key string) (Window, bool) {
	w, ok := m.windows[key]
	return w, ok
}

func (m *memory) PutWindow(key string, w Window) { m.windows[key] = w }

func (m *memory) Seeded() bool { return m.seeded }
func (m *memory) MarkSeeded()  { m.seeded = true }
