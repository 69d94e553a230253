package tenant

import (
	"context"
	"sync"
	"time"
)

// Entry is one request in the journal.
type Entry struct {
	RequestID   string
	Time        time.Time
	Method      string
	Path        string
	OperationID string
	Status      int
	ErrorCode   string
	Duration    time.Duration
}

// Ring is a journal kept in this process: a ring of the last entries.
type Ring struct {
	now     func() time.Time
	mu      sync.Mutex
	max     int
	entries []Entry
	next    int
	full    bool
}

// NewJournal keeps the last max entries, stamped with now.
func NewJournal(max int, now func() time.Time) *Ring {
	return &Ring{now: now, max: max, entries: make([]Entry, max)}
}

// Record appends e, dropping the oldest entry when full.
func (j *Ring) Record(_ context.Context, e Entry) error {
	e.Time = j.now()
	j.mu.Lock()
	j.entries[j.next] = e
	j.next = (j.next + 1) % j.max
	j.full = j.full || j.next == 0
	j.mu.Unlock()
	return nil
}

// List returns up to limit entries, newest first.
func (j *Ring) List(_ context.Context, limit int) ([]Entry, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := j.next
	if j.full {
		n = j.max
	}
	out := make([]Entry, 0, min(n, limit))
	for i := 1; i <= n && len(out) < limit; i++ {
		out = append(out, j.entries[(j.next-i+j.max)%j.max])
	}
	return out, nil
}

// Clear drops every entry.
func (j *Ring) Clear(context.Context) error {
	j.mu.Lock()
	j.next, j.full = 0, false
	j.mu.Unlock()
	return nil
}
