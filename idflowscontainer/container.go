// Package idflowscontainer starts `idflows mock` in a container with testcontainers-go, for Go
// teams whose tests start their dependencies that way: Run starts the image (`make image`
// builds idflows:dev), waits until /_mock/ready answers, and returns the mock's URL on the host
// and a control-plane client that carries the container's own control token.
package idflowscontainer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

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
// container when done (testcontainers.CleanupContainer in a test).
func Run(ctx context.Context, image string, opts ...Option) (*Container, error) {
	if image == "" {
		image = DefaultImage
	}
	s := &settings{env: map[string]string{}}
	for _, o := range opts {
		o(s)
	}
	// The mock must know the URL clients reach it at before it starts, so the host port is
	// chosen here rather than by Docker.
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	token, err := newToken()
	if err != nil {
		return nil, err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	s.env["IDFLOWS_BASE_URL"], s.env["IDFLOWS_CONTROL_TOKEN"] = url, token
	c, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts("4433/tcp"),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort("4433/tcp"): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(port)}}}
		}),
		testcontainers.WithEnv(s.env),
		testcontainers.WithCmdArgs(s.args...),
		testcontainers.WithFiles(s.files...),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/_mock/ready").WithPort("4433/tcp").WithStartupTimeout(30*time.Second)),
	)
	if err != nil {
		return &Container{DockerContainer: c}, fmt.Errorf("idflowscontainer: %w", err)
	}
	ctl, err := control.NewClientWithResponses(url, control.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Mock-Token", token)
		if s.tenant != "" && r.Header.Get("X-Mock-Tenant") == "" {
			r.Header.Set("X-Mock-Tenant", s.tenant)
		}
		if r.Method != http.MethodGet && r.Header.Get("Content-Type") == "" {
			r.Header.Set("Content-Type", "application/json") // state changes say they are JSON (D13)
		}
		return nil
	}))
	if err != nil {
		return &Container{DockerContainer: c}, fmt.Errorf("idflowscontainer: %w", err)
	}
	return &Container{DockerContainer: c, URL: url, Control: ctl}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
