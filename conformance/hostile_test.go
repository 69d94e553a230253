package conformance

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance/report"
)

// looksLikeTheAPI answers the suite's preflight (GET /v1/flows/login) once with a minimal
// flow, then hands every request to h: a target that passes for this API until the cases run.
func looksLikeTheAPI(h http.HandlerFunc) http.HandlerFunc {
	var greeted atomic.Bool
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/flows/login" && greeted.CompareAndSwap(false, true) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id":"00000000-0000-4000-8000-000000000000","ui":{}}`))
			return
		}
		h(w, r)
	}
}

// A broken or hostile target must yield failures with evidence — never a hang, a crash or a
// pass.
func TestHostileTargets(t *testing.T) {
	for name, handler := range map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("\x00\xffnot json at all{{{"))
		},
		"hangs": func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"huge bodies": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			chunk := []byte(strings.Repeat("a", 64<<10))
			_, _ = w.Write([]byte(`{"id":"`))
			for range 64 { // 4 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"redirect loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		},
		"empty 200": func(http.ResponseWriter, *http.Request) {},
		"nests JSON 5,000 deep": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"error":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`))
		},
		"shows its stack": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "req_1")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"code":"AVNOLOGY_AUTH_900","status":500,"message":"runtime error: invalid memory address or nil pointer dereference\ngoroutine 7 [running]:\nmain.handler()\n\t/src/main.go:42","request_id":"req_1","details":{}}}`))
		},
		"closes the connection": func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		},
	} {
		t.Run("target="+name, func(t *testing.T) {
			srv := httptest.NewServer(looksLikeTheAPI(handler))
			t.Cleanup(srv.Close)
			rep, err := Check(t.Context(), Target{BaseURL: srv.URL, Timeout: 300 * time.Millisecond},
				Options{Run: regexp.MustCompile(`^(login\.create\.fresh|login\.password\.success|sessions\.whoami\.no-session|errors\.unknown-route)$`), CaseTimeout: 2 * time.Second})
			require.NoError(t, err)
			require.Len(t, rep.Cases, 4)
			assert.NotEqual(t, report.Pass, rep.Summary.Outcome)
			failed := 0
			for _, c := range rep.Cases {
				if c.Unreached { // the breaker stopped the run: never a pass, never blamed
					assert.Equal(t, report.Error, rep.Summary.Outcome, c.ID)
					continue
				}
				failed++
				assert.Equal(t, report.Failed, c.Status, "%s against a target that %s", c.ID, name)
				assert.NotEmpty(t, c.Findings, c.ID)
				assert.NotEmpty(t, c.Exchanges, "%s must keep its evidence", c.ID)
			}
			assert.Positive(t, failed)
			if name == "shows its stack" {
				assert.Contains(t, fmt.Sprint(rep.Cases[0].Findings), "shows internals", "REQ-ERR-007")
			}
			if strings.HasPrefix(name, "nests") { // judged by the bound, never decoded or validated
				assert.Contains(t, fmt.Sprint(rep.Cases[0].Findings), "nests deeper than 64 levels (REQ-ERR-009)")
			}
		})
	}
}

