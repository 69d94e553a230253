// Package imagetest builds the mock's image for tests, as `make image` does: a static linux
// binary and the CA bundle in a build context, FROM scratch. Without a healthy Docker the tests
// skip — unless IDFLOWS_REQUIRE_DOCKER is set or CI=true, so CI never skips them silently.
package imagetest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/testcontainers/testcontainers-go"

	// The image is built from these: importing them ties a test's cached result to their source,
	// which go test cannot see through the go build it runs.
	_ "github.com/avnology/idflows/conformance"
	_ "github.com/avnology/idflows/mockserver"
)

// Build builds the image from the repository at root and returns its tag.
func Build(t *testing.T, root string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts containers; run without -short")
	}
	for k, v := range map[string]string{"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_HOST_OVERRIDE": "127.0.0.1"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v) // no registry: Ryuk cannot be pulled; the Docker host is on loopback
		}
	}
	if os.Getenv("IDFLOWS_REQUIRE_DOCKER") == "" && os.Getenv("CI") != "true" {
		testcontainers.SkipIfProviderIsNotHealthy(t)
	}
	dir := t.TempDir()
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "idflows"), "./cmd/idflows")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("imagetest: go build: %v\n%s", err, out)
	}
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
