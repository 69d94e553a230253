package idflowscontainer_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/idflowscontainer"
	"github.com/avnology/idflows/internal/imagetest"
)

func ptr[T any](v T) *T { return &v }

// The image as a team uses it: built from the Dockerfile, started with testcontainers-go, the
// control plane guarded by the container's own token.
func TestMockInAContainer(t *testing.T) {
	ctx := context.Background()
	image := imagetest.Build(t, "..")
	c, err := idflowscontainer.Run(ctx, image)
	testcontainers.CleanupContainer(t, c)
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

	t.Run("WithTenant: the control client acts on a world of its own", func(t *testing.T) {
		team, err := idflowscontainer.Run(ctx, image, idflowscontainer.WithTenant("team-a"))
		testcontainers.CleanupContainer(t, team)
		require.NoError(t, err)
		_, err = team.SeedIdentity(ctx, control.IdentitySeed{Email: "team@example.com"})
		require.NoError(t, err)
		inTenant := func(tenant string) bool {
			list, err := team.Control.ListIdentitiesWithResponse(ctx, nil, func(_ context.Context, r *http.Request) error {
				r.Header.Set("X-Mock-Tenant", tenant)
				return nil
			})
			require.NoError(t, err)
			require.NotNil(t, list.JSON200, "HTTP %d", list.StatusCode())
			for _, id := range list.JSON200.Identities {
				if id.Email == "team@example.com" {
					return true
				}
			}
			return false
		}
		assert.True(t, inTenant("team-a"), "seeded in team-a")
		assert.False(t, inTenant("default"), "the default world never saw it")
	})
}

func TestRunFailsCleanly(t *testing.T) {
	imagetest.Build(t, "..") // Docker is there: the failure is the image's
	c, err := idflowscontainer.Run(context.Background(), "idflows-no-such-image:never")
	testcontainers.CleanupContainer(t, c) // takes the nil of a failed Run
	require.Error(t, err)
	assert.Nil(t, c)
}
