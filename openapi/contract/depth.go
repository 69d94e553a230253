package contract

import (
	"errors"
	"fmt"
)

// MaxDepth is how deeply JSON may nest in a request or a response (REQ-ERR-009). Nothing in
// the contract nests deeper than a dozen levels; the bound keeps the cost of checking a body
// linear in its size, whoever sent it.
const MaxDepth = 64

// ErrTooDeep is returned for a body whose JSON nests deeper than MaxDepth.
var ErrTooDeep = errors.New("the JSON nests deeper than 64 levels")

// CheckDepth reports ErrTooDeep when body's arrays and objects nest deeper than MaxDepth. It
// reads each byte once and allocates nothing; whether the body is valid JSON is the decoder's
// business, not this check's.
func CheckDepth(body []byte) error {
	depth, inString, escaped := 0, false, false
	for i, b := range body {
		switch {
		case escaped:
			escaped = false
		case inString:
			switch b {
			case '\\':
				escaped = true
			case '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			if depth++; depth > MaxDepth {
				return fmt.Errorf("%w (at byte %d)", ErrTooDeep, i)
			}
		case b == ']' || b == '}':
			depth--
		}
	}
	return nil
}
