package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/wait"
)

// Image is a container image to certify without deploying it: started with testcontainers-go,
// its port published on loopback.
type Image struct {
	Name string            // e.g. vendor/idp:1.2
	Port int               // the port it serves the API on (4433 when 0)
	Env  map[string]string // added to its environment
	Args []string          // appended to its command
	// ReadyTimeout bounds the wait for its first HTTP answer (60 s when 0).
	ReadyTimeout time.Duration
	// ReadyPath is where readiness is asked: any answer there means it serves ("/" when
	// empty); an idflows mock's is /_mock/ready, which answers 200 once it is ready.
	ReadyPath string
	// Files are copied into the container before it starts.
	Files []testcontainers.ContainerFile
}

// StartedImage is a running image under test.
type StartedImage struct {
	// URL is the image's API on the host: http://127.0.0.1:PORT.
	URL string
	// Mock is set when the image is an idflows mock, whose control plane answers ControlToken.
	Mock         bool
	ControlToken string
	// Container is the running container (Terminate it, or call Stop).
	Container *testcontainers.DockerContainer
}

// StartImage starts img and waits until it answers HTTP. Every image gets IDFLOWS_BASE_URL and
// a fresh IDFLOWS_CONTROL_TOKEN (an idflows mock needs both; other images ignore them). An
// image that never answers is an error that carries its last log lines.
func StartImage(ctx context.Context, img Image) (*StartedImage, error) {
	if img.Port == 0 {
		img.Port = 4433
	}
	if img.ReadyTimeout == 0 {
		img.ReadyTimeout = time.Minute
	}
	ready := wait.ForHTTP("/").WithStatusCodeMatcher(func(int) bool { return true }) // any answer: it serves
	if img.ReadyPath != "" {
		ready = wait.ForHTTP(img.ReadyPath)
	}
	hostPort, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	s := &StartedImage{URL: "http://127.0.0.1:" + strconv.Itoa(hostPort), ControlToken: hex.EncodeToString(b)}
	env := map[string]string{"IDFLOWS_BASE_URL": s.URL, "IDFLOWS_CONTROL_TOKEN": s.ControlToken}
	for k, v := range img.Env {
		env[k] = v
	}
	port := strconv.Itoa(img.Port) + "/tcp"
	s.Container, err = testcontainers.Run(ctx, img.Name,
		testcontainers.WithLogger(tclog.NewNoopLogger()), // the caller prints its own lines; failures carry the image's log
		testcontainers.WithExposedPorts(port),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.PortBindings = network.PortMap{network.MustParsePort(port): {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(hostPort)}}}
		}),
		testcontainers.WithEnv(env),
		testcontainers.WithCmdArgs(img.Args...),
		testcontainers.WithFiles(img.Files...),
		testcontainers.WithWaitStrategy(ready.WithPort(port).WithStartupTimeout(img.ReadyTimeout)),
	)
	if err != nil && strings.Contains(err.Error(), "reaper") {
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("image %s: testcontainers' reaper (Ryuk) could not start: %w\n"+
			"(where no registry is reachable, set TESTCONTAINERS_RYUK_DISABLED=true)", img.Name, err)
	}
	if err != nil && (s.Container == nil || s.Container.GetContainerID() == "") {
		return nil, fmt.Errorf("image %s could not be started: %w", img.Name, err)
	}
	if err != nil {
		last := s.lastLogLines(context.WithoutCancel(ctx), 20)
		_ = s.Stop(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("image %s did not become ready: %w\nits last log lines:\n%s", img.Name, err, last)
	}
	s.Mock = s.answersControl(ctx)
	return s, nil
}

// answersControl reports whether the image is an idflows mock whose control plane takes the
// token it was given.
func (s *StartedImage) answersControl(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/_mock/clock", nil)
	if err != nil {
		return false
	}
	req.Header.Set("X-Mock-Token", s.ControlToken)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Logs returns what the container wrote, bounded (the last maxContainerLog bytes).
func (s *StartedImage) Logs(ctx context.Context) ([]byte, error) {
	if s.Container == nil {
		return nil, errors.New("no container")
	}
	r, err := s.Container.Logs(ctx)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if len(data) > maxContainerLog {
		data = data[len(data)-maxContainerLog:]
	}
	return data, err
}

// maxContainerLog bounds the log kept beside a report.
const maxContainerLog = 8 << 20

func (s *StartedImage) lastLogLines(ctx context.Context, n int) string {
	data, err := s.Logs(ctx)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Stop removes the container.
func (s *StartedImage) Stop(ctx context.Context) error {
	if s.Container == nil {
		return nil
	}
	return s.Container.Terminate(ctx)
}

func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
