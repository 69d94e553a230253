package conformance

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The rules only a flow's or a session's history shows, judged exchange by exchange.
func TestHistoryJudgesWhatCameBefore(t *testing.T) {
	req := func(method, path, token string) *http.Request {
		r := httptest.NewRequest(method, path, nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return r
	}
	var h history
	f := `{"id":"f1","type":"recovery","state":"%s","ui":{"nodes":[{"attributes":{"name":"csrf_token","value":"c1"}}]}}`
	with := func(token string) []byte { return []byte(`{"method":"code","body":{"csrf_token":"` + token + `"}}`) }
	assert.Empty(t, h.judgeNoBody("createRecoveryFlow", req("GET", "/v1/flows/recovery", ""), 200, []byte(fmt.Sprintf(f, "show_form"))))
	assert.Empty(t, h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with("c1"), 200, nil, []byte(`{"continue_flow":`+fmt.Sprintf(f, "sent_email")+`}`)))
	assert.Equal(t, []string{"a recovery submit with another flow's csrf_token was accepted (200), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)"},
		h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with("c2"), 200, nil, []byte(`{}`)))
	assert.Equal(t, []string{"a recovery submit without csrf_token was accepted (303), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)"},
		h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), []byte("method=code&email=a%40b.test"), 303, nil, nil))
	assert.Empty(t, h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with(""), 403, nil, []byte(`{}`)), "refused as it must be")
	assert.Empty(t, h.judgeNoBody("getRecoveryFlow", req("GET", "/v1/flows/recovery/f1", ""), 200, []byte(fmt.Sprintf(f, "sent_email"))), "staying put")
	got := h.judgeNoBody("getRecoveryFlow", req("GET", "/v1/flows/recovery/f1", ""), 200, []byte(fmt.Sprintf(f, "show_form")))
	assert.Equal(t, []string{"the recovery flow f1 moved from sent_email to show_form, which its state machine does not allow (REQ-FLOW-007)"}, got)

	assert.Empty(t, h.judge("submitLoginFlow", req("POST", "/v1/flows/login/l1:submit", ""), with("x"), 200, nil, []byte(`{"session":{"id":"s1"}}`)))
	assert.Empty(t, h.judge("submitLoginFlow", req("POST", "/v1/flows/login/l1:submit", ""), with("x"), 400, nil, []byte(`{"error":{"code":"AVNOLOGY_AUTH_009"}}`)), "refused as it must be")
	assert.Equal(t, []string{"the login flow l1 answered 200 after it produced a session (REQ-FLOW-004)"},
		h.judgeNoBody("getLoginFlow", req("GET", "/v1/flows/login/l1", ""), 200, []byte(`{}`)))

	assert.Empty(t, h.judgeNoBody("getSession", req("GET", "/v1/sessions/whoami", "tok"), 200, []byte(`{}`)))
	assert.Empty(t, h.judgeNoBody("logout", req("DELETE", "/v1/sessions", "tok"), 204, nil))
	assert.Empty(t, h.judgeNoBody("getSession", req("GET", "/v1/sessions/whoami", "tok"), 401, []byte(`{}`)))
	assert.Equal(t, []string{"getSession accepted a session logged out before (REQ-SES-002)"},
		h.judgeNoBody("getSession", req("GET", "/v1/sessions/whoami", "tok"), 200, []byte(`{}`)))
	assert.Empty(t, h.judgeNoBody("getSession", req("GET", "/v1/sessions/whoami", "other"), 200, []byte(`{}`)))
}

func (h *history) judgeNoBody(op string, r *http.Request, status int, body []byte) []string {
	return h.judge(op, r, nil, status, nil, body)
}

