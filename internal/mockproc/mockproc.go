// Package mockproc runs `idflows mock` as a real process for tests that drive it from outside
// Go — a browser, Vite, Node, containers: it builds the binary, starts it on a free loopback
// port as a person would, and gives such tests their few shared helpers (a free port, waiting
// for a URL, reading their inputs).
package mockproc

import (
	"bufio"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/avnology/idflows/internal/syncbuffer"

	// The binary Build makes is built from these: importing them ties a test's cached result to
	// their source, which go test cannot see through the go build it runs.
	_ "github.com/avnology/idflows/conformance"
	_ "github.com/avnology/idflows/mockserver"
)

// Build builds cmd/idflows, static (CGO off), into a directory of its own in the test's
// temporary directory and returns its path; env is added to the build's environment
// (GOOS=linux for an image).
func Build(t testing.TB, env ...string) string {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	bin := filepath.Join(t.TempDir(), "idflows")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/idflows")
	build.Dir = filepath.Join(filepath.Dir(here), "..", "..")
	build.Env = append(append(os.Environ(), "CGO_ENABLED=0"), env...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("mockproc: go build: %v\n%s", err, out)
	}
	return bin
}

// Mock is a running `idflows mock`.
type Mock struct {
	// URL is what its ready line printed.
	URL string
	// Stderr is everything it logged so far.
	Stderr *syncbuffer.Buffer
}

// Start runs `bin mock --listen 127.0.0.1:0 --log-level warn args…`, waits for its ready line,
// and stops it when the test ends.
func Start(t testing.TB, bin string, args ...string) *Mock {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"mock", "--listen", "127.0.0.1:0", "--log-level", "warn"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	m := &Mock{Stderr: &syncbuffer.Buffer{}}
	cmd.Stderr = m.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "idflows mock ready on "); ok {
				urls <- strings.Fields(rest)[0]
			}
		}
	}()
	select {
	case m.URL = <-urls:
		return m
	case <-time.After(15 * time.Second):
		t.Fatalf("mockproc: the mock did not start: %s", m.Stderr)
		return nil
	}
}

// FreePort is a loopback port free a moment ago, for a process that must be told its port.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// WaitOK waits until url answers 200, or fails t after timeout with the last error.
func WaitOK(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mockproc: %s did not answer 200 within %s (last error: %v)", url, timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Inputs reads every file under the given paths, so that go test caches a test that hands them
// to another program (Node, Vite, Docker) only for as long as they are unchanged; node_modules
// and build output are left out.
func Inputs(t testing.TB, paths ...string) {
	t.Helper()
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "dist" || strings.HasPrefix(d.Name(), ".")) && path != root {
				return filepath.SkipDir
			}
			if !d.IsDir() {
				_, err = os.ReadFile(path)
			}
			return err
		})
		if err != nil {
			t.Fatalf("mockproc: %v", err)
		}
	}
}
