// Package browsertest finds the Chromium that browser tests drive. Without one they skip —
// unless IDFLOWS_REQUIRE_BROWSER is set (CI sets it), so a CI run can never skip them silently.
package browsertest

import (
	"os"
	"os/exec"
	"testing"
)

// Flags are the command-line flags headless Chromium needs on a CI machine.
var Flags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync"}

// Chromium returns the path of the Chromium binary, or skips (or fails) t without one.
func Chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("IDFLOWS_REQUIRE_BROWSER") != "" {
		t.Fatal("IDFLOWS_REQUIRE_BROWSER is set but no chromium is installed")
	}
	t.Skip("no chromium installed")
	return ""
}
