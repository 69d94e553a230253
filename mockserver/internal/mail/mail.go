// Package mail relays the outbox's emails to an SMTP server (a mail catcher such as Mailpit), so
// a team can read them where it reads its other test mail. The outbox stays the record; relaying
// is best effort and never holds up a flow.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/avnology/idflows/mockserver/internal/outbox"
)

// From is the sender of every relayed email.
const From = "no-reply@idflows.localhost"

// Relay sends each message on its own goroutine, at most Slots at once: a message that finds no
// free slot is dropped (and logged), so a slow or dead server costs memory and goroutines that
// stay bounded.
type Relay struct {
	addr    string
	log     *slog.Logger
	slots   chan struct{}
	timeout time.Duration
}

// Slots is how many messages may be on their way at once.
const Slots = 32

// New parses smtp://host:port.
func New(rawURL string, log *slog.Logger) (*Relay, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" || u.Port() == "" || u.Path != "" || u.User != nil {
		return nil, fmt.Errorf("smtp url %q: want smtp://host:port", rawURL)
	}
	return &Relay{addr: u.Host, log: log, slots: make(chan struct{}, Slots), timeout: 10 * time.Second}, nil
}

// Deliver sends m in the background; it never blocks. tenant names the world it was sent in.
func (r *Relay) Deliver(tenant string, m outbox.Message) {
	if m.Channel != "email" {
		return
	}
	select {
	case r.slots <- struct{}{}:
	default:
		r.log.Warn("mail not relayed: too many on their way", "template", m.Template, "flow_id", m.FlowID)
		return
	}
	go func() {
		defer func() { <-r.slots }()
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		defer cancel()
		if err := r.send(ctx, tenant, m); err != nil {
			r.log.Warn("mail not relayed", "smtp", r.addr, "template", m.Template, "flow_id", m.FlowID, "err", err)
		}
	}()
}

func (r *Relay) send(ctx context.Context, tenant string, m outbox.Message) error {
	msg, err := compose(tenant, m)
	if err != nil {
		return err
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(r.addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(From); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose writes m as a plain-text RFC 5322 message. A header value with a line break is
// refused: it would let an address someone typed add headers of its own.
func compose(tenant string, m outbox.Message) ([]byte, error) {
	headers := [][2]string{
		{"From", "Avnology ID (idflows mock) <" + From + ">"},
		{"To", m.To},
		{"Subject", m.Subject},
		{"Date", m.SentAt.UTC().Format(time.RFC1123Z)},
		{"Message-ID", "<" + m.ID + "." + tenant + "@idflows.localhost>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"X-Idflows-Tenant", tenant},
		{"X-Idflows-Template", m.Template},
		{"X-Idflows-Flow-Id", m.FlowID},
	}
	var b strings.Builder
	for _, h := range headers {
		if strings.ContainsAny(h[1], "\r\n") {
			return nil, fmt.Errorf("header %s has a line break", h[0])
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}
