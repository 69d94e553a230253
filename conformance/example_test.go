package conformance_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
)

// A vendor certifies its own deployment from `go test`: the target, a Mailpit inbox to read
// the codes it sends, a gateway key, and the one account the API cannot make. Each case is a
// subtest (go test -run 'TestStagingConforms/login\.password' runs just those); the report
// comes back for writing or further checks.
func ExampleRun() {
	testStagingConforms := func(t *testing.T) {
		target := conformance.Target{
			BaseURL: os.Getenv("ID_STAGING_URL"),
			Timeout: 5 * time.Second,
			Header:  http.Header{"X-Api-Key": {os.Getenv("ID_GATEWAY_KEY")}}, // never written to a report
			Inbox:   conformance.Mailpit{BaseURL: os.Getenv("MAILPIT_URL")},
			Accounts: conformance.Accounts{
				Disabled: &conformance.AccountSpec{Email: "disabled@staging.example.com", Password: os.Getenv("ID_DISABLED_PASSWORD")},
			},
		}
		rep := conformance.Run(t, target, conformance.Options{Profiles: []string{"core", "mfa", "security"}, AllowSkips: true})
		if rep.Summary.Outcome != report.Pass {
			t.Logf("certified profiles: %v", rep.Summary.Certified)
		}
	}
	_ = testStagingConforms
}
