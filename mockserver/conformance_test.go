package mockserver_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/mockserver"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// suiteTarget points the suite at a test mock with its control plane.
func suiteTarget(t *testing.T, srv *mockservertest.Server) conformance.Target {
	t.Helper()
	// The mock's relying party defaults to localhost and accepts its own URL as an origin.
	target := conformance.Target{BaseURL: srv.URL, WebAuthn: &conformance.RelyingParty{ID: "localhost", Origin: srv.URL}}
	ctl, err := conformance.NewMockControl(srv.URL, nil, "")
	require.NoError(t, err)
	ctl.Use(&target)
	return target
}

func mockWaivers(t *testing.T) conformance.Waivers {
	t.Helper()
	w, err := conformance.LoadWaivers("conformance-waivers.yaml")
	require.NoError(t, err)
	return w
}

// TestConformance certifies the mock with the whole suite: everything not yet implemented is
// in conformance-waivers.yaml, and nothing else may fail.
func TestConformance(t *testing.T) {
	srv := mockservertest.NewServer(t)
	// With its control plane and built-in social providers the mock runs every case: no skips.
	rep := conformance.Run(t, suiteTarget(t, srv), conformance.Options{Waivers: mockWaivers(t)})
	assert.Equal(t, report.Pass, rep.Summary.Outcome, rep.Summary.Reason)
	if len(rep.Cases) == len(conformance.Cases()) { // not narrowed by go test -run
		assert.Equal(t, []string{"core", "mfa", "passkeys", "social", "recovery", "security", "oauth2", "control"}, rep.Summary.Certified)
		assert.Zero(t, rep.Summary.Skipped)
	}
	for _, c := range rep.Cases {
		assert.NotEqual(t, report.Review, c.Status, "%s needs review: %s", c.ID, c.Reason)
	}
	t.Logf("%d cases: %d passed, %d failed, %d waived, %d skipped, %d warnings, %d review",
		rep.Summary.Total, rep.Summary.Passed, rep.Summary.Failed, rep.Summary.Waived, rep.Summary.Skipped, rep.Summary.Warnings, rep.Summary.Review)
}

// TestConformanceCatchesDeviations proves the suite: a mock that breaks the contract in one way
// fails the run, and at least the listed cases catch it.
func TestConformanceCatchesDeviations(t *testing.T) {
	for d, caughtBy := range map[mockserver.Deviation][]string{
		mockserver.DeviationWrongCode:         {"login.password.invalid-credentials", "login.password.unknown-identifier", "security.lockout"},
		mockserver.DeviationWrongStatus:       {"login.get.malformed-id", "login.submit.flat-body", "schema.submitLoginFlow.missing-field", "schema.submitRegistrationFlow.wrong-type", "schema.createLoginFlow.bad-query"},
		mockserver.DeviationMissingField:      {"login.create.fresh", "registration.create.fresh", "login.get.current"},
		mockserver.DeviationUndeclaredField:   {"login.create.fresh", "sessions.whoami.bearer", "sessions.list.own"},
		mockserver.DeviationMissingRequestID:  {"login.create.fresh", "errors.unknown-route", "sessions.whoami.no-session"},
		mockserver.DeviationWrongContentType:  {"login.create.fresh", "errors.unknown-route", "sessions.whoami.bearer"},
		mockserver.DeviationCSRFNotEnforced:   {"security.csrf.missing", "security.csrf.wrong", "security.csrf.cookie-mismatch"},
		mockserver.DeviationExpiryIgnored:     {"login.flow.expired", "registration.flow.expired"},
		mockserver.DeviationLogoutNotRevoking: {"sessions.logout.revokes", "sessions.logout.cookie"},
		mockserver.DeviationEnumerationLeak:   {"security.enumeration.identical-answers"},
		mockserver.DeviationAALNotRaised:      {"mfa.login.totp", "mfa.login.lookup-secret", "mfa.stepup.aal2"},
		mockserver.DeviationStepUpNotEnforced: {"mfa.stepup.aal2", "settings.privileged.stale"},
		mockserver.DeviationTOTPReplay:        {"mfa.login.totp-replay"},
		mockserver.DeviationSecondFactorReset: {"mfa.login.second-factor-lockout"},
		mockserver.DeviationUnicodeFolding:    {"security.addresses.ascii-only"},
		mockserver.DeviationRecoveryStripsMFA: {"recovery.session.keeps-second-factor"},
		mockserver.DeviationCodeLoginSkipsMFA: {"mfa.login.code-second-factor"},
		mockserver.DeviationCORSAnyOrigin:     {"security.cors.foreign-origin"},
		mockserver.DeviationCacheableSecrets:  {"security.cache.no-store"},
		mockserver.DeviationWrongMessageIDs:   {"registration.duplicate-email", "verification.code.success", "settings.profile.update"},
		mockserver.DeviationWrongRetryAfter:   {"security.lockout", "security.rate-limit.login", "mfa.login.second-factor-lockout"},
		mockserver.DeviationSocialMerge:       {"social.login.not-merged"},
		mockserver.DeviationSocialUnbound:     {"social.callback.other-browser"},
		mockserver.DeviationOrgsIgnored:       {"organizations.login.members-only", "organizations.registration"},
		mockserver.DeviationSocialNonce:       {"social.callback.nonce-mismatch"},
		mockserver.DeviationSocialRedirect:    {"social.callback.no-open-redirect"},
		mockserver.DeviationPKCENotVerified:   {"oauth2.pkce.required"},
	} {
		t.Run("deviation="+string(d), func(t *testing.T) {
			srv := mockservertest.NewServer(t, mockservertest.WithDeviation(d))
			rep, err := conformance.Check(t.Context(), suiteTarget(t, srv), conformance.Options{Waivers: mockWaivers(t)})
			require.NoError(t, err)
			assert.False(t, rep.Summary.Ok, "the run must fail")
			var failed []string
			for _, c := range rep.Cases {
				if c.Counts() {
					failed = append(failed, c.ID)
				}
			}
			for _, id := range caughtBy {
				assert.True(t, slices.Contains(failed, id), "%s must catch %s; failed cases: %v", id, d, failed)
			}
			for _, c := range rep.Cases {
				assert.NotEqual(t, report.Review, c.Status, "%s needs review: %s", c.ID, c.Reason)
			}
		})
	}
}

// Deployments often live under a path prefix (https://api.example.com/id/v1/…); the suite
// keeps the prefix on every request and judges the paths without it.
func TestConformanceUnderAPathPrefix(t *testing.T) {
	hs := httptest.NewUnstartedServer(nil)
	cfg := mockserver.DefaultConfig()
	cfg.BaseURL = "http://" + hs.Listener.Addr().String() + "/id"
	mock, err := mockserver.New(cfg, mockserver.WithStrictResponses(), mockserver.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	hs.Config.Handler = http.StripPrefix("/id", mock)
	hs.Start()
	t.Cleanup(hs.Close)

	rep, err := conformance.Check(t.Context(), conformance.Target{BaseURL: cfg.BaseURL},
		conformance.Options{Run: regexp.MustCompile(`^(login\.(create\.fresh|password\.success|get\.unknown)|sessions\.whoami\.bearer|schema\.submitLoginFlow\.missing-field)$`)})
	require.NoError(t, err)
	require.Len(t, rep.Cases, 5)
	for _, c := range rep.Cases {
		assert.Equal(t, report.Passed, c.Status, "%s: %v", c.ID, c.Findings)
	}
}