// A target, control plane or inbox that does not answer as it must stops the run before any
// case, with what is wrong and a hint (D14: ERROR).
func TestPreflight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())
	serve := func(h http.HandlerFunc) string {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	flow := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"00000000-0000-4000-8000-000000000000","ui":{}}`))
	}
	good := serve(flow)
	notFound := serve(func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) })
	for _, tc := range []struct {
		name, part, problem, hint string
		target                    Target
	}{
		{"nothing listens", "target", "connection refused", "nothing listens there", Target{BaseURL: closed}},
		{"never answers", "target", "timed out", "no answer within", Target{BaseURL: serve(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }), Timeout: 300 * time.Millisecond}},
		{"another API", "target", "answered HTTP 404", "API root", Target{BaseURL: notFound}},
		{"/v1 in the target", "target", "answered HTTP 404", "leave /v1 out", Target{BaseURL: notFound + "/v1"}},
		{"a dead control plane", "control", "GET /_mock/ready", "", Target{BaseURL: good, Clock: mustControl(t, closed, "")}},
		{"a dead inbox", "inbox", "mailpit", "", Target{BaseURL: good, Inbox: Mailpit{BaseURL: closed}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Check(t.Context(), tc.target, Options{})
			var pre *PreflightError
			require.ErrorAs(t, err, &pre)
			assert.ErrorIs(t, err, ErrUnreachable)
			assert.Equal(t, tc.part, pre.Part)
			assert.Contains(t, pre.Problem, tc.problem)
			assert.Contains(t, pre.Hint, tc.hint)
		})
	}
}

func mustControl(t *testing.T, url, token string) *MockControl {
	m, err := NewMockControl(url, nil, token)
	require.NoError(t, err)
	return m
}

// A target that stops answering during the run trips the breaker: the run ends in about one
// exchange timeout, the rest is SKIPPED as not run, and the outcome is ERROR.
func TestBreakerStopsARunWhoseTargetStopsAnswering(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(looksLikeTheAPI(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) > 3 {
			<-r.Context().Done() // from here on, silence
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	rep, err := Check(t.Context(), Target{BaseURL: srv.URL, Timeout: 200 * time.Millisecond}, Options{Parallel: 2})
	require.NoError(t, err)
	assert.Equal(t, report.Error, rep.Summary.Outcome)
	assert.Contains(t, rep.Aborted, "the target stopped answering")
	unreached := 0
	for _, c := range rep.Cases {
		if c.Unreached {
			unreached++
			assert.Equal(t, "not run: the target stopped answering", c.Reason)
		}
	}
	assert.Greater(t, unreached, len(Cases())-10, "the run stopped soon after the target went silent")
}

func TestUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = Check(t.Context(), Target{BaseURL: "http://" + addr}, Options{})
	assert.ErrorIs(t, err, ErrUnreachable)

	_, err = Check(t.Context(), Target{BaseURL: "ftp://example.com"}, Options{})
	assert.Error(t, err)
	_, err = Check(t.Context(), Target{BaseURL: "http://127.0.0.1:1"}, Options{Profiles: []string{"nope"}})
	assert.ErrorContains(t, err, "unknown profile")
}

// The runner turns a panicking case into REVIEW (the suite's fault), and a case that outlives
// its timeout into a failure.
func TestRunnerContainsCases(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	e, err := newEngine(Target{BaseURL: srv.URL, Timeout: time.Minute})
	require.NoError(t, err)

	res := e.run(t.Context(), Case{ID: "x.panics", Profile: ProfileCore, Severity: MUST, Run: func(*T) { panic("boom") }}, time.Second)
	assert.Equal(t, report.Review, res.Status)
	assert.Contains(t, res.Reason, "boom")

	res = e.run(t.Context(), Case{ID: "x.slow", Profile: ProfileCore, Severity: MUST, Run: func(t *T) { t.API().Get("/v1/sessions/whoami", nil) }}, 200*time.Millisecond)
	assert.Equal(t, report.Failed, res.Status)
	assert.Contains(t, res.Findings[len(res.Findings)-1].Message, "did not finish within")

	res = e.run(t.Context(), Case{ID: "x.skips", Profile: ProfileCore, Severity: MUST, Needs: []Capability{NeedClock}, Run: func(t *T) { t.Fatalf("must not run") }}, time.Second)
	assert.Equal(t, report.Skipped, res.Status)
	assert.Contains(t, res.Reason, "clock")

	res = e.run(t.Context(), Case{ID: "x.should", Profile: ProfileCore, Severity: SHOULD, Run: func(t *T) { t.Errorf("only a should") }}, time.Second)
	assert.Equal(t, report.Warning, res.Status, "a SHOULD case cannot fail")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res = e.run(ctx, Case{ID: "x.interrupted", Profile: ProfileCore, Severity: MUST, Run: func(t *T) { t.API().Get("/v1/sessions/whoami", nil) }}, time.Second)
	assert.Equal(t, report.Skipped, res.Status)
	assert.Equal(t, "the run was interrupted", res.Reason)
}

// An interrupted run stops scheduling cases and reports the rest as not run.
func TestInterruptedRun(t *testing.T) {
	srv := httptest.NewServer(looksLikeTheAPI(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(t.Context())
	done := 0
	rep, err := Check(ctx, Target{BaseURL: srv.URL}, Options{Parallel: 1, Progress: func(report.Case) {
		if done++; done == 3 {
			cancel()
		}
	}})
	require.NoError(t, err)
	assert.Equal(t, len(Cases()), rep.Summary.Total)
	assert.Greater(t, rep.Summary.Skipped, len(Cases())-5)
	assert.False(t, rep.Summary.Ok)
	assert.NotEqual(t, report.Error, rep.Summary.Outcome, "an interrupted run is not the target's error")
}

// A target that answers every request with a large body cannot blow up the reports people
// share: a whole failing run stays under 20 MB in every format.
func TestReportsStayBoundedAgainstAHostileTarget(t *testing.T) {
	big := strings.Repeat("x", 1<<20) // 1 MiB per answer
	srv := httptest.NewServer(looksLikeTheAPI(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_1")
		for i := range 200 { // many headers, long ones
			w.Header().Add(fmt.Sprintf("X-Noise-%d", i), big[:1000])
		}
		_, _ = w.Write([]byte(`{"id":"` + big + `","ui":{}}`))
	}))
	t.Cleanup(srv.Close)
	rep, err := Check(t.Context(), Target{BaseURL: srv.URL}, Options{})
	require.NoError(t, err)
	require.GreaterOrEqual(t, rep.Summary.Failed, 100, "a run that fails at least 100 cases")
	for name, write := range map[string]func(io.Writer, *report.Report) error{"json": report.JSON, "junit": report.JUnit, "html": report.HTML, "human": report.Human} {
		var n countingWriter
		require.NoError(t, write(&n, rep))
		t.Logf("%s: %d bytes", name, n)
		assert.Less(t, int(n), 20<<20, "the %s report must stay under 20 MB", name)
	}
}

type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
