package conformance

import (
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// newTOTPSecret is a fresh base32 secret to seed.
func newTOTPSecret() string {
	key, _ := totp.Generate(totp.GenerateOpts{Issuer: "idflows-conformance", AccountName: "case"})
	return key.Secret()
}

// totpCode computes the code for the target's time. The target's clock may differ from the
// suite's (a test clock), so "now" is read from a timestamp the target wrote moments ago — the
// issued_at of a flow created just before — plus the time since that answer.
func (t *T) totpCode(secret string, r *Response, issuedAtPath string) string {
	return t.totpCodeAt(secret, r, issuedAtPath, 0)
}

// totpCodeAt is the code offset from the target's time: +30s is the next time step.
func (t *T) totpCodeAt(secret string, r *Response, issuedAtPath string, offset time.Duration) string {
	issued, err := time.Parse(time.RFC3339, r.Str(issuedAtPath))
	if err != nil {
		t.fatalAt(r.Seq, "%s is not RFC 3339; cannot tell the target's time for TOTP", issuedAtPath)
	}
	now := issued.Add(time.Since(r.receivedAt) + offset)
	// A code is good once: past the time step this case already used for the secret, take the
	// next one (verifiers accept one step of skew).
	step := now.Unix() / 30
	t.mu.Lock()
	if t.totpSteps == nil {
		t.totpSteps = map[string]int64{}
	}
	if last, ok := t.totpSteps[secret]; ok && step <= last && offset == 0 {
		step = last + 1
	}
	t.totpSteps[secret] = max(step, t.totpSteps[secret])
	t.mu.Unlock()
	code, err := totp.GenerateCodeCustom(strings.ToUpper(secret), time.Unix(step*30, 0), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.suiteError("computing a TOTP code: %v", err)
	}
	return code
}
