// Package idflowscontainer starts `idflows mock` in a container with testcontainers-go, for Go
// teams whose tests start their dependencies that way: Run starts the image (`make image`
// builds idflows:dev), waits until /_mock/ready answers, and returns the mock's URL on the host
// and a control-plane client that carries the container's own control token.
package idflowscontainer

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/gen/control"
)

// DefaultImage is what `make image` builds.
const DefaultImage = "idflows:dev"

// Container is a running mock.
type Container struct {
	*testcontainers.DockerContainer
	// URL is the mock's base URL on the host (http://127.0.0.1:PORT): the flows' ui.action and
	// every link it makes use it.
	URL string
	// Control is the control plane, already authorised with the container's token.
	Control *control.ClientWithResponses
}

// Option configures the mock in the container.
type Option func(*settings)

type settings struct {
	env    map[string]string
	args   []string
	files  []testcontainers.ContainerFile
	tenant string
}

// WithTenant makes the control client act on an X-Mock-Tenant world of its own (the code under
// test must send the same header to see it).
func WithTenant(name string) Option { return func(s *settings) { s.tenant = name } }

// WithSeed makes ids, tokens and codes deterministic.
func WithSeed(seed uint64) Option {
	return func(s *settings) { s.env["IDFLOWS_SEED"] = strconv.FormatUint(seed, 10) }
}

// WithPersonas seeds every tenant from a personas file on the host instead of the embedded one.
func WithPersonas(hostPath string) Option {
	return func(s *settings) {
		s.files = append(s.files, testcontainers.ContainerFile{HostFilePath: hostPath, ContainerFilePath: "/personas.yaml", FileMode: 0o444})
		s.env["IDFLOWS_PERSONAS"] = "/personas.yaml"
	}
}

// WithFlowLifetimes overrides flow lifetimes, e.g. "login=2m,registration=5m".
func WithFlowLifetimes(spec string) Option {
	return func(s *settings) { s.env["IDFLOWS_FLOW_LIFETIMES"] = spec }
}

// WithArgs appends arguments to `idflows mock`.
func WithArgs(args ...string) Option { return func(s *settings) { s.args = append(s.args, args...) } }

// Run starts image (DefaultImage when "") and waits until the mock is ready. Terminate the
// container when done: testcontainers.CleanupContainer(t, c) in a test, which, like
// testcontainers.TerminateContainer, also takes the nil a failed Run returns.
func Run(ctx context.Context, image string, opts ...Option) (*Container, error) {
	if image == "" {
		image = DefaultImage
	}
	s := &settings{env: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	// StartImage picks the host port first (the mock must know its URL before it starts) and
	// gives the mock that URL and a fresh control token.
	started, err := conformance.StartImage(ctx, conformance.Image{Name: image, Env: s.env, Args: s.args, Files: s.files,
		ReadyPath: "/_mock/ready", ReadyTimeout: 30 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("idflowscontainer: %w", err) // StartImage removed what it started
	}
	ctl, err := control.NewClientWithResponses(started.URL, control.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Mock-Token", started.ControlToken)
		if s.tenant != "" && r.Header.Get("X-Mock-Tenant") == "" {
			r.Header.Set("X-Mock-Tenant", s.tenant)
		}
		if r.Method != http.MethodGet && r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json") // state changes say they are JSON (D13)
		}
		return nil
	}))
	if err != nil {
		return &Container{DockerContainer: started.Container}, fmt.Errorf("idflowscontainer: %w", err)
	}
	return &Container{DockerContainer: started.Container, URL: started.URL, Control: ctl}, nil
}
