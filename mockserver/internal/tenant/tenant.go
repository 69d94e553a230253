// Package tenant gives each X-Mock-Tenant its own world — state, clock, ids, outbox, faults and
// journal — created from the fixtures on first use, with the number of worlds bounded.
package tenant

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Default is the tenant of requests without X-Mock-Tenant.
const Default = "default"

var validName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// ValidName reports whether name may name a tenant.
func ValidName(name string) bool { return validName.MatchString(name) }

// Cookie names the tenant of a browser's requests that carry no X-Mock-Tenant header: pages
// navigate and post forms, and cannot send headers (the header wins when both are there).
const Cookie = "idflows_tenant"

// World is one tenant's isolated state.
type World struct {
	Name    string
	Store   *store.Store
	Clock   Clock
	IDs     ids.Source
	Outbox  Outbox
	Faults  Faults
	Journal Journal
	// Rules are the provider's rules this world keeps: all of them, unless the mock was built to
	// break the contract on purpose (mockserver.WithDeviation).
	Rules deviation.Rules
}

// Config says how worlds are made.
type Config struct {
	Max int // at most this many worlds (in this process: handles on shared worlds)
	// MinIdle is how long a world must have been left alone before a new world may take its
	// place; while every world is busier than that, new worlds are refused (ErrTooManyTenants).
	MinIdle time.Duration
	Clock   clock.Clock // the base every world's clock runs from
	Limits  store.Limits
	// Budget bounds the flows, sessions and identities of every world together (nil: none).
	Budget *store.Budget
	// Shared keeps the worlds where every replica sees them; nil keeps them in this process.
	Shared Shared
	// IDs returns the id source of a named world (seeded per name for determinism).
	IDs func(name string) ids.Source
	// Deviations are the faults every world is built with (none unless asked for).
	Deviations deviation.Set
	// Seed fills a new or reset world's store with the fixtures (store.Store.Seed).
	Seed func(tx *store.Tx) error
	// OnReset is told when a world is reset or made anew, for what this process keeps per
	// world outside it (the built-in providers' test accounts).
	OnReset func(ctx context.Context, name string) error
	// Relay, when set, is given every message a world's outbox sends, with the world's name.
	Relay func(tenant string, m outbox.Message)
	// Began is every world's store.Store.Began.
	Began func(ctx context.Context, now time.Time)
}

// ErrTooManyTenants is returned by Get when the registry is full of worlds used within
// MinIdle. RetryAfter says when the least recently used one becomes idle enough to give way.
type ErrTooManyTenants struct{ RetryAfter time.Duration }

func (e *ErrTooManyTenants) Error() string {
	return fmt.Sprintf("tenant: too many tenants in use; retry in %s", e.RetryAfter)
}

// Registry holds the worlds. The eviction policy: the default world is never dropped; another
// world is dropped, least recently used first, only to make room for a new one and only once
// it has been idle for MinIdle. So a client opening tenants in a loop can fill the registry,
// but cannot wipe worlds that are in use: it is refused instead.
type Registry struct {
	cfg   Config
	mu    sync.Mutex
	byKey map[string]*list.Element
	lru   *list.List // of *entry, most recently used first
}

type entry struct {
	world    *World
	lastUsed time.Time
}

// NewRegistry returns an empty registry.
func NewRegistry(cfg Config) *Registry {
	return &Registry{cfg: cfg, byKey: map[string]*list.Element{}, lru: list.New()}
}

