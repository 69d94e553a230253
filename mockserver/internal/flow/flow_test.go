package flow_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/internal/flow"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The state machines are documented from the table itself, so docs cannot drift.
func TestStateMachinesMatchTheirDiagrams(t *testing.T) {
	for _, typ := range []flow.Type{flow.Login, flow.Registration, flow.Settings, flow.Recovery, flow.Verification} {
		t.Run("type="+string(typ), func(t *testing.T) {
			golden := filepath.Join("testdata", string(typ)+".mmd")
			got := flow.Mermaid(typ)
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(want), got)
		})
	}
}

func TestMoveToFollowsTheTable(t *testing.T) {
	now := time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)
	f := flow.New("id", flow.Recovery, now, time.Hour)
	assert.Equal(t, flow.ShowForm, f.State())
	assert.Error(t, f.MoveTo(flow.PassedChallenge), "cannot skip sent_email")
	require.NoError(t, f.MoveTo(flow.SentEmail))
	require.NoError(t, f.MoveTo(flow.PassedChallenge))
	assert.Error(t, f.MoveTo(flow.ShowForm))
}

func TestLifetimes(t *testing.T) {
	now := time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)
	login := flow.New("id", flow.Login, now, flow.DefaultLifetimes[flow.Login])
	assert.Equal(t, now.Add(30*time.Minute), login.ExpiresAt)
	assert.True(t, login.Usable(now.Add(29*time.Minute)))
	assert.False(t, login.Usable(now.Add(30*time.Minute)))
	login.Consumed = true
	assert.False(t, login.Usable(now))
	assert.Equal(t, now.Add(time.Hour), flow.New("id", flow.Settings, now, flow.DefaultLifetimes[flow.Settings]).ExpiresAt)
}

// A flow kept outside the process comes back the same, state included, and a state its
// machine does not have is refused rather than read.
func TestFlowsRoundTripThroughJSON(t *testing.T) {
	now := time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)
	f := flow.New("f1", flow.Recovery, now, time.Hour)
	require.NoError(t, f.MoveTo(flow.SentEmail))
	f.Code, f.WebAuthnSession, f.PendingLookup = "123456", []byte{1, 2, 3}, []string{"a", "b"}
	f.FieldMessages = map[string][]flow.Message{"email": {{ID: "4000001", Text: "x", Type: "error"}}}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	var back flow.Flow
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, f, back)
	assert.Equal(t, flow.SentEmail, back.State())

	bad := strings.Replace(string(b), `"State":"sent_email"`, `"State":"passed_challenge_x"`, 1)
	require.NotEqual(t, string(b), bad)
	assert.ErrorContains(t, json.Unmarshal([]byte(bad), &back), "has no state")
}
