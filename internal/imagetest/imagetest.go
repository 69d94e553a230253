// Package imagetest is for tests of containers: it says whether Docker is there (and whether it
// must be), and builds the mock's image as `make image` does — a static linux binary and the CA
// bundle in a build context, FROM scratch. Without a healthy Docker the tests skip, unless
// IDFLOWS_REQUIRE_DOCKER is set or CI=true, so CI never skips them silently.
package imagetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/testcontainers/testcontainers-go"

	"github.com/avnology/idflows/internal/mockproc"
)

// RequireDocker is what every test of containers does first: it skips with -short, defaults
// testcontainers to what machines without a registry need (no Ryuk, whose image cannot be
// pulled; the Docker host on loopback), and skips without a healthy engine or one of tools —
// or fails, when IDFLOWS_REQUIRE_DOCKER is set or CI=true.
func RequireDocker(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts containers; run without -short")
	}
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("IDFLOWS_REQUIRE_DOCKER") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("Docker is required here: "+format, args...)
		}
		t.Skipf(format, args...)
	}
	for _, tool := range append([]string{"docker"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			missing("%s is not installed", tool)
		}
	}
	if err := exec.Command("docker", "info").Run(); err != nil {
		missing("the Docker engine does not answer: %v", err)
	}
}

// Build builds the image from the repository at root and returns its tag.
func Build(t *testing.T, root string) string {
	t.Helper()
	RequireDocker(t)
	dir := filepath.Dir(mockproc.Build(t, "GOOS=linux")) // the build context: the binary, and beside it…
	for src, dst := range map[string]string{"/etc/ssl/certs/ca-certificates.crt": "ca-certificates.crt", filepath.Join(root, "Dockerfile"): "Dockerfile"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatalf("imagetest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), data, 0o644); err != nil {
			t.Fatalf("imagetest: %v", err)
		}
	}
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		t.Fatalf("imagetest: %v", err)
	}
	t.Cleanup(func() { provider.Close() })
	tag, err := provider.BuildImage(context.Background(), &testcontainers.ContainerRequest{
		FromDockerfile: testcontainers.FromDockerfile{Context: dir, Repo: "idflows", Tag: "test", KeepImage: true},
	})
	if err != nil {
		t.Fatalf("imagetest: docker build: %v", err)
	}
	return tag
}
