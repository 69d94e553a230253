// Package tenant gives each X-Mock-Tenant its own world — state, clock, ids, outbox, faults and
// journal — created from the fixtures on first use, with the number of worlds bounded.
package tenant

import (
	"container/list"
	"sync"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Default is the tenant of requests without X-Mock-Tenant.
const Default = "default"

// World is one tenant's isolated state.
type World struct {
	Name    string
	Store   *store.Store
	Clock   *clock.Offset
	IDs     ids.Source
	Outbox  *outbox.Outbox
	Faults  *Faults
	Journal *Journal
	// Deviations are deliberate contract breaches (mockserver.WithFault); empty in normal use.
	Deviations deviation.Set
}

// Config says how worlds are made.
type Config struct {
	Max    int         // at most this many worlds; the least recently used is dropped
	Clock  clock.Clock // the base every world's clock runs from
	Limits store.Limits
	// IDs returns the id source of a named world (seeded per name for determinism).
	IDs func(name string) ids.Source
	// Deviations are the faults every world is built with (none unless asked for).
	Deviations deviation.Set
	// Seed fills a new or reset world with the fixtures.
	Seed func(*World) error
}

// Registry holds the worlds.
type Registry struct {
	cfg   Config
	mu    sync.Mutex
	byKey map[string]*list.Element
	lru   *list.List
}

// NewRegistry returns an empty registry.
func NewRegistry(cfg Config) *Registry {
	return &Registry{cfg: cfg, byKey: map[string]*list.Element{}, lru: list.New()}
}

// Get returns the named world, creating it from the fixtures on first use.
func (r *Registry) Get(name string) (*World, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.byKey[name]; ok {
		r.lru.MoveToFront(el)
		return el.Value.(*World), nil
	}
	w := r.newWorld(name)
	if err := r.cfg.Seed(w); err != nil {
		return nil, err
	}
	r.byKey[name] = r.lru.PushFront(w)
	// Drop the least recently used worlds, but never the default one: a frontend developing
	// against the mock lives there while test suites churn through named worlds.
	for el := r.lru.Back(); r.lru.Len() > r.cfg.Max && el != nil; {
		prev := el.Prev()
		if name := el.Value.(*World).Name; name != Default {
			r.lru.Remove(el)
			delete(r.byKey, name)
		}
		el = prev
	}
	return w, nil
}

// Reset puts a world back to the fixtures: state, clock, outbox, faults and journal.
func (r *Registry) Reset(w *World) error {
	w.Store.Reset()
	w.Clock.Reset()
	w.Outbox.Clear()
	w.Faults.Clear()
	w.Journal.Clear()
	return r.cfg.Seed(w)
}

// Len is the number of live worlds.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lru.Len()
}

func (r *Registry) newWorld(name string) *World {
	clk := clock.NewOffset(r.cfg.Clock)
	st := store.New(r.cfg.Limits, clk.Now)
	st.KeepExpiredFlows = r.cfg.Deviations.Has(deviation.ExpiryIgnored)
	return &World{
		Deviations: r.cfg.Deviations,
		Name:       name,
		Store:      st,
		Clock:      clk,
		IDs:        r.cfg.IDs(name),
		Outbox:     &outbox.Outbox{Max: 1000},
		Faults:     &Faults{},
		Journal:    NewJournal(1000),
	}
}
