// Package outbox records the emails and SMS the mock "sends", with the code and link parsed out,
// so a test can read what a user would have received.
package outbox

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Message is one sent email or SMS.
type Message struct {
	ID       string
	Channel  string // email, sms
	To       string
	Template string // recovery_code, verification_code, login_code, registration_code
	Subject  string
	Body     string
	Code     string
	Link     string
	FlowID   string
	SentAt   time.Time
}

// Max is how many messages a tenant's outbox keeps.
const Max = 1000

// Outbox keeps the last Max messages in memory.
type Outbox struct {
	Max int

	mu   sync.Mutex
	seq  int
	msgs []Message
}

// Send records m and returns it with its id.
func (o *Outbox) Send(_ context.Context, m Message) (Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq++
	m.ID = fmt.Sprintf("msg_%06d", o.seq)
	o.msgs = append(o.msgs, m)
	if over := len(o.msgs) - o.Max; o.Max > 0 && over > 0 {
		o.msgs = slices.Delete(o.msgs, 0, over)
	}
	return m, nil
}

// List returns up to limit messages, newest first, optionally only those to an address.
func (o *Outbox) List(_ context.Context, to string, limit int) ([]Message, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []Message
	for i := len(o.msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if to == "" || o.msgs[i].To == to {
			out = append(out, o.msgs[i])
		}
	}
	return out, nil
}

// Clear drops every message.
func (o *Outbox) Clear(context.Context) error {
	o.mu.Lock()
	o.msgs = nil
	o.mu.Unlock()
	return nil
}
