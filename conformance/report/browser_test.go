package report

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The HTML report is read in a browser, so its filters are tested in one: headless Chromium
// loads the page with a filter in the URL fragment and the DOM it dumps is checked. Without
// Chromium the test skips, unless IDFLOWS_REQUIRE_BROWSER is set (CI sets it).
func TestHTMLFiltersInABrowser(t *testing.T) {
	browser := findChromium()
	if browser == "" {
		if os.Getenv("IDFLOWS_REQUIRE_BROWSER") != "" {
			t.Fatal("IDFLOWS_REQUIRE_BROWSER is set but no chromium is installed")
		}
		t.Skip("no chromium installed")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, sample()))
	require.NoError(t, os.WriteFile(page, buf.Bytes(), 0o600))

	for fragment, visible := range map[string][]string{
		"":                              {"login.a", "login.b", "login.c", "login.d", "security.e", "security.f", "security.g"},
		"#status=FAILED":                {"login.b"},
		"#status=FAILED,WARNING,REVIEW": {"login.b", "security.e", "security.g"},
		"#profile=security":             {"security.e", "security.f", "security.g"},
		"#q=stale":                      {"login.d"},
	} {
		t.Run("fragment="+fragment, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
				"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page+fragment)
			out, err := cmd.Output()
			require.NoError(t, err)
			var shown []string
			for _, m := range rowPattern.FindAllStringSubmatch(string(out), -1) {
				if !regexp.MustCompile(`display:\s*none`).MatchString(m[1]) {
					shown = append(shown, m[2])
				}
			}
			assert.Equal(t, visible, shown)
			assert.Contains(t, string(out), fmt.Sprintf("%d of 7 cases shown", len(visible)))
		})
	}
}

var rowPattern = regexp.MustCompile(`<tr data-status="[^"]*" data-profile="[^"]*"(?: style="([^"]*)")?>\s*<td[^>]*>[^<]*</td>\s*<td><details[^>]*><summary><code>([^<]+)</code>`)

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}
