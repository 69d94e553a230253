package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/openapi/contract"
)

// MockControl drives the control plane of an `idflows mock` (or anything that serves
// openapi/mock-control.yaml): it is the target's inbox, clock, seeder and isolation at once.
// Each case gets a tenant of its own, so a case that moves the clock moves only its world.
type MockControl struct {
	client *control.ClientWithResponses
	// provider drives the built-in providers' pages: a browser that stops at redirects.
	provider *http.Client
	run      string
	next     atomic.Int64
}

// NewMockControl talks to the control plane at baseURL (usually the mock's own URL). token is
// the mock's control token ("" when it runs without one): it goes in X-Mock-Token.
func NewMockControl(baseURL string, httpClient *http.Client, token string) (*MockControl, error) {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	// Every call that changes state says it is JSON, body or not (the mock refuses anything a
	// cross-site form could send).
	headers := control.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		if req.Method != http.MethodGet && req.Header.Get("Content-Type") == "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("X-Mock-Token", token)
		}
		return nil
	})
	c, err := control.NewClientWithResponses(strings.TrimRight(baseURL, "/"), control.WithHTTPClient(boundedClient(httpClient, maxCapabilityBody)), headers)
	if err != nil {
		return nil, fmt.Errorf("control plane: %w", err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	provider := &http.Client{Timeout: httpClient.Timeout, Transport: httpClient.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &MockControl{client: c, provider: provider, run: "conform-" + hex.EncodeToString(b[:])}, nil
}

// Preflight proves the control plane answers, and accepts this client's token: readiness,
// then a call that needs the token.
func (m *MockControl) Preflight(ctx context.Context) error {
	ready, err := m.client.GetReadyWithResponse(ctx)
	if err != nil {
		return fmt.Errorf("GET /_mock/ready: %w", err)
	}
	if ready.JSON200 == nil {
		return fmt.Errorf("GET /_mock/ready answered HTTP %d; is this an idflows mock control plane?", ready.StatusCode())
	}
	clock, err := m.client.GetClockWithResponse(ctx, &control.GetClockParams{})
	if err != nil {
		return fmt.Errorf("GET /_mock/clock: %w", err)
	}
	switch clock.StatusCode() {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("GET /_mock/clock answered HTTP %d: the control plane wants its token (--control-token)", clock.StatusCode())
	}
	return fmt.Errorf("GET /_mock/clock answered HTTP %d", clock.StatusCode())
}

// Use makes target use the mock control plane for every capability it offers, and the mock's
// built-in google provider for social sign-in unless another provider is named.
func (m *MockControl) Use(target *Target) {
	target.Inbox, target.Clock, target.Seeder, target.Isolation, target.Social, target.Faults, target.Orgs = m, m, m, m, m, m, m
	if target.OAuth2 == nil {
		target.OAuth2 = m
	}
	if target.OIDCProvider == "" {
		target.OIDCProvider = "google"
	}
}

// SeedOrganization creates an organization in the tenant.
func (m *MockControl) SeedOrganization(ctx context.Context, s Scope, id, mode string, members []string) error {
	rm := control.OrganizationSeedRegistrationMode(mode)
	body := control.SeedOrganizationJSONRequestBody{Id: id, RegistrationMode: &rm}
	if len(members) > 0 {
		body.Members = &members
	}
	resp, err := m.client.SeedOrganizationWithResponse(ctx, &control.SeedOrganizationParams{XMockTenant: tenantOf(s)}, body)
	if err != nil {
		return err
	}
	if resp.JSON201 == nil {
		return fmt.Errorf("HTTP %d", resp.StatusCode())
	}
	return nil
}

// conformanceRedirect is where the suite's app is sent back to: never followed, so nothing
// listens there (.invalid is reserved for that).
const conformanceRedirect = "https://app.idflows.invalid/callback"

// App registers the suite's app in the case's tenant: public, third-party, every scope.
func (m *MockControl) App(ctx context.Context, s Scope) (OAuth2App, error) {
	name := "idflows conformance"
	resp, err := m.client.RegisterOAuth2ClientWithResponse(ctx, &control.RegisterOAuth2ClientParams{XMockTenant: tenantOf(s)},
		control.RegisterOAuth2ClientJSONRequestBody{ClientId: "cli_idflows_conformance", ClientName: &name, RedirectUris: []string{conformanceRedirect}})
	if err != nil {
		return OAuth2App{}, err
	}
	if resp.JSON201 == nil {
		return OAuth2App{}, fmt.Errorf("registering the suite's app: HTTP %d", resp.StatusCode())
	}
	return OAuth2App{ClientID: resp.JSON201.ClientId, RedirectURI: conformanceRedirect}, nil
}

// Force arms a fault: the tenant's next call of the operation answers the pair.
func (m *MockControl) Force(ctx context.Context, s Scope, operationID string, pair contract.Pair) error {
	code, status := pair.Code, pair.Status
	resp, err := m.client.ArmFaultWithResponse(ctx, &control.ArmFaultParams{XMockTenant: tenantOf(s)},
		control.ArmFaultJSONRequestBody{OperationId: operationID, ErrorCode: &code, Status: &status})
	if err != nil {
		return err
	}
	if resp.JSON201 == nil {
		return fmt.Errorf("arming a fault: HTTP %d", resp.StatusCode())
	}
	return nil
}

// Authorize completes an authorization at one of the mock's built-in providers the way a
// person does on its page: it creates the test account and continues.
func (m *MockControl) Authorize(ctx context.Context, s Scope, authorizeURL string, acc SocialAccount) (string, error) {
	u, err := url.Parse(authorizeURL)
	if err != nil || !u.IsAbs() {
		return "", fmt.Errorf("authorize URL %q is not absolute", authorizeURL)
	}
	if acc.LieAboutNonce {
		provider := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/_mock/oidc/"), "/authorize")
		lie, verified := true, acc.EmailVerified
		resp, err := m.client.SeedSocialAccountWithResponse(ctx, provider, &control.SeedSocialAccountParams{XMockTenant: tenantOf(s)},
			control.SeedSocialAccountJSONRequestBody{Email: openapi_types.Email(acc.Email), EmailVerified: &verified, LieAboutNonce: &lie})
		if err != nil {
			return "", err
		}
		if resp.JSON201 == nil {
			return "", fmt.Errorf("making the provider lie: HTTP %d", resp.StatusCode())
		}
	}
	form := u.Query()
	form.Set("action", "create")
	form.Set("email", acc.Email)
	form.Set("name", acc.Name)
	if acc.EmailVerified {
		form.Set("email_verified", "true")
	}
	u.RawQuery = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := m.provider.Do(req)
	if err != nil {
		return "", fmt.Errorf("the provider's authorize page: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") == "" {
		return "", fmt.Errorf("the provider's authorize page answered HTTP %d, not a redirect back", resp.StatusCode)
	}
	return resp.Header.Get("Location"), nil
}

const tenantHeader = "X-Mock-Tenant"

// NewScope gives a case its own tenant.
func (m *MockControl) NewScope(string) Scope {
	h := http.Header{}
	h.Set(tenantHeader, fmt.Sprintf("%s-%d", m.run, m.next.Add(1)))
	return Scope{Header: h}
}

func tenantOf(s Scope) *string {
	if v := s.Header.Get(tenantHeader); v != "" {
		return &v
	}
	return nil
}

// Codes reads the tenant's outbox.
func (m *MockControl) Codes(ctx context.Context, s Scope, address string) ([]string, error) {
	resp, err := m.client.ListOutboxWithResponse(ctx, &control.ListOutboxParams{XMockTenant: tenantOf(s), To: &address})
	if err != nil {
		return nil, err
	}
	if resp.JSON200 == nil {
		return nil, fmt.Errorf("outbox: HTTP %d", resp.StatusCode())
	}
	var codes []string
	msgs := resp.JSON200.Messages
	for i := len(msgs) - 1; i >= 0; i-- { // the outbox lists newest first
		if msgs[i].Code != nil && *msgs[i].Code != "" {
			codes = append(codes, *msgs[i].Code)
		}
	}
	return codes, nil
}

// Advance moves the tenant's clock.
func (m *MockControl) Advance(ctx context.Context, s Scope, d time.Duration) error {
	resp, err := m.client.AdvanceClockWithResponse(ctx, &control.AdvanceClockParams{XMockTenant: tenantOf(s)}, control.ClockAdvance{Seconds: int(d / time.Second)})
	if err != nil {
		return err
	}
	if resp.JSON200 == nil {
		return fmt.Errorf("clock: HTTP %d", resp.StatusCode())
	}
	return nil
}

// SeedIdentity creates an identity in the tenant.
func (m *MockControl) SeedIdentity(ctx context.Context, s Scope, spec IdentitySpec) (string, error) {
	body := control.IdentitySeed{Email: openapi_types.Email(spec.Email), EmailVerified: &spec.EmailVerified, Locked: &spec.Locked}
	if spec.Username != "" {
		body.Username = &spec.Username
	}
	if spec.Password != "" {
		body.Password = &spec.Password
	}
	if spec.Disabled {
		state := control.IdentitySeedState("inactive")
		body.State = &state
	}
	if spec.TOTPSecret != "" {
		body.TotpSecret = &spec.TOTPSecret
	}
	if len(spec.LookupSecrets) > 0 {
		body.LookupSecrets = &spec.LookupSecrets
	}
	resp, err := m.client.SeedIdentityWithResponse(ctx, &control.SeedIdentityParams{XMockTenant: tenantOf(s)}, body)
	if err != nil {
		return "", err
	}
	if resp.JSON201 == nil {
		return "", fmt.Errorf("seed identity: HTTP %d: %s", resp.StatusCode(), resp.Body)
	}
	return resp.JSON201.Id, nil
}
