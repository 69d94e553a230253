package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/avnology/idflows/openapi/contract"
)

// Evidence is shared, so secrets never reach it: credentials, codes, tokens and cookies are
// replaced by this marker, keeping the shape of what was sent.
const redacted = "[REDACTED]"

var secretKeys = map[string]bool{
	"password": true, "csrf_token": true, "totp_code": true, "lookup_secret": true,
	"token": true, "webauthn_login": true, "webauthn_register": true, "totp_secret": true,
	"lookup_secrets": true, "secret": true, "session_token": true,
	// OAuth: tokens, a client's secret, a PKCE verifier, and the challenges and verifiers that
	// carry an authorization on.
	"access_token": true, "id_token": true, "refresh_token": true, "client_secret": true,
	"code_verifier": true, "login_verifier": true, "consent_challenge": true,
}

// secretQuery are the query parameters of a URL that carry a secret (an OAuth code, a
// verifier, a token), redacted wherever a URL is kept: a request's, a Location header.
var secretQuery = map[string]bool{
	"code": true, "login_verifier": true, "consent_challenge": true, "access_token": true,
	"id_token": true, "refresh_token": true, "token": true,
}

// redactURL replaces the values of secretQuery parameters.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return raw
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return raw
	}
	changed := false
	for k, vs := range q {
		if secretQuery[k] {
			for i := range vs {
				vs[i], changed = redacted, true
			}
		}
	}
	if !changed {
		return raw
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// secretNodes are the ids of UI text and image nodes whose content is a secret.
var secretNodes = map[string]bool{"totp_secret_key": true, "totp_qr": true, "lookup_secret_codes": true}

var secretHeaders = map[string]bool{"Authorization": true, "Cookie": true, "Set-Cookie": true}

// redactHeader redacts h for evidence, and every value of a header the target's extra headers
// set (--header: gateway keys and credentials), whatever its name.
func (e *engine) redactHeader(h http.Header) map[string][]string {
	out := redactHeader(h)
	for k := range e.target.Header {
		ck := http.CanonicalHeaderKey(k)
		if vs, ok := out[ck]; ok && !secretHeaders[ck] {
			out[ck] = slices.Repeat([]string{redacted}, len(vs))
		}
	}
	return out
}

func redactHeader(h http.Header) map[string][]string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make(map[string][]string, min(len(h), maxEvidenceHeaders+1))
	if len(names) > maxEvidenceHeaders {
		out["X-Idflows-Truncated"] = []string{fmt.Sprintf("%d more headers not kept", len(names)-maxEvidenceHeaders)}
		names = names[:maxEvidenceHeaders]
	}
	for _, k := range names {
		vs := h[k]
		if len(vs) > 8 {
			vs = vs[:8]
		}
		ck := http.CanonicalHeaderKey(k)
		vs = clipValues(vs)
		if ck == "Location" {
			vs = []string{redactURL(vs[0])}
		}
		if !secretHeaders[ck] {
			out[ck] = append([]string(nil), vs...)
			continue
		}
		for _, v := range vs {
			out[ck] = append(out[ck], redactHeaderValue(ck, v))
		}
	}
	return out
}

// clipValues cuts header values to maxHeaderValue characters, with a marker.
func clipValues(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if len(v) > maxHeaderValue {
			v = strings.ToValidUTF8(v[:maxHeaderValue], "") + truncatedMark
		}
		out[i] = v
	}
	return out
}

// redactHeaderValue keeps the scheme and cookie names and attributes, which are evidence, and
// drops the values, which are secrets.
func redactHeaderValue(key, v string) string {
	switch key {
	case "Authorization":
		scheme, _, _ := strings.Cut(v, " ")
		return scheme + " " + redacted
	case "Cookie":
		parts := strings.Split(v, ";")
		for i, p := range parts {
			name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
			parts[i] = name + "=" + redacted
		}
		return strings.Join(parts, "; ")
	default: // Set-Cookie
		first, attrs, _ := strings.Cut(v, ";")
		name, _, _ := strings.Cut(first, "=")
		if attrs != "" {
			return name + "=" + redacted + ";" + attrs
		}
		return name + "=" + redacted
	}
}

func redactBody(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	var v any
	if form, ok := asForm(body); ok {
		return form
	}
	// Too deep to re-indent in linear time: kept as text, like a body that is not JSON.
	if contract.CheckDepth(body) != nil || json.Unmarshal(body, &v) != nil {
		if len(body) > maxEvidenceBody {
			body = append(body[:maxEvidenceBody:maxEvidenceBody], truncatedMark...)
		}
		return strings.ToValidUTF8(string(body), "�")
	}
	out, err := json.MarshalIndent(redactValue(v), "", "  ")
	if err != nil || len(out) > maxEvidenceBody {
		return strings.ToValidUTF8(string(out[:min(len(out), maxEvidenceBody)]), "") + truncatedMark
	}
	return string(out)
}

func redactValue(v any) any {
	switch node := v.(type) {
	case map[string]any:
		for k, inner := range node {
			if (secretKeys[k] || k == "code" && isOneTimeCode(inner)) && inner != nil {
				node[k] = redacted
				continue
			}
			node[k] = redactValue(inner)
		}
		// A UI input node carries its value in attributes.value; hidden csrf and code fields
		// are secrets there too.
		if name, _ := node["name"].(string); secretKeys[name] && node["value"] != nil {
			node["value"] = redacted
		}
		// Text and image nodes show secrets too: the TOTP secret, its QR code, recovery codes.
		if id, _ := node["id"].(string); secretNodes[id] {
			if text, ok := node["text"].(map[string]any); ok && text["text"] != nil {
				text["text"] = redacted
			}
			if node["src"] != nil {
				node["src"] = redacted
			}
		}
	case []any:
		for i := range node {
			node[i] = redactValue(node[i])
		}
	}
	return v
}

// asForm redacts a form-encoded body (a browser's post, a token request): the values of its
// secret fields and of a one-time or authorization code. ok is false for what is no form.
func asForm(body []byte) (string, bool) {
	text := string(body)
	if len(body) > maxEvidenceBody || !strings.Contains(text, "=") || strings.ContainsAny(text, " \n\t{}[]\"") {
		return "", false
	}
	form, err := url.ParseQuery(text)
	if err != nil {
		return "", false
	}
	for k, vs := range form {
		for i, v := range vs {
			if secretKeys[k] || k == "code" || isOneTimeCode(v) {
				vs[i] = redacted
			}
		}
	}
	return form.Encode(), true
}

// isOneTimeCode tells a one-time code ("code": "123456") from an error code, which is evidence.
func isOneTimeCode(v any) bool {
	s, ok := v.(string)
	return ok && (sixDigits.MatchString(s) && len(s) == 6 || strings.HasPrefix(s, "auth_code_"))
}

// carriesSecret reports whether a decoded body holds a secret — what redactValue hides: a
// token, a CSRF token, a one-time code, a secret node — or a continue_flow (whose nodes do).
func carriesSecret(v any) bool {
	switch node := v.(type) {
	case map[string]any:
		for k, inner := range node {
			if (secretKeys[k] || k == "code" && isOneTimeCode(inner) || k == "continue_flow") && inner != nil {
				return true
			}
			if carriesSecret(inner) {
				return true
			}
		}
		name, _ := node["name"].(string)
		id, _ := node["id"].(string)
		return secretKeys[name] && node["value"] != nil || secretNodes[id]
	case []any:
		for _, inner := range node {
			if carriesSecret(inner) {
				return true
			}
		}
	}
	return false
}
