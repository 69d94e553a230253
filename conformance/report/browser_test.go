package report

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
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

// What a person sees first, checked as pixels: headless Chromium renders the report of a real
// failing run to a PNG; the verdict badge shows in the FAIL colour and the coverage chips in
// theirs. The screenshot is kept (IDFLOWS_SCREENSHOT_DIR) for a person to look at.
func TestHTMLScreenshot(t *testing.T) {
	browser := browsertest.Chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	r := sample()
	r.Coverage.Operations = Ratio{Covered: 1, Declared: 2, Seen: []string{"submitLoginFlow"}, Missing: []string{"getSession"}}
	r.Coverage.ErrorPairs = Ratio{Covered: 1, Declared: 2, Seen: []string{"submitLoginFlow 400 AVNOLOGY_AUTH_902"}, Missing: []string{"getSession 401 AVNOLOGY_AUTH_005"}}
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, r))
	require.NoError(t, os.WriteFile(page, buf.Bytes(), 0o600))
	shot := filepath.Join(dir, "report.png")
	if keep := os.Getenv("IDFLOWS_SCREENSHOT_DIR"); keep != "" {
		shot = filepath.Join(keep, "report.png")
	}
	args := append(append([]string{}, browsertest.Flags...), "--user-data-dir="+filepath.Join(dir, "profile"),
		"--hide-scrollbars", "--window-size=1280,1600", "--screenshot="+shot, "file://"+page)
	out, err := exec.CommandContext(t.Context(), browser, args...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := os.Open(shot)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, 1280, 1600), img.Bounds())
	count := func(want color.RGBA) int {
		n := 0
		for y := 0; y < img.Bounds().Dy(); y++ {
			for x := 0; x < img.Bounds().Dx(); x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if near(r, want.R) && near(g, want.G) && near(b, want.B) {
					n++
				}
			}
		}
		return n
	}
	assert.Greater(t, count(color.RGBA{R: 0xcf, G: 0x22, B: 0x2e}), 400, "the FAIL badge and the problem's rule are drawn in the fail colour")
	assert.Greater(t, count(color.RGBA{R: 0xda, G: 0xfb, B: 0xe1}), 100, "a seen (status, code) pair is a green chip")
}

func near(v uint32, want uint8) bool {
	d := int(v>>8) - int(want)
	return d > -8 && d < 8
}
