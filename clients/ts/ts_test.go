package ts_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/internal/mockproc"
)

// The TypeScript package as a frontend team uses it, against a real `idflows mock` guarded by a
// control token: its generated schema is the contract's, it type-checks (seeding with an email
// only among it), its tests pass under Node's test runner, and the Playwright journey goes
// through the account pages in Debian's Chromium, each test in a tenant of its own.
func TestTypeScriptClient(t *testing.T) {
	if testing.Short() {
		t.Skip("drives Node, Playwright and a mock process; run without -short")
	}
	chromium := browsertest.Chromium(t)
	if _, err := os.Stat("node_modules"); err != nil {
		if os.Getenv("IDFLOWS_REQUIRE_BROWSER") != "" {
			t.Fatal("the TypeScript client's packages are not installed: npm ci --prefix clients/ts")
		}
		t.Skip("npm ci --prefix clients/ts installs what this test needs")
	}
	mockproc.Inputs(t, "src", "test", "e2e", "package.json", "package-lock.json", "tsconfig.json", "playwright.config.ts", "../../openapi/mock-control.yaml")
	run := func(t *testing.T, env []string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %v:\n%s", name, args, out)
	}

	t.Run("the generated schema is the control contract's", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "schema.ts")
		run(t, nil, "npx", "openapi-typescript", "../../openapi/mock-control.yaml", "-o", fresh)
		want, err := os.ReadFile(fresh)
		require.NoError(t, err)
		got, err := os.ReadFile("src/schema.ts")
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "src/schema.ts is stale: npm run generate --prefix clients/ts")
	})

	run(t, nil, "npx", "tsc", "-p", "tsconfig.json")
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	mock := mockproc.Start(t, mockproc.Build(t), "--control-token", token)
	env := []string{"IDFLOWS_URL=" + mock.URL, "IDFLOWS_CONTROL_TOKEN=" + token, "CHROMIUM=" + chromium}

	t.Run("node --test", func(t *testing.T) { run(t, env, "node", "--test", "dist/test/") })
	t.Run("playwright", func(t *testing.T) { run(t, env, "npx", "playwright", "test") })
}
