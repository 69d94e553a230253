package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes text that came from a target safe to print on a terminal or in a log: control
// characters — escape sequences start with one — and the bidirectional overrides that reorder
// what a reader sees become '�', and invalid UTF-8 does too. Newlines and tabs stay.
func Sanitize(s string) string {
	clean := utf8.ValidString(s)
	for _, r := range s {
		if unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unsafeRune(r) {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