// Get returns the named world, making it on first use; its fixtures are given by its
// store's first transaction.
func (r *Registry) Get(name string) (*World, error) {
	if w, ok := r.lookup(name); ok {
		return w, nil
	}
	w := r.newWorld(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Clock.Now()
	if el, ok := r.byKey[name]; ok { // another request made it meanwhile
		r.touch(el, now)
		return el.Value.(*entry).world, nil
	}
	if err := r.makeRoom(now); err != nil {
		return nil, err
	}
	if r.cfg.OnReset != nil && r.cfg.Shared == nil {
		_ = r.cfg.OnReset(context.Background(), name) // in memory: cannot fail
	}
	r.byKey[name] = r.lru.PushFront(&entry{world: w, lastUsed: now})
	return w, nil
}

// Used is a world's name and when it was last used.
type Used struct {
	Name     string
	LastUsed time.Time
}

// List names every world, the most recently used first.
func (r *Registry) List(ctx context.Context) ([]Used, error) {
	if r.cfg.Shared != nil {
		return r.cfg.Shared.Used(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Used, 0, r.lru.Len())
	for el := r.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*entry)
		out = append(out, Used{Name: e.world.Name, LastUsed: e.lastUsed})
	}
	return out, nil
}

// Existing returns the named world if it exists, without making one.
func (r *Registry) Existing(name string) (*World, bool) { return r.lookup(name) }

func (r *Registry) lookup(name string) (*World, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	el, ok := r.byKey[name]
	if !ok {
		return nil, false
	}
	r.touch(el, r.cfg.Clock.Now())
	return el.Value.(*entry).world, true
}

func (r *Registry) touch(el *list.Element, now time.Time) {
	el.Value.(*entry).lastUsed = now
	r.lru.MoveToFront(el)
}

// makeRoom drops idle worlds until one more fits, or reports how long until one is idle.
func (r *Registry) makeRoom(now time.Time) error {
	if r.lru.Len() < r.cfg.Max {
		return nil
	}
	for el := r.lru.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*entry)
		if e.world.Name == Default {
			continue
		}
		if idle := now.Sub(e.lastUsed); idle < r.cfg.MinIdle {
			return &ErrTooManyTenants{RetryAfter: r.cfg.MinIdle - idle}
		}
		r.lru.Remove(el)
		delete(r.byKey, e.world.Name)
		if r.cfg.Shared == nil { // a shared world lives on for the other replicas
			_ = e.world.Store.Reset(context.Background()) // in memory: cannot fail
		}
		return nil
	}
	return &ErrTooManyTenants{RetryAfter: r.cfg.MinIdle}
}

// Reset puts a world back to the fixtures: state, clock, outbox, faults and journal.
func (r *Registry) Reset(ctx context.Context, w *World) error {
	if r.cfg.OnReset != nil {
		if err := r.cfg.OnReset(ctx, w.Name); err != nil {
			return err
		}
	}
	if r.cfg.Shared != nil {
		return r.cfg.Shared.Reset(ctx, w.Name)
	}
	return errors.Join(w.Store.Reset(ctx), w.Clock.Reset(ctx), w.Outbox.Clear(ctx), w.Faults.Clear(ctx), w.Journal.Clear(ctx))
}

// Len is the number of live worlds.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}

func (r *Registry) newWorld(name string) *World {
	var parts Parts
	if r.cfg.Shared != nil {
		parts = r.cfg.Shared.Parts(name, r.cfg.Clock, r.cfg.Limits)
	} else {
		parts = memoryParts(r.cfg.Clock, r.cfg.Limits, r.cfg.Budget)
	}
	if r.cfg.Relay != nil {
		parts.Outbox = relaying{parts.Outbox, func(m outbox.Message) { r.cfg.Relay(name, m) }}
	}
	rules := deviation.RulesOf(r.cfg.Deviations)
	st := store.On(parts.Store)
	st.KeepExpiredFlows = !rules.ExpireFlows
	st.FoldUnicode = !rules.ASCIIAddresses
	st.Seed = r.cfg.Seed
	st.Began = r.cfg.Began
	return &World{
		Rules:   rules,
		Name:    name,
		Store:   st,
		Clock:   parts.Clock,
		IDs:     r.cfg.IDs(name),
		Outbox:  parts.Outbox,
		Faults:  parts.Faults,
		Journal: parts.Journal,
	}
}
