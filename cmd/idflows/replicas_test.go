package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/internal/redistest"
	"github.com/avnology/idflows/internal/roundrobin"
)

// replicasBehindAProxy starts redis-server, n mocks sharing it and a round-robin proxy in
// front of them, whose URL every mock takes as its public base URL.
func replicasBehindAProxy(t *testing.T, n int) (proxyURL string, rr *roundrobin.Balancer, redis *redistest.Server) {
	proxyURL, rr, redis, _ = replicas(t, n)
	return proxyURL, rr, redis
}

// replicas is replicasBehindAProxy that also gives each replica.
func replicas(t *testing.T, n int) (proxyURL string, rr *roundrobin.Balancer, redis *redistest.Server, mocks []*mockproc.Mock) {
	redis = redistest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	proxyURL = "http://" + ln.Addr().String()
	bin := mockproc.Build(t)
	var urls []*url.URL
	for range n {
		m := mockproc.Start(t, bin, "--store", redis.URL, "--base-url", proxyURL)
		u, err := url.Parse(m.URL)
		require.NoError(t, err)
		mocks, urls = append(mocks, m), append(urls, u)
	}
	rr = roundrobin.New(urls...)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rr}}
	srv.Start()
	t.Cleanup(srv.Close)
	return proxyURL, rr, redis, mocks
}

// The whole suite passes through two replicas sharing Redis, every request alternating
// between them: one mock for a whole company.
func TestConformPassesTwoReplicasSharingRedis(t *testing.T) {
	proxyURL, rr, _ := replicasBehindAProxy(t, 2)
	code, out, errOut := runCLI(t, "conform", "--target", proxyURL, "--control", proxyURL, "--inbox", "mock",
		"--webauthn-rp-id", "localhost", "--webauthn-origin", proxyURL, "--waivers", mockWaivers)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "Certified profiles (every case passed or waived): core, mfa, passkeys, social, recovery, security, oauth2, control\n")
	assert.Regexp(t, `PASS: \d+ cases — \d+ passed, 0 failed, 0 waived, 0 warnings, 0 review, 0 skipped`, out)
	a, b := rr.Served(0), rr.Served(1)
	assert.InDelta(t, a, b, 1, "requests alternate: %d and %d", a, b)
	assert.Greater(t, a, int64(500))
}

// A single-use code spent through one replica is refused through the other: the flow it
// belongs to is the same flow on both.
func TestACodeSpentOnOneReplicaIsRefusedOnTheOther(t *testing.T) {
	_, _, _, mocks := replicas(t, 2)
	a, b := replicaClient{t, mocks[0].URL, "code-once"}, replicaClient{t, mocks[1].URL, "code-once"}
	status, flow := a.do("GET", "/v1/flows/verification", nil)
	require.Equal(t, http.StatusOK, status, "%v", flow)
	id, csrf := flow["id"].(string), csrfOf(flow)
	submit := func(c replicaClient, body map[string]any) (int, map[string]any) {
		body["csrf_token"] = csrf
		return c.do("POST", "/v1/flows/verification/"+id+":submit", map[string]any{"method": "code", "body": body})
	}
	status, answer := submit(a, map[string]any{"email": "unverified@acme.com"})
	require.Equal(t, http.StatusOK, status, "%v", answer)

	status, outbox := b.do("GET", "/_mock/outbox?to=unverified%40acme.com", nil)
	require.Equal(t, http.StatusOK, status, "%v", outbox)
	msgs, _ := outbox["messages"].([]any)
	require.NotEmpty(t, msgs, "the code sent through a is in the outbox read through b")
	code, _ := msgs[0].(map[string]any)["code"].(string)
	require.Len(t, code, 6)

	status, answer = submit(b, map[string]any{"code": code})
	require.Equal(t, http.StatusOK, status, "the code is good on b: %v", answer)
	status, answer = submit(a, map[string]any{"code": code})
	errObj, _ := answer["error"].(map[string]any)
	assert.Equal(t, http.StatusBadRequest, status, "spent on b, refused on a: %v", answer)
	assert.Equal(t, "AVNOLOGY_AUTH_009", errObj["code"], "the flow is used up on every replica")
}

// replicaClient calls one replica as an API client of one tenant.
type replicaClient struct {
	t      *testing.T
	url    string
	tenant string
}

func (c replicaClient) do(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.url+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Mock-Tenant", c.tenant)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	if out == nil {
		out = map[string]any{}
	}
	out["_header"] = res.Header
	return res.StatusCode, out
}

// csrfOf is the flow's csrf_token node's value.
func csrfOf(flow map[string]any) string {
	ui, _ := flow["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	for _, n := range nodes {
		attrs, _ := n.(map[string]any)["attributes"].(map[string]any)
		if attrs["name"] == "csrf_token" {
			v, _ := attrs["value"].(string)
			return v
		}
	}
	return ""
}

// Redis going away mid-run answers 503 with the envelope on both replicas — never a panic, a
// 500 or a hang — and once it is back the mock reconnects and the flow made before goes on
// where it was.
func TestRedisRestartIsA503ThenTheMockReconnects(t *testing.T) {
	proxyURL, _, redis, mocks := replicas(t, 2)
	c := replicaClient{t, proxyURL, "restart"}
	status, flow := c.do("GET", "/v1/flows/login", nil)
	require.Equal(t, http.StatusOK, status, "%v", flow)
	id, csrf := flow["id"].(string), csrfOf(flow)

	redis.Stop()
	for i, call := range []struct{ method, path string }{
		{"GET", "/v1/flows/login/" + id}, {"GET", "/v1/flows/login/" + id}, // each replica
		{"POST", "/v1/flows/login/" + id + ":submit"}, {"GET", "/_mock/outbox"}, {"GET", "/_mock/ready"}, {"GET", "/_mock/ready"},
	} {
		var body any
		if call.method == "POST" {
			body = map[string]any{"method": "password", "body": map[string]any{"identifier": "jane@acme.com", "password": "Secure-Passw0rd!", "csrf_token": csrf}}
		}
		status, answer := c.do(call.method, call.path, body)
		errObj, _ := answer["error"].(map[string]any)
		header := answer["_header"].(http.Header)
		assert.Equal(t, http.StatusServiceUnavailable, status, "call %d %s %s: %v", i, call.method, call.path, answer)
		assert.Equal(t, "AVNOLOGY_AUTH_900", errObj["code"], "call %d", i)
		assert.Equal(t, "1", header.Get("Retry-After"), "call %d", i)
		assert.Equal(t, header.Get("X-Request-Id"), errObj["request_id"], "call %d", i)
		assert.NotContains(t, errObj["message"], "127.0.0.1", "no internals in the message")
	}

	redis.Restart(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, flow = c.do("GET", "/v1/flows/login/"+id, nil)
		if status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, http.StatusOK, status, "the mock reconnects: %v", flow)
	assert.Equal(t, "choose_method", flow["state"], "the flow is where it was")
	status, answer := c.do("POST", "/v1/flows/login/"+id+":submit",
		map[string]any{"method": "password", "body": map[string]any{"identifier": "jane@acme.com", "password": "Secure-Passw0rd!", "csrf_token": csrf}})
	assert.Equal(t, http.StatusOK, status, "and is submitted: %v", answer)
	for i, m := range mocks {
		assert.NotContains(t, m.Stderr.String(), "panic", "replica %d", i)
		assert.NotContains(t, m.Stderr.String(), "Secure-Passw0rd!", "replica %d logs no secret", i)
	}
}
