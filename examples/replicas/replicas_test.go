package replicas_test

import (
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/imagetest"
	"github.com/avnology/idflows/internal/mockproc"
)

// The replicas example as a company runs it: compose.yaml brought up as it is — Redis, two
// replicas of the mock's image, a round-robin load balancer — and the whole conformance suite,
// run from the mock's own image inside the project's network (as a CI job there would), passes
// through the balancer; both replicas answered their share.
func TestReplicasExample(t *testing.T) {
	token := imagetest.Secret(t)
	port := mockproc.FreePort(t)
	const public = "http://mock.idflows.test:8080" // the client is in the network: the suite's container
	project := imagetest.Up(t, "examples/replicas/compose.yaml", "IDFLOWS_CONTROL_TOKEN="+token, "LB_PORT="+port, "PUBLIC_URL="+public)
	mockproc.WaitOK(t, "http://localhost:"+port+"/_mock/health", 60*time.Second)

	conform := exec.Command("docker", "run", "--rm", "--network", project.Network(), "-e", "IDFLOWS_CONTROL_TOKEN="+token,
		"--entrypoint", "/idflows", "idflows:dev", "conform", "--target", public, "--control", public, "--inbox", "mock",
		"--webauthn-rp-id", "mock.idflows.test", "--webauthn-origin", public)
	out, err := conform.CombinedOutput()
	require.NoError(t, err, "idflows conform:\n%s", out)
	assert.Regexp(t, `(?m)^PASS: \d+ cases — \d+ passed, 0 failed, 0 waived, 0 warnings, 0 review, 0 skipped$`, string(out))
	assert.Contains(t, string(out), "Certified profiles (every case passed or waived): core, mfa, passkeys, social, recovery, security, oauth2, control\n")

	for _, replica := range []string{"mock-a", "mock-b"} {
		logs, err := project.Run("logs", "--no-color", replica)
		require.NoError(t, err, "%s", logs)
		served := len(regexp.MustCompile(`msg=request `).FindAll(logs, -1))
		assert.Greater(t, served, 500, "%s answered its share", replica)
	}
}
