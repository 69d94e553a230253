package conformance

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRedactBody(t *testing.T) {
	in := `{"method":"password","body":{"identifier":"jane@acme.com","password":"hunter2-secret","csrf_token":"tok-123"},
		"session":{"token":"avnl_ses_abc"},"error":{"code":"AVNOLOGY_AUTH_001"},"code":"123456","totp_code":"654321",
		"ui":{"nodes":[{"attributes":{"name":"csrf_token","value":"tok-123"}},{"attributes":{"name":"identifier","value":"jane@acme.com"}},
		{"attributes":{"id":"totp_secret_key","node_type":"text","text":{"id":"1050017","text":"JBSWY3DPEHPK3PXPSECRET"}}},
		{"attributes":{"id":"totp_qr","node_type":"img","src":"data:image/png;base64,QRQRQRSECRET"}},
		{"attributes":{"id":"lookup_secret_codes","node_type":"text","text":{"text":"k7d2m9xq, p3n8r5tw"}}}]}}`
	out := redactBody([]byte(in))
	for _, secret := range []string{"hunter2-secret", "tok-123", "avnl_ses_abc", "123456", "654321", "JBSWY3DPEHPK3PXPSECRET", "QRQRQRSECRET", "k7d2m9xq"} {
		assert.NotContains(t, out, secret)
	}
	for _, evidence := range []string{"jane@acme.com", "AVNOLOGY_AUTH_001", "identifier", "password", "csrf_token"} {
		assert.Contains(t, out, evidence, "the shape and non-secrets stay")
	}
	assert.Equal(t, "not json", redactBody([]byte("not json")))
}

func TestRedactHeader(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer avnl_ses_abc")
	h.Add("Cookie", "avnl_csrf=tok; avnl_session=avnl_ses_abc")
	h.Add("Set-Cookie", "avnl_session=avnl_ses_abc; Path=/; HttpOnly; SameSite=Lax")
	h.Set("X-Request-Id", "req_1")
	out := redactHeader(h)
	assert.Equal(t, []string{"Bearer [REDACTED]"}, out["Authorization"])
	assert.Equal(t, []string{"avnl_csrf=[REDACTED]; avnl_session=[REDACTED]"}, out["Cookie"])
	assert.Equal(t, []string{"avnl_session=[REDACTED]; Path=/; HttpOnly; SameSite=Lax"}, out["Set-Cookie"])
	assert.Equal(t, []string{"req_1"}, out["X-Request-Id"])
}

// OAuth's secrets travel in forms, URLs and Location headers as well as JSON.
func TestRedactOAuthSecrets(t *testing.T) {
	form := redactBody([]byte("grant_type=authorization_code&code=auth_code_abc&code_verifier=v3r1f13r&client_id=cli_x&client_secret=sk_live_1"))
	for _, secret := range []string{"auth_code_abc", "v3r1f13r", "sk_live_1"} {
		assert.NotContains(t, form, secret)
	}
	assert.Contains(t, form, "client_id=cli_x", "what is no secret stays evidence")
	assert.NotContains(t, redactBody([]byte("method=password&identifier=a%40b.test&password=hunter2")), "hunter2", "a browser's form")
	tokens := redactBody([]byte(`{"access_token":"eyJ.a.b","refresh_token":"rt_x","id_token":"eyJ.c.d","token_type":"Bearer"}`))
	assert.NotContains(t, tokens, "rt_x")
	assert.NotContains(t, tokens, "eyJ")
	assert.Contains(t, tokens, "Bearer")
	back := redactURL("https://app.example/cb?code=auth_code_abc&state=s1&iss=https%3A%2F%2Fid.example")
	assert.NotContains(t, back, "auth_code_abc")
	assert.Contains(t, back, "state=s1")
	h := redactHeader(http.Header{"Location": {"/oauth2/auth?login_verifier=lv_secret"}})
	assert.NotContains(t, h["Location"][0], "lv_secret")
}
