package identity

import (
	_ "embed"
	"strings"
	"unicode/utf8"
)

//go:embed breached.txt
var breachedList string

var breached = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(breachedList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// PolicyViolation says why a password is refused (REQ-REG-004).
type PolicyViolation struct {
	Breached bool   // _010 rather than _011
	Reason   string // details.reason for _011
}

// Password policy bounds (D9).
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// CheckPassword applies the password policy; identifiers are the email and username.
func CheckPassword(password string, identifiers ...string) *PolicyViolation {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLength:
		return &PolicyViolation{Reason: "The password must be at least 8 characters long."}
	case n > MaxPasswordLength:
		return &PolicyViolation{Reason: "The password must be at most 256 characters long."}
	}
	lower := strings.ToLower(password)
	for _, id := range identifiers {
		id = strings.ToLower(strings.TrimSpace(id))
		if id == "" {
			continue
		}
		local, _, _ := strings.Cut(id, "@")
		if lower == id || strings.Contains(lower, id) || (len(local) >= 3 && strings.Contains(lower, local)) {
			return &PolicyViolation{Reason: "The password is too similar to the identifier."}
		}
	}
	if breached[lower] {
		return &PolicyViolation{Breached: true}
	}
	return nil
}
