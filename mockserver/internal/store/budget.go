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

type kind int

const (
	kindFlows kind = iota
	kindSessions
	kindIdentities
)

// take counts one more item of a kind, or says which bound it would pass (counting nothing).
func (b *Budget) take(k kind) *FullError {
	if b == nil {
		return nil
	}
	n, max, what := &b.flows, b.MaxFlows, "flows"
	switch k {
	case kindSessions:
		n, max, what = &b.sessions, b.MaxSessions, "sessions"
	case kindIdentities:
		n, max, what = &b.identities, b.MaxIdentities, "identities"
	}
	for {
		cur := n.Load()
		if max > 0 && cur >= max {
			return &FullError{What: what, Limit: max}
		}
		if n.CompareAndSwap(cur, cur+1) {
			return nil
		}
	}
}

func (b *Budget) release(flows, sessions, identities int) {
	if b == nil {
		return
	}
	b.flows.Add(-int64(flows))
	b.sessions.Add(-int64(sessions))
	b.identities.Add(-int64(identities))
}
