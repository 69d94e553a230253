package imagetest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/avnology/idflows/internal/mockproc"
)

// Project is a compose file brought up for one test, under a project name of its own.
type Project struct {
	t       *testing.T
	command []string // docker compose, or Debian's docker-compose
	args    []string // -p NAME -f FILE
	env     []string
}

// Root is the repository's root.
func Root() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

// Up builds the images the compose examples name (make compose-images), brings up the compose
// file (relative to the repository's root) with env added to the environment, and takes it
// down when the test ends — showing its logs first when the test failed. It skips, or fails,
// as RequireDocker does.
func Up(t *testing.T, file string, env ...string) *Project {
	t.Helper()
	p := &Project{t: t, command: composeCommand(t), env: append(os.Environ(), env...)}
	root := Root()
	mockproc.Inputs(t, filepath.Dir(filepath.Join(root, file)), filepath.Join(root, "Dockerfile"), filepath.Join(root, "Makefile"))
	images := exec.Command("make", "-s", "compose-images")
	images.Dir = root
	if out, err := images.CombinedOutput(); err != nil {
		t.Fatalf("make compose-images: %v\n%s", err, out)
	}
	p.args = []string{"-p", "idflows-test-" + Secret(t)[:8], "-f", filepath.Join(root, file)}
	if out, err := p.Run("up", "-d"); err != nil {
		t.Fatalf("compose up: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if t.Failed() {
			logs, _ := p.Run("logs", "--no-color")
			t.Logf("compose logs:\n%s", logs)
		}
		if out, err := p.Run("down", "-v", "--remove-orphans"); err != nil {
			t.Errorf("compose down: %v\n%s", err, out)
		}
	})
	return p
}

// Network is the project's default network, where its services are reachable by name.
func (p *Project) Network() string { return p.args[1] + "_default" }

// Run runs a compose command on the project.
func (p *Project) Run(args ...string) ([]byte, error) {
	cmd := exec.Command(p.command[0], append(append(append([]string{}, p.command[1:]...), p.args...), args...)...)
	cmd.Env = p.env
	return cmd.CombinedOutput()
}

// composeCommand is Compose v2 (docker compose) if the engine has it, else v1 (Debian's
// docker-compose), which RequireDocker then requires.
func composeCommand(t *testing.T) []string {
	RequireDocker(t, "make")
	if exec.Command("docker", "compose", "version").Run() == nil {
		return []string{"docker", "compose"}
	}
	RequireDocker(t, "docker-compose")
	return []string{"docker-compose"}
}

// Secret is 32 random hex digits: a control token, a project name.
func Secret(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
