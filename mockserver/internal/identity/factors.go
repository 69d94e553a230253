package identity

import (
	"crypto/subtle"
	"slices"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTPOptions are RFC 6238 with SHA-1, 30 s, 6 digits (D9).
var TOTPOptions = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPCode is the code for secret at t.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, TOTPOptions)
}

// MatchTOTP checks code against the steps t-30s, t and t+30s, refusing any step at or before
// lastStep so that a code cannot be replayed; it returns the matched step.
func MatchTOTP(secret, code string, t time.Time, lastStep int64) (step int64, ok bool) {
	now := t.Unix() / 30
	for _, s := range []int64{now - 1, now, now + 1} {
		if s <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*30, 0), TOTPOptions)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// UseLookupSecret removes code from secrets if present (single use).
func UseLookupSecret(secrets []string, code string) ([]string, bool) {
	i := slices.Index(secrets, code)
	if i < 0 {
		return secrets, false
	}
	return slices.Delete(slices.Clone(secrets), i, i+1), true
}
