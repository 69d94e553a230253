package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/imagetest"
	"github.com/avnology/idflows/internal/mockproc"
)

// The README's container recipes run as written, from the repository's root, against a real
// Docker engine: "Run it in Docker", "Start it from Go tests" and "Certify a container image".
// Without an engine they skip, unless Docker is required (imagetest.RequireDocker).

func TestReadmeRunItInDocker(t *testing.T) {
	imagetest.RequireDocker(t, "bash", "curl", "jq", "openssl", "make")
	port := mockproc.FreePort(t)
	out := runBlock(t, "docker", "IDFLOWS_PORT="+port)
	assert.Equal(t, "ready\njane@acme.com\nidflows-"+port+"\n", lastLines(out, 3))
}

func TestReadmeCertifyAnImage(t *testing.T) {
	imagetest.RequireDocker(t, "bash", "make")
	out := lastLines(runBlock(t, "certify"), 2)
	assert.Regexp(t, `^PASS: \d+ cases — \d+ passed, 0 failed, 0 waived, 0 warnings, 0 review, 0 skipped\nexit 1\n$`, out)
}

// The Go test the README shows is compiled and run as a team's own module would: one that
// requires idflows (replaced by this checkout) and nothing else of its own.
func TestReadmeTestcontainersRecipe(t *testing.T) {
	imagetest.RequireDocker(t, "make")
	code := readmeBlock(t, "testcontainers", "go")
	root := repoRoot(t)
	make := exec.Command("make", "-s", "image")
	make.Dir = root
	out, err := make.CombinedOutput()
	require.NoError(t, err, "make image:\n%s", out)

	dir := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	mod := strings.Replace(string(gomod), "module github.com/avnology/idflows", "module example.com/app", 1) +
		"\nrequire github.com/avnology/idflows v0.0.0\n\nreplace github.com/avnology/idflows => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	for name, data := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum, "app_test.go": []byte(code)} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	test := exec.Command("go", "test", "-mod=mod", "-count=1", "-run", "TestLoginPage", ".")
	test.Dir = dir
	out, err = test.CombinedOutput()
	require.NoError(t, err, "the README's Go test:\n%s", out)
	assert.Contains(t, string(out), "ok  \texample.com/app")
}

// runBlock runs the README's sh block name with bash, from the repository's root, and returns
// what it printed on stdout.
func runBlock(t *testing.T, name string, env ...string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "bash", "-euo", "pipefail", "-c", readmeBlock(t, name, "sh"))
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", out, stderr.String())
	return string(out)
}

func readmeBlock(t *testing.T, name, lang string) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile("(?s)<!-- " + name + ":start -->\\s*```" + lang + "\\n(.*?)```\\s*<!-- " + name + ":end -->").FindSubmatch(readme)
	require.NotNil(t, m, "README has the %s block", name)
	return string(m[1])
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n") + "\n"
}
