// Package clock is the mock's notion of time. Everything that expires — flows, sessions, codes,
// lockouts, rate-limit windows — reads a Clock, so tests move time instead of sleeping.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the host's clock, in UTC.
type System struct{}

// Now returns the current UTC time.
func (System) Now() time.Time { return time.Now().UTC() }

// Fake is a clock that moves only when told to. The zero value is not usable; use NewFake.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake frozen at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t.UTC()} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.now = t.UTC()
	f.mu.Unlock()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// Offset runs a fixed distance from a base clock. Each tenant of the mock owns one, so the
// control plane can move one tenant's time without touching another's.
type Offset struct {
	base   Clock
	mu     sync.RWMutex
	offset time.Duration
}

// NewOffset returns a clock that runs with base until moved.
func NewOffset(base Clock) *Offset { return &Offset{base: base} }

// Now returns the base time plus the offset.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.base.Now().Add(o.offset)
}

// Set moves the clock so that it reads t now; it then runs on from there.
func (o *Offset) Set(t time.Time) {
	o.mu.Lock()
	o.offset = t.Sub(o.base.Now())
	o.mu.Unlock()
}

// Advance moves the clock forward by d.
func (o *Offset) Advance(d time.Duration) {
	o.mu.Lock()
	o.offset += d
	o.mu.Unlock()
}

// Reset puts the clock back on its base.
func (o *Offset) Reset() {
	o.mu.Lock()
	o.offset = 0
	o.mu.Unlock()
}

// OffsetFromBase is how far the clock runs from its base.
func (o *Offset) OffsetFromBase() time.Duration {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.offset
}
