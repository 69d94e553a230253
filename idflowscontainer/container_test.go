package idflowscontainer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/idflowscontainer"
)

func ptr[T any](v T) *T { return &v }

// The image as a team uses it: built from the Dockerfile, started with testcontainers-go, the
// control plane guarded by the container's own token.
func TestMockInAContainer(t *testing.T) {
	if os.Getenv("IDFLOWS_REQUIRE_DOCKER") == "" {
		testcontainers.SkipIfProviderIsNotHealthy(t)
	}
	ctx := context.Background()
	c, err := idflowscontainer.Run(ctx, buildImage(t))
	testcontainers.CleanupContainer(t, c.DockerContainer)
	require.NoError(t, err)

	resp, err := http.Get(c.URL + "/v1/flows/login")
	require.NoError(t, err)
	var flow struct{ UI struct{ Action string } }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&flow))
	resp.Body.Close()
	assert.True(t, strings.HasPrefix(flow.UI.Action, c.URL+"/v1/flows/login/"), "ui.action %q is on the host URL", flow.UI.Action)

	ids, err := c.Control.ListIdentitiesWithResponse(ctx, nil)
	require.NoError(t, err)
	require.NotNil(t, ids.JSON200, "the control client carries the token: HTTP %d", ids.StatusCode())
	assert.NotEmpty(t, ids.JSON200.Identities, "the personas")

	mfa, err := c.SeedIdentity(ctx, control.IdentitySeed{Email: "seeded@example.com", TotpSecret: ptr("JBSWY3DPEHPK3PXP")})
	require.NoError(t, err)
	code, err := c.TOTPCode(ctx, mfa.Id)
	require.NoError(t, err)
	assert.Len(t, code, 6)
	require.NoError(t, c.AdvanceClock(ctx, time.Hour))
	msgs, err := c.Outbox(ctx, "seeded@example.com")
	require.NoError(t, err)
	assert.Empty(t, msgs)
	require.NoError(t, c.Reset(ctx))
	after, err := c.Control.ListIdentitiesWithResponse(ctx, nil)
	require.NoError(t, err)
	assert.Len(t, after.JSON200.Identities, len(ids.JSON200.Identities), "the reset dropped the seeded identity")

	resp, err = http.Get(c.URL + "/_mock/identities")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "without the token the control plane is closed")

	logs, err := c.Logs(ctx)
	require.NoError(t, err)
	out, _ := io.ReadAll(logs)
	assert.Contains(t, string(out), "idflows mock ready on")
}

// buildImage builds the Dockerfile as `make image` does: a static binary and the CA bundle in
// the build context, FROM scratch.
func buildImage(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "idflows"), "../cmd/idflows")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for src, dst := range map[string]string{"/etc/ssl/certs/ca-certificates.crt": "ca-certificates.crt", "../Dockerfile": "Dockerfile"} {
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), data, 0o644))
	}
	provider, err := testcontainers.NewDockerProvider()
	require.NoError(t, err)
	t.Cleanup(func() { provider.Close() })
	tag, err := provider.BuildImage(context.Background(), &testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{Context: dir, Repo: "idflows", Tag: "test", KeepImage: true},
	})
	require.NoError(t, err)
	return tag
}

// TestMain defaults testcontainers to what machines without a registry need: no Ryuk (its image
// cannot be pulled; containers are removed by CleanupContainer) and the Docker host on loopback.
func TestMain(m *testing.M) {
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	os.Exit(m.Run())
}
