package mockserver_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// TestConformance certifies the mock with the whole suite: everything not yet implemented is
// in conformance-waivers.yaml, and nothing else may fail.
func TestConformance(t *testing.T) {
	srv := mockservertest.NewServer(t)
	target := conformance.Target{BaseURL: srv.URL}
	ctl, err := conformance.NewMockControl(srv.URL, nil)
	require.NoError(t, err)
	ctl.Use(&target)
	waivers, err := conformance.LoadWaivers("conformance-waivers.yaml")
	require.NoError(t, err)
	rep := conformance.Run(t, target, conformance.Options{Waivers: waivers, Parallel: 4})
	t.Logf("%d cases: %d passed, %d failed, %d waived, %d skipped, %d warnings, %d review",
		rep.Summary.Total, rep.Summary.Passed, rep.Summary.Failed, rep.Summary.Waived, rep.Summary.Skipped, rep.Summary.Warnings, rep.Summary.Review)
}
