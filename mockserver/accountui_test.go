package mockserver_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/mockservertest"
)

// The account pages under hostile or stale input: a clear page with the API's own words and a
// 4xx, or a fresh start — never a 5xx, and never a page that trusts what it was given.
func TestAccountPagesRefuseBadInput(t *testing.T) {
	srv := mockservertest.NewServer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, cookies ...string) (int, http.Header, string) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		for _, c := range cookies {
			req.Header.Add("Cookie", c)
		}
		res, err := noRedirect.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(body)
	}
	for _, tc := range []struct {
		name, path string
		cookies    []string
		status     int
		says       string
	}{
		{"a return_to off the allow-list", "/ui/login?return_to=" + url.QueryEscape("https://evil.example.net/"), nil, 400, "AVNOLOGY_AUTH_016"},
		{"a query the flow refuses", "/ui/login?aal=aal9", nil, 400, "AVNOLOGY_AUTH_902"},
		{"an unknown flow starts afresh", "/ui/login?flow=" + strings.Repeat("x", 4000), nil, http.StatusSeeOther, ""},
		{"a tenant cookie no tenant can have", "/ui/login", []string{"idflows_tenant=" + strings.Repeat("x", 80)}, 400, "cookie.idflows_tenant"},
		{"no such page", "/ui/../_mock/identities", nil, 404, "There is no such page."},
		{"an asset path that climbs out", "/ui/assets/..%2f..%2fgo.mod", nil, 400, ""},
		{"no such asset", "/ui/assets/nope.css", nil, 404, ""},
		{"a template is no asset", "/ui/assets/pages.html", nil, 404, ""},
		{"settings without a session go to sign in", "/ui/settings", nil, http.StatusSeeOther, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body := get(tc.path, tc.cookies...)
			assert.Less(t, status, 500, body)
			assert.NotContains(t, body, "module github.com/avnology/idflows", "nothing outside the assets is served")
			assert.NotContains(t, body, "{{define", "templates are not served")
			if tc.status != 0 {
				assert.Equal(t, tc.status, status, body)
			}
			if tc.says != "" {
				assert.Contains(t, body, tc.says)
			}
			if tc.says != "" && tc.cookies == nil { // a bad tenant is refused before any page, in the envelope
				assert.Equal(t, "text/html; charset=utf-8", header.Get("Content-Type"))
				assert.Contains(t, header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			}
			if tc.name == "settings without a session go to sign in" {
				assert.True(t, strings.HasPrefix(header.Get("Location"), "/ui/login?return_to="), header.Get("Location"))
			}
		})
	}
}