// What history must not report: what a healthy deployment does at the edges of each rule.
func TestHistoryKeepsToWhatItSaw(t *testing.T) {
	at := func(s string) http.Header {
		tm, _ := time.Parse(time.RFC3339, s)
		return http.Header{"Date": {tm.UTC().Format(http.TimeFormat)}}
	}
	bearer := func(method, path, token string) *http.Request {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		return r
	}
	submit := func(method, fields string) []byte {
		return []byte(`{"method":"` + method + `","body":{"csrf_token":"c"` + fields + `}}`)
	}
	login := `{"id":"l1","type":"login","state":"choose_method","expires_at":"2030-01-01T00:30:00Z","ui":{"nodes":[{"attributes":{"name":"csrf_token","value":"c"}}]}}`

	t.Run("expiry is judged by the server's Date", func(t *testing.T) {
		var h history
		h.judge("createLoginFlow", httptest.NewRequest("GET", "/v1/flows/login", nil), nil, 200, at("2030-01-01T00:00:00Z"), []byte(login))
		assert.Empty(t, h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/l1:submit", nil), submit("password", ""), 200, at("2030-01-01T00:30:01Z"), []byte(`{}`)), "within the Date's second")
		got := h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/l1:submit", nil), submit("password", ""), 200, at("2030-01-01T00:31:00Z"), []byte(`{}`))
		assert.Len(t, got, 1)
		assert.Contains(t, got[0], "REQ-FLOW-003")
	})
	t.Run("lookup codes are replaced only where they exist", func(t *testing.T) {
		var h history
		h.judge("submitRegistrationFlow", httptest.NewRequest("POST", "/v1/flows/registration/r1:submit", nil), submit("password", ""), 200, nil,
			[]byte(`{"session_token":"tok","session":{"id":"s1","identity_id":"u1","authenticator_assurance_level":"aal1","authenticated_at":"2030-01-01T00:00:00Z"}}`))
		regenerate := submit("lookup_secret", `,"lookup_secret_regenerate":true`)
		assert.Empty(t, h.judge("submitSettingsFlow", bearer("POST", "/v1/flows/settings/s1:submit", "tok"), regenerate, 200, at("2030-01-01T00:01:00Z"), []byte(`{}`)), "the first codes")
		assert.Empty(t, h.judge("submitSettingsFlow", bearer("POST", "/v1/flows/settings/s1:submit", "tok"), submit("lookup_secret", `,"lookup_secret_confirm":true`), 200, at("2030-01-01T00:01:00Z"), []byte(`{}`)))
		got := h.judge("submitSettingsFlow", bearer("POST", "/v1/flows/settings/s1:submit", "tok"), regenerate, 200, at("2030-01-01T00:02:00Z"), []byte(`{}`))
		assert.Len(t, got, 1, "replacing codes at aal1")
		assert.Empty(t, h.judge("createSettingsFlow", bearer("GET", "/v1/flows/settings", "other"), nil, 200, nil, []byte(`{}`)), "a session it never saw")
	})
	t.Run("the count of wrong codes starts again after an aal2 sign-in or a lock", func(t *testing.T) {
		var h history
		wrong := func(flow string, left int, status int) []string {
			body := fmt.Sprintf(`{"error":{"code":"AVNOLOGY_AUTH_008","details":{"attempts_remaining":%d}}}`, left)
			if status == 423 {
				body = `{"error":{"code":"AVNOLOGY_AUTH_002"}}`
			}
			return h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/"+flow+":submit", nil), submit("totp", `,"totp_code":"000000"`), status, nil, []byte(body))
		}
		second := func(flow string) {
			h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/"+flow+":submit", nil), submit("password", `,"identifier":"Ann@Example.test"`), 200, nil,
				[]byte(`{"continue_flow":{"id":"`+flow+`","type":"login","state":"choose_method","requested_aal":"aal2"}}`))
		}
		second("a")
		assert.Empty(t, wrong("a", 4, 400))
		assert.Empty(t, wrong("a", 3, 400))
		second("b")
		assert.Len(t, wrong("b", 4, 400), 1, "reset by the password")
		assert.Empty(t, wrong("b", 0, 423))
		second("c")
		assert.Empty(t, wrong("c", 4, 400), "after the lock")
	})
	t.Run("a TOTP code is the same code for its window only", func(t *testing.T) {
		var h history
		ok := func(flow, when string) []string {
			return h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/"+flow+":submit", nil), submit("totp", `,"totp_code":"123456"`), 200, at(when),
				[]byte(`{"session":{"id":"s","identity_id":"u1","authenticator_assurance_level":"aal2"}}`))
		}
		assert.Empty(t, ok("a", "2030-01-01T00:00:00Z"))
		assert.Len(t, ok("b", "2030-01-01T00:00:30Z"), 1)
		assert.Empty(t, ok("c", "2030-01-01T01:00:00Z"), "an hour later, the same digits are another code")
	})
	t.Run("CORS is judged only when told the allowed origins", func(t *testing.T) {
		h := history{allowsOrigin: func(o string) bool { return o == "https://app.example" }}
		cors := func(origin string) []string {
			r := httptest.NewRequest("OPTIONS", "/v1/flows/login", nil)
			r.Header.Set("Origin", origin)
			return h.judge("", r, nil, 204, http.Header{"Access-Control-Allow-Origin": {origin}, "Access-Control-Allow-Credentials": {"true"}}, nil)
		}
		assert.Empty(t, cors("https://app.example"))
		assert.Len(t, cors("https://evil.example"), 1)
		var blind history
		r := httptest.NewRequest("GET", "/v1/flows/login", nil)
		r.Header.Set("Origin", "https://evil.example")
		assert.Empty(t, blind.judge("createLoginFlow", r, nil, 200, http.Header{"Access-Control-Allow-Origin": {"https://evil.example"}}, []byte(`{}`)))
	})
	t.Run("a forced answer shows no behaviour", func(t *testing.T) {
		var h history
		refuse := func(message string, forced bool) []string {
			header := http.Header{}
			if forced {
				header.Set("X-Mock-Forced", "AVNOLOGY_AUTH_001")
			}
			return h.judge("submitLoginFlow", httptest.NewRequest("POST", "/v1/flows/login/l1:submit", nil), submit("password", ""), 401, header,
				[]byte(`{"error":{"code":"AVNOLOGY_AUTH_001","message":"`+message+`"}}`))
		}
		assert.Empty(t, refuse("The provided credentials are invalid.", false))
		assert.Empty(t, refuse("Forced.", true))
		assert.Len(t, refuse("No such account.", false), 1)
	})
}
