package conformance

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

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
	assert.Empty(t, h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with("c1"), 200, []byte(`{"continue_flow":`+fmt.Sprintf(f, "sent_email")+`}`)))
	assert.Equal(t, []string{"a recovery submit with another flow's csrf_token was accepted (200), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)"},
		h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with("c2"), 200, []byte(`{}`)))
	assert.Equal(t, []string{"a recovery submit without csrf_token was accepted (303), want 403 AVNOLOGY_AUTH_015 (REQ-CSRF-002)"},
		h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), []byte("method=code&email=a%40b.test"), 303, nil))
	assert.Empty(t, h.judge("submitRecoveryFlow", req("POST", "/v1/flows/recovery/f1:submit", ""), with(""), 403, []byte(`{}`)), "refused as it must be")
	assert.Empty(t, h.judgeNoBody("getRecoveryFlow", req("GET", "/v1/flows/recovery/f1", ""), 200, []byte(fmt.Sprintf(f, "sent_email"))), "staying put")
	got := h.judgeNoBody("getRecoveryFlow", req("GET", "/v1/flows/recovery/f1", ""), 200, []byte(fmt.Sprintf(f, "show_form")))
	assert.Equal(t, []string{"the recovery flow f1 moved from sent_email to show_form, which its state machine does not allow (REQ-FLOW-007)"}, got)

	assert.Empty(t, h.judge("submitLoginFlow", req("POST", "/v1/flows/login/l1:submit", ""), with("x"), 200, []byte(`{"session":{"id":"s1"}}`)))
	assert.Empty(t, h.judge("submitLoginFlow", req("POST", "/v1/flows/login/l1:submit", ""), with("x"), 400, []byte(`{"error":{"code":"AVNOLOGY_AUTH_009"}}`)), "refused as it must be")
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
	return h.judge(op, r, nil, status, body)
}
