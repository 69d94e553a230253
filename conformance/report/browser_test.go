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

	"github.com/avnology/idflows/internal/browsertest"
)

// The HTML report is read in a browser, so its filters are tested in one: headless Chromium
// loads the page with a filter in the URL fragment and the DOM it dumps is checked. Without
// Chromium the test skips, unless IDFLOWS_REQUIRE_BROWSER is set (CI sets it).
func TestHTMLFiltersInABrowser(t *testing.T) {
	browser := browsertest.Chromium(t)
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
			args := append(append([]string{}, browsertest.Flags...), "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page+fragment)
			cmd := exec.CommandContext(t.Context(), browser, args...)
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
