package tenant

import (
	"context"
	"time"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/store"
)

// Clock is a world's time: its base clock moved by the control plane.
type Clock interface {
	// Now never fails: a shared clock that cannot be read runs on its base, and the
	// transaction that needed it fails on its own.
	Now() time.Time
	Offset(ctx context.Context) (time.Duration, error)
	Set(ctx context.Context, t time.Time) error
	Advance(ctx context.Context, d time.Duration) error
	// Reset puts the clock back on its base.
	Reset(ctx context.Context) error
}

// Outbox keeps the messages a world sends.
type Outbox interface {
	Send(ctx context.Context, m outbox.Message) (outbox.Message, error)
	// List returns up to limit messages, newest first, optionally only those to an address.
	List(ctx context.Context, to string, limit int) ([]outbox.Message, error)
	Clear(ctx context.Context) error
}

// Faults are a world's armed faults.
type Faults interface {
	// Arm adds a fault and returns it with its id.
	Arm(ctx context.Context, f Fault) (Fault, error)
	// Take consumes one call of the first armed fault for operationID.
	Take(ctx context.Context, operationID string) (Fault, bool, error)
	List(ctx context.Context) ([]Fault, error)
	Clear(ctx context.Context) error
}

// Journal keeps a world's last requests.
type Journal interface {
	// Record appends e, stamped with the world's time.
	Record(ctx context.Context, e Entry) error
	// List returns up to limit entries, newest first.
	List(ctx context.Context, limit int) ([]Entry, error)
	Clear(ctx context.Context) error
}

// Parts are what a world is made of, kept in one place.
type Parts struct {
	Store   store.Backend
	Clock   Clock
	Outbox  Outbox
	Faults  Faults
	Journal Journal
}

// Shared keeps worlds where every replica of the mock sees them (Redis); without it each
// process keeps its own in memory.
type Shared interface {
	// Parts returns the named world's parts, running from base.
	Parts(name string, base clock.Clock, limits store.Limits) Parts
	// Reset deletes everything the named world keeps, at once.
	Reset(ctx context.Context, name string) error
	// Used lists the worlds used lately, the most recently used first.
	Used(ctx context.Context) ([]Used, error)
}

// memoryParts are a world kept in this process.
func memoryParts(base clock.Clock, limits store.Limits, budget *store.Budget) Parts {
	clk := clock.NewOffset(base)
	return Parts{
		Store:   store.NewMemory(limits, budget, clk.Now),
		Clock:   offsetClock{clk},
		Outbox:  &outbox.Outbox{Max: outbox.Max},
		Faults:  &memoryFaults{},
		Journal: NewJournal(JournalMax, clk.Now),
	}
}

// JournalMax is how many requests a journal keeps.
const JournalMax = 1000

// offsetClock is a clock.Offset as a world's Clock.
type offsetClock struct{ o *clock.Offset }

func (c offsetClock) Now() time.Time                                { return c.o.Now() }
func (c offsetClock) Offset(context.Context) (time.Duration, error) { return c.o.OffsetFromBase(), nil }
func (c offsetClock) Set(_ context.Context, t time.Time) error {
	c.o.Set(t)
	return nil
}
func (c offsetClock) Advance(_ context.Context, d time.Duration) error {
	c.o.Advance(d)
	return nil
}
func (c offsetClock) Reset(context.Context) error {
	c.o.Reset()
	return nil
}

// relaying hands every message sent to relay as well.
type relaying struct {
	Outbox
	relay func(outbox.Message)
}

func (r relaying) Send(ctx context.Context, m outbox.Message) (outbox.Message, error) {
	m, err := r.Outbox.Send(ctx, m)
	if err == nil {
		r.relay(m)
	}
	return m, err
}
