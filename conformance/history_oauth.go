package conformance

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
)

// What history follows of "Sign in with Avnology": an authorization's PKCE challenge, by its
// state, to the code the app gets back with that state, to the token request that redeems it
// — so a code redeemed with the wrong verifier (REQ-OAUTH-002) or twice (REQ-OAUTH-006) is
// seen. Codes are kept as hashes.
func (h *history) judgeOAuth(x *exchange) []string {
	var out []string
	switch x.op {
	case "authorizeOAuth2":
		q := x.req.URL.Query()
		if q.Get("code_challenge") == "" && q.Get("login_verifier") == "" && x.status == http.StatusSeeOther && !returnsError(x.header.Get("Location")) {
			out = append(out, "an authorization without code_challenge was carried on, want it sent back with error=invalid_request (REQ-OAUTH-002)")
		}
		if st, ch := q.Get("state"), q.Get("code_challenge"); st != "" && ch != "" {
			h.challenges.put(st, ch)
		}
		h.codeBack(x.header.Get("Location"))
	case "decideOAuth2Consent":
		h.codeBack(x.header.Get("Location"))
		if x.doc.Redirect != nil {
			h.codeBack(x.doc.Redirect.URL)
		}
	case "exchangeOAuth2Token":
		code := x.sent.fields["code"]
		if x.sent.fields["grant_type"] != "authorization_code" || code == "" || !x.ok() {
			return nil
		}
		key := hashOf(code)
		if challenge, known := h.codes.get(key); known {
			if !s256(x.sent.fields["code_verifier"], challenge) {
				out = append(out, "a code was exchanged with a code_verifier that is not its challenge's, want invalid_grant (REQ-OAUTH-002)")
			}
			if challenge == redeemed {
				out = append(out, "a code was exchanged a second time, want invalid_grant (REQ-OAUTH-006)")
			}
		}
		h.codes.put(key, redeemed)
	}
	return out
}

// redeemed marks a code already exchanged.
const redeemed = "\x00redeemed"

// codeBack reads a redirect back to an app: the code it carries belongs to the challenge of
// the authorization with its state.
func (h *history) codeBack(to string) {
	u, err := url.Parse(to)
	if err != nil || to == "" {
		return
	}
	q := u.Query()
	if challenge, ok := h.challenges.get(q.Get("state")); ok && q.Get("code") != "" {
		h.codes.put(hashOf(q.Get("code")), challenge)
	}
}

func returnsError(location string) bool {
	u, err := url.Parse(location)
	return err == nil && u.Query().Get("error") != ""
}

func s256(verifier, challenge string) bool {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}
