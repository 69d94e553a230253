package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/syncbuffer"
)

// The README's curl journey runs, as written, against `idflows mock` on a free port.
func TestReadmeJourney(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the journey needs %s", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- journey:start -->\\s*```sh\\n(.*?)```\\s*<!-- journey:end -->").FindSubmatch(readme)
	require.NotNil(t, m, "README has the journey block")

	url := startMock(t)
	cmd := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", string(m[1]))
	cmd.Env = append(os.Environ(), "IDFLOWS_URL="+url)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "true\ntrue\n204\ntrue\n204\n", string(out))
}

// startMock runs `idflows mock` in-process on a free port and returns its URL once ready; it
// stops, and must stop cleanly, when the test ends.
func startMock(t *testing.T) string {
	t.Helper()
	m := startMockWith(t, "--listen", "127.0.0.1:0")
	t.Cleanup(func() { assert.Equal(t, exitOK, m.stop(), "graceful shutdown") })
	return m.url
}

// runningMock is an in-process `idflows mock`.
type runningMock struct {
	url    string
	stderr *syncbuffer.Buffer
	stop   func() int // cancels the run (as SIGTERM does) and returns its exit code
}

// startMockWith runs `idflows mock` with args and waits for its ready line.
func startMockWith(t *testing.T, args ...string) *runningMock {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	stderr := &syncbuffer.Buffer{}
	go func() {
		done <- run(ctx, append([]string{"mock", "--log-level", "warn"}, args...), pw, stderr)
		pw.Close()
	}()
	var once sync.Once
	code := 0
	stop := func() int {
		once.Do(func() { cancel(); code = <-done })
		return code
	}
	t.Cleanup(func() { stop() })
	lines := bufio.NewScanner(pr)
	urls := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "idflows mock ready on "); ok {
				urls <- strings.Fields(rest)[0]
			}
		}
	}()
	select {
	case url := <-urls:
		return &runningMock{url: url, stderr: stderr, stop: stop}
	case <-time.After(10 * time.Second):
		t.Fatalf("the mock did not print its ready line: %s", stderr)
		return nil
	}
}

// TestReadmeSocialJourney runs the README's "Continue with Google" block against a real mock
// process: curl is the browser, the built-in provider's form is posted as a person would.
func TestReadmeSocialJourney(t *testing.T) {
	needTools(t, "bash", "curl", "jq")
	assert.Equal(t, "ada@example.com\n", runBlock(t, "social", "IDFLOWS_URL="+startMock(t)))
}

// TestReadmeOAuth2Journey runs the README's "Sign in with Avnology" block against a real mock
// process: curl is the browser and the app, and the ID token names the person signed in.
func TestReadmeOAuth2Journey(t *testing.T) {
	needTools(t, "bash", "curl", "jq", "openssl")
	assert.Equal(t, "jane@acme.com\n", runBlock(t, "oauth2", "IDFLOWS_URL="+startMock(t)))
}

// needTools skips a journey the machine lacks a tool for (CI installs them all).
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the journey needs %s", tool)
		}
	}
}
