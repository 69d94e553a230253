// Package mockservertest starts the mock on a loopback port for Go tests, the way
// net/http/httptest starts a handler: real HTTP, a fake clock, strict responses and helpers to
// seed identities and read state.
package mockservertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/clock"
)

// Start is when every test server's clock starts, unless WithStart says otherwise.
var Start = time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)

// Server is a running mock.
type Server struct {
	URL    string
	Mock   *mockserver.Server
	clock  *clock.Fake
	server *httptest.Server
	t      testing.TB
	token  string // the control token the helpers send, if the mock has one
}

type settings struct {
	localhost  bool
	cfg        mockserver.Config
	start      time.Time
	seed       uint64
	deviations []mockserver.Deviation
	public     string
}

// Option configures NewServer.
type Option func(*settings)

// WithConfig replaces the mock's configuration (its BaseURL is the test server's URL, or
// WithPublicURL's).
func WithConfig(cfg mockserver.Config) Option { return func(s *settings) { s.cfg = cfg } }

// WithStart starts the fake clock at t.
func WithStart(t time.Time) Option { return func(s *settings) { s.start = t } }

// WithDeviation starts a mock that breaks the contract on purpose (see mockserver.WithDeviation).
func WithDeviation(deviations ...mockserver.Deviation) Option {
	return func(s *settings) { s.deviations = append(s.deviations, deviations...) }
}

// WithLocalhost makes the mock's URL http://localhost:PORT instead of 127.0.0.1 — what a
// browser test of passkeys needs (WebAuthn refuses IP addresses).
func WithLocalhost() Option { return func(s *settings) { s.localhost = true } }

// WithPublicURL makes the mock's public base URL (its ui.action, issuer, redirects) public,
// as behind a proxy or gateway; Server.URL stays where it listens.
func WithPublicURL(public string) Option { return func(s *settings) { s.public = public } }

// WithSeed changes the seed of ids and tokens (default 1).
func WithSeed(seed uint64) Option { return func(s *settings) { s.seed = seed } }

// NewServer starts the mock with the embedded personas, a fake clock, a fixed seed and strict
// response checking; it stops when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	set := settings{cfg: mockserver.DefaultConfig(), start: Start, seed: 1}
	for _, o := range opts {
		o(&set)
	}
	fake := clock.NewFake(set.start)
	hs := httptest.NewUnstartedServer(nil)
	set.cfg.BaseURL = "http://" + hs.Listener.Addr().String()
	if set.localhost {
		_, port, _ := net.SplitHostPort(hs.Listener.Addr().String())
		set.cfg.BaseURL = "http://localhost:" + port
	}
	listening := set.cfg.BaseURL
	if set.public != "" {
		set.cfg.BaseURL = set.public
	}
	mock, err := mockserver.New(set.cfg,
		mockserver.WithClock(fake), mockserver.WithSeed(set.seed), mockserver.WithStrictResponses(),
		mockserver.WithLogger(testLogger(t)), mockserver.WithDeviation(set.deviations...))
	if err != nil {
		t.Fatalf("mockservertest: %v", err)
	}
	hs.Config.Handler = mock
	hs.Start()
	t.Cleanup(hs.Close)
	return &Server{URL: listening, Mock: mock, clock: fake, server: hs, t: t, token: set.cfg.Control.Token}
}

// Clock is the fake clock every tenant's time runs from.
func (s *Server) Clock() *clock.Fake { return s.clock }

// Client returns a new HTTP client with its own cookie jar, like a fresh browser.
func (s *Server) Client() *http.Client {
	jar, _ := cookiejar.New(nil) // cookiejar.New never fails without options
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Identity is what SeedIdentity creates; fields follow the control plane's IdentitySeed.
type Identity struct {
	ID            string   `json:"id,omitempty"`
	Email         string   `json:"email"`
	Username      string   `json:"username,omitempty"`
	Password      string   `json:"password,omitempty"`
	EmailVerified bool     `json:"email_verified,omitempty"`
	State         string   `json:"state,omitempty"`
	Locked        bool     `json:"locked,omitempty"`
	TOTPSecret    string   `json:"totp_secret,omitempty"`
	LookupSecrets []string `json:"lookup_secrets,omitempty"`
}

// SeedIdentity creates an identity in the default tenant through the control plane and returns
// its id.
func (s *Server) SeedIdentity(ident Identity) string {
	s.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	s.control(http.MethodPost, "/_mock/identities", ident, http.StatusCreated, &out)
	return out.ID
}

// Message is an email the mock sent, as the control plane's outbox lists it.
type Message struct {
	To       string    `json:"to"`
	Template string    `json:"template"`
	Subject  string    `json:"subject"`
	Body     string    `json:"body"`
	Code     string    `json:"code"`
	FlowID   string    `json:"flow_id"`
	SentAt   time.Time `json:"sent_at"`
}

// Outbox returns the messages the default tenant sent to address, oldest first.
func (s *Server) Outbox(address string) []Message {
	s.t.Helper()
	var out struct {
		Messages []Message `json:"messages"`
	}
	s.control(http.MethodGet, "/_mock/outbox?to="+url.QueryEscape(address), nil, http.StatusOK, &out)
	slices.Reverse(out.Messages) // the control plane lists newest first
	return out.Messages
}

// LastCode returns the newest one-time code sent to address, failing the test without one.
func (s *Server) LastCode(address string) string {
	s.t.Helper()
	msgs := s.Outbox(address)
	if len(msgs) == 0 || msgs[len(msgs)-1].Code == "" {
		s.t.Fatalf("mockservertest: no code was sent to %s", address)
	}
	return msgs[len(msgs)-1].Code
}

// Reset puts the default tenant back to the fixtures.
func (s *Server) Reset() {
	s.t.Helper()
	s.control(http.MethodPost, "/_mock/reset", nil, http.StatusNoContent, nil)
}

func (s *Server) control(method, path string, body any, want int, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatalf("mockservertest: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatalf("mockservertest: %v", err)
	}
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("X-Mock-Token", s.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("mockservertest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("mockservertest: %s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("mockservertest: %s %s: %v", method, path, err)
		}
	}
}

// String names the server in test output.
func (s *Server) String() string { return fmt.Sprintf("mock at %s", s.URL) }
