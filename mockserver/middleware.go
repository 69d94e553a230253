package mockserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/avnology/idflows/internal/origins"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/inspector"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

// requestID gives every request an id, in X-Request-Id on every response (REQ-ERR-002), and
// logs and journals it once it is answered.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{requestID: "req_" + ids.Token(ids.Random{}, 12), header: w.Header()}
		w.Header().Set("X-Request-Id", c.requestID)
		ctx, cancel := context.WithTimeout(withCall(r.Context(), c), requestTimeout)
		defer cancel()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := time.Since(start)
		if r.Context().Value(quietKey{}) != nil || inspector.Serves(r.URL.Path) { // the inspector itself: not the tenant's traffic
			return
		}
		s.log.InfoContext(ctx, "request", "request_id", c.requestID, "method", r.Method, "path", r.URL.Path,
			"operation", c.operationID, "status", sw.status, "error_code", c.errorCode, "duration_ms", elapsed.Milliseconds())
		if c.world != nil {
			err := c.world.Journal.Record(ctx, tenant.Entry{
				RequestID: c.requestID, Method: r.Method, Path: r.URL.Path,
				OperationID: c.operationID, Status: sw.status, ErrorCode: c.errorCode, Duration: elapsed,
			})
			if err != nil { // the answer is gone: the log is all that can tell
				s.log.WarnContext(ctx, "journal", "request_id", c.requestID, "error", err)
			}
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// recoverer turns a panic into 500 _900; the stack goes to the log only (REQ-ERR-007).
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", "request_id", callFrom(r.Context()).requestID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeError(w, r, apierr.InternalError())
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// noStore keeps every answer out of caches (REQ-SEC-005): flows carry CSRF tokens, submits
// session tokens and secrets, the control plane codes. One rule for all is simpler and safer
// than deciding per answer.
func (s *Server) noStore(next http.Handler) http.Handler {
	if !deviation.RulesOf(s.opts.deviations).NoStore {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// cors allows the configured origins, with credentials (REQ-CSRF-005); any other origin gets
// no CORS headers at all, so its pages cannot read answers. A page of an origin nobody
// configured is the commonest mistake of a frontend setup, so the mock says so: its preflight
// is refused with an error naming --cors-origins, and the log names the origin once.
func (s *Server) cors(next http.Handler) http.Handler {
	anyOrigin := !deviation.RulesOf(s.opts.deviations).CORSOnlyConfigured
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if origin == "" || origins.SameOrigin(r, origin) {
			next.ServeHTTP(w, r)
			return
		}
		if !anyOrigin && !s.corsOrigins.Allows(origin) {
			s.hintCORS(r, origin)
			if preflight {
				s.writeError(w, r, apierr.New(apierr.InsufficientPermissions, fmt.Sprintf(
					"Pages on %s may not call this mock: start it with --cors-origins %s (or --cors-origins localhost for every origin on localhost).", origin, origin)))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Add("Vary", "Origin")
		if preflight {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Prefer, X-Mock-Tenant, X-Mock-Token, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
		next.ServeHTTP(w, r)
	})
}

// hintCORS logs, once per origin, how to allow it; the number of origins remembered is bounded.
func (s *Server) hintCORS(r *http.Request, origin string) {
	if _, seen := s.corsHinted.Load(origin); seen || len(origin) > 200 || s.corsHints.Add(1) > maxCORSHints {
		return
	}
	s.corsHinted.Store(origin, true)
	s.log.WarnContext(r.Context(), "a page of an origin not in --cors-origins called the mock; the browser will not let it read the answer",
		"origin", origin, "hint", "--cors-origins "+origin+" (or --cors-origins localhost)")
}

// maxCORSHints bounds the origins hintCORS remembers.
const maxCORSHints = 100

// tenant selects the request's world by X-Mock-Tenant and reads its credentials.
func (s *Server) tenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r.Context())
		name, from := r.Header.Get("X-Mock-Tenant"), "header.X-Mock-Tenant"
		if ck, err := r.Cookie(tenant.Cookie); name == "" && err == nil {
			name, from = ck.Value, "cookie."+tenant.Cookie // a browser cannot send the header when it navigates or posts a form
		}
		if name == "" {
			name = tenant.Default
		}
		if !tenant.ValidName(name) {
			s.writeError(w, r, apierr.Invalid("The tenant is invalid: "+from+" must match ^[A-Za-z0-9._-]{1,64}$.", apierr.Field(from, "must match ^[A-Za-z0-9._-]{1,64}$")))
			return
		}
		world, err := s.tenants.Get(name)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c.world = world
		c.req = requestOf(r)
		next.ServeHTTP(w, r)
	})
}

func requestOf(r *http.Request) request.Request {
	req := request.Request{UserAgent: r.UserAgent()}
	if scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		req.BearerToken = strings.TrimSpace(token)
	}
	if ck, err := r.Cookie(request.SessionCookie); err == nil {
		req.SessionCookie = ck.Value
	}
	if ck, err := r.Cookie(request.CSRFCookie); err == nil {
		req.CSRFCookie = ck.Value
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		req.IP = host
	}
	return req
}

// limitBody reads at most MaxBodyBytes of the body; beyond is 413 _902 (REQ-ERR-005).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		max := s.cfg.MaxBodyBytes
		tooLarge := func() {
			s.writeError(w, r, apierr.TooLarge(fmt.Sprintf("The request body is larger than %d bytes.", max)))
		}
		if r.ContentLength > max {
			tooLarge()
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
			if err != nil {
				s.writeError(w, r, apierr.Invalid("The request body could not be read."))
				return
			}
			if int64(len(body)) > max {
				tooLarge()
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			callFrom(r.Context()).body = body
		}
		next.ServeHTTP(w, r)
	})
}

// answerDate makes the tenant's time the answer's Date: a world whose clock was moved on says
// so, as a server does by its own clock, so a client (or idflows proxy) can tell that a flow
// it was given has expired.
func answerDate(ctx context.Context, now time.Time) {
	if c := callFrom(ctx); c != nil && c.header != nil {
		c.header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
}
