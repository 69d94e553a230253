// Package redistest runs a real redis-server for tests of the mock's shared store: on a free
// loopback port, with its data in the test's temporary directory (append-only, so a restart
// keeps it), stopped when the test ends. Without redis-server the tests skip, unless
// IDFLOWS_REQUIRE_REDIS is set or CI=true, so CI never skips them silently.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/avnology/idflows/internal/mockproc"
	"github.com/avnology/idflows/internal/syncbuffer"
)

// Server is a running redis-server.
type Server struct {
	// URL is what the mock's --store takes: redis://127.0.0.1:PORT/0.
	URL  string
	addr string
	dir  string
	cmd  *exec.Cmd
	log  *syncbuffer.Buffer
}

// Start runs redis-server, skipping the test (or failing it, in CI) when there is none, and
// with -short, since it starts another process.
func Start(t *testing.T) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("starts redis-server; run without -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("IDFLOWS_REQUIRE_REDIS") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("redis-server is required here: %v", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
	addr := net.JoinHostPort("127.0.0.1", mockproc.FreePort(t))
	s := &Server{URL: "redis://" + addr + "/0", addr: addr, dir: t.TempDir(), log: &syncbuffer.Buffer{}}
	s.start(t)
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *Server) start(t *testing.T) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--dir", s.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--protected-mode", "yes")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("redistest: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: redis-server did not listen on %s: %s", s.addr, s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *Server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt) // redis-server finishes its append-only file
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
}

// Stop stops redis-server; Restart starts it again on the same port, with its data.
func (s *Server) Stop() { s.stop() }

// Restart starts a stopped redis-server again.
func (s *Server) Restart(t *testing.T) { s.start(t) }
