package store

import (
	"errors"
	"sync/atomic"
)

// ErrFull is what Update's error is (errors.Is) when the request would store a flow, a session
// or an identity beyond what all tenants together may hold. Nothing of another tenant is
// evicted to make room: the request is refused, and state frees up as flows and sessions
// expire and are swept. errors.As gives the *FullError.
var ErrFull = errors.New("store: the mock holds as many flows, sessions or identities as it may")

// FullError says which bound was met.
type FullError struct {
	What  string // "flows", "sessions" or "identities"
	Limit int64
}

func (e *FullError) Error() string { return "store: the mock holds as many " + e.What + " as it may" }

// Is makes every FullError an ErrFull.
func (e *FullError) Is(target error) bool { return target == ErrFull }

// Budget bounds what every tenant's store holds together, so that no client — however many
// tenants it opens — can grow the mock's memory without bound. A zero maximum is unbounded.
// It is safe for concurrent use.
type Budget struct {
	MaxFlows, MaxSessions, MaxIdentities int64

	flows, sessions, identities atomic.Int64
}

// Usage reports what the tenants hold together.
func (b *Budget) Usage() (flows, sessions, identities int64) {
	if b == nil {
		return 0, 0, 0
	}
	return b.flows.Load(), b.sessions.Load(), b.identities.Load()
}

// take counts one more item against max, or reports false (counting nothing) when at max.
func take(n *atomic.Int64, max int64) bool {
	for {
		cur := n.Load()
		if max > 0 && cur >= max {
			return false
		}
		if n.CompareAndSwap(cur, cur+1) {
			return true
		}
	}
}

func (b *Budget) takeFlow() *FullError {
	if b == nil || take(&b.flows, b.MaxFlows) {
		return nil
	}
	return &FullError{"flows", b.MaxFlows}
}

func (b *Budget) takeSession() *FullError {
	if b == nil || take(&b.sessions, b.MaxSessions) {
		return nil
	}
	return &FullError{"sessions", b.MaxSessions}
}

func (b *Budget) takeIdentity() *FullError {
	if b == nil || take(&b.identities, b.MaxIdentities) {
		return nil
	}
	return &FullError{"identities", b.MaxIdentities}
}

func (b *Budget) release(flows, sessions, identities int) {
	if b == nil {
		return
	}
	b.flows.Add(-int64(flows))
	b.sessions.Add(-int64(sessions))
	b.identities.Add(-int64(identities))
}
