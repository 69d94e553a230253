package replicas_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/internal/imagetest"
	"github.com/avnology/idflows/internal/mockproc"
)

// The replicas example as a company runs it: compose.yaml brought up as it is (on a free host
// port) — Redis, two replicas of the mock's image, a round-robin load balancer — and the whole
// conformance suite run through the balancer, with the control token, passes; both replicas
// answered.
func TestReplicasExample(t *testing.T) {
	token := imagetest.Secret(t)
	port := mockproc.FreePort(t)
	project := imagetest.Up(t, "examples/replicas/compose.yaml", "IDFLOWS_CONTROL_TOKEN="+token, "LB_PORT="+port)
	url := "http://localhost:" + port
	mockproc.WaitOK(t, url+"/_mock/health", 60*time.Second)

	target := conformance.Target{BaseURL: url, WebAuthn: &conformance.RelyingParty{ID: "localhost", Origin: url}}
	ctl, err := conformance.NewMockControl(url, nil, token)
	require.NoError(t, err)
	ctl.Use(&target)
	waivers, err := conformance.LoadWaivers("../../mockserver/conformance-waivers.yaml")
	require.NoError(t, err)
	rep := conformance.Run(t, target, conformance.Options{Waivers: waivers})
	assert.Equal(t, report.Pass, rep.Summary.Outcome, rep.Summary.Reason)
	assert.Zero(t, rep.Summary.Skipped)

	for _, replica := range []string{"mock-a", "mock-b"} {
		logs, err := project.Run("logs", "--no-color", replica)
		require.NoError(t, err, "%s", logs)
		served := len(regexp.MustCompile(`msg=request `).FindAll(logs, -1))
		assert.Greater(t, served, 500, "%s answered its share", replica)
	}
}
