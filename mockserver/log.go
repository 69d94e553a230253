package mockserver

import (
	"context"
	"log/slog"
	"strings"
)

// secretKeys are attribute names whose values never reach a log.
var secretKeys = map[string]bool{
	"password": true, "code": true, "totp_code": true, "lookup_secret": true, "csrf_token": true,
	"token": true, "session_token": true, "authorization": true, "cookie": true, "set-cookie": true,
}

// redacting wraps l so that secret attributes are replaced, whatever handler l has.
func redacting(l *slog.Logger) *slog.Logger { return slog.New(redactHandler{l.Handler()}) }

type redactHandler struct{ slog.Handler }

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redact(a))
		return true
	})
	return h.Handler.Handle(ctx, out)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	for i := range attrs {
		attrs[i] = redact(attrs[i])
	}
	return redactHandler{h.Handler.WithAttrs(attrs)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.Handler.WithGroup(name)}
}

func redact(a slog.Attr) slog.Attr {
	if secretKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, "[REDACTED]")
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		out := make([]any, 0, len(attrs))
		for _, g := range attrs {
			out = append(out, redact(g))
		}
		return slog.Group(a.Key, out...)
	}
	return a
}
