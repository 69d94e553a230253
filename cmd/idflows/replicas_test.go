package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/internal/redistest"
)

// roundRobin is the smallest load balancer: every request goes to the next replica in turn,
// so consecutive requests of one journey land on different replicas.
type roundRobin struct {
	proxies []*httputil.ReverseProxy
	next    atomic.Uint64
	served  []atomic.Int64
}

func newRoundRobin(t *testing.T, urls ...string) *roundRobin {
	rr := &roundRobin{served: make([]atomic.Int64, len(urls))}
	for _, u := range urls {
		target, err := url.Parse(u)
		require.NoError(t, err)
		rr.proxies = append(rr.proxies, &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // as a load balancer does: the replicas see the public host
		}})
	}
	return rr
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := int((rr.next.Add(1) - 1) % uint64(len(rr.proxies)))
	rr.served[i].Add(1)
	rr.proxies[i].ServeHTTP(w, r)
}

// replicasBehindAProxy starts redis-server, n mocks sharing it and a round-robin proxy in
// front of them, whose URL every mock takes as its public base URL.
func replicasBehindAProxy(t *testing.T, n int) (proxyURL string, rr *roundRobin, redis *redistest.Server) {
	redis = redistest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	proxyURL = "http://" + ln.Addr().String()
	bin := mockproc.Build(t)
	var urls []string
	for range n {
		m := mockproc.Start(t, bin, "--store", redis.URL, "--base-url", proxyURL)
		urls = append(urls, m.URL)
	}
	rr = newRoundRobin(t, urls...)
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: rr}}
	srv.Start()
	t.Cleanup(srv.Close)
	return proxyURL, rr, redis
}

// The whole suite passes through two replicas sharing Redis, every request alternating
// between them: one mock for a whole company.
func TestConformPassesTwoReplicasSharingRedis(t *testing.T) {
	proxyURL, rr, _ := replicasBehindAProxy(t, 2)
	code, out, errOut := runCLI(t, "conform", "--target", proxyURL, "--control", proxyURL, "--inbox", "mock",
		"--webauthn-rp-id", "localhost", "--webauthn-origin", proxyURL, "--waivers", mockWaivers)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "Certified profiles (every case passed or waived): core, mfa, passkeys, social, recovery, security, control\n")
	assert.Regexp(t, `PASS: \d+ cases — \d+ passed, 0 failed, 0 waived, 0 warnings, 0 review, 0 skipped`, out)
	a, b := rr.served[0].Load(), rr.served[1].Load()
	assert.InDelta(t, a, b, 1, "requests alternate: %d and %d", a, b)
	assert.Greater(t, a, int64(500))
}
