package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Equal(t, "true\ntrue\n204\ntrue\n", string(out))
}

// startMock runs `idflows mock` in-process on a free port and returns its URL once ready.
func startMock(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"mock", "--listen", "127.0.0.1:0", "--log-level", "warn"}, pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		assert.Equal(t, exitOK, <-done, "graceful shutdown")
	})
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
		return url
	case <-time.After(10 * time.Second):
		t.Fatal("the mock did not print its ready line")
		return ""
	}
}
