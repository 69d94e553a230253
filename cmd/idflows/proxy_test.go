package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/internal/syncbuffer"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// idflows proxy as a person runs it: in front of a deployment that leaves out X-Request-Id, a
// request through it prints the violation as it happens; Ctrl-C prints the summary, writes
// the suite's three reports and exits 1.
func TestProxyCommand(t *testing.T) {
	srv := mockservertest.NewServer(t, mockservertest.WithDeviation(mockserver.DeviationMissingRequestID))
	addr := "127.0.0.1:" + mockproc.FreePort(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	out, errOut := &syncbuffer.Buffer{}, &syncbuffer.Buffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"proxy", "--upstream", srv.URL, "--listen", addr, "--report-dir", dir, "--annotate", "--cors-origins", "localhost"}, out, errOut)
	}()
	mockproc.WaitOK(t, "http://"+addr+"/_mock/health", 10*time.Second)

	res, err := http.Get("http://" + addr + "/v1/flows/login")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode, "the answer is passed on")
	assert.Contains(t, res.Header.Get("X-Idflows-Violations"), "X-Request-Id")
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "VIOLATION createLoginFlow GET /v1/flows/login") }, 5*time.Second, 20*time.Millisecond)

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, exitFailure, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	case <-time.After(10 * time.Second):
		t.Fatal("the proxy did not stop")
	}
	assert.Contains(t, out.String(), "idflows proxy: 2 exchanges, 1 not judged (too large, or the mock's /_mock/), 2 violations")
	for _, f := range []string{"report.json", "junit.xml", "report.html"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Contains(t, string(data), "traffic.createLoginFlow", f)
	}
}
