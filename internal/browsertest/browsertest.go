// Package browsertest finds the Chromium that browser tests drive. Without one they skip —
// unless IDFLOWS_REQUIRE_BROWSER is set (CI sets it), so a CI run can never skip them silently.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
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

// Browser starts headless Chromium for t, with a profile of its own, and returns the context of
// its first tab; it skips (or fails) as Chromium does. Both end with t.
func Browser(t testing.TB) context.Context {
	t.Helper()
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)), chromedp.NoSandbox, chromedp.Headless, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-sync", true))...)
	t.Cleanup(cancel)
	ctx, closeTab := chromedp.NewContext(alloc)
	t.Cleanup(closeTab)
	return ctx
}
