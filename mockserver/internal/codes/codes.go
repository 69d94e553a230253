// Package codes is the one-time code of recovery and verification (D9): 6 digits, valid 15
// minutes, single use, 5 wrong attempts make the flow unusable, at most 5 sends per address in
// 15 minutes. Known and unknown addresses get the same answer; only known ones get a message.
package codes

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"time"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/limit"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
)

// The rules of D9.
const (
	Lifetime    = 15 * time.Minute
	MaxAttempts = 5
	MaxSends    = 5
	SendWindow  = 15 * time.Minute
)

// Message is what a sent code says.
type Message struct {
	Template string // recovery_code, verification_code
	Subject  string
	Text     string // with %s for the code
}

// Send gives the flow a new code and, when deliver is set, emails it to address — subject to
// the send limit, which counts every address alike (REQ-REC-005). identityID is the identity
// the code proves control of ("" for a sign-up or an unknown address). A flow whose address
// must not learn anything (an unknown account) gets no code, so no code can ever match
// (REQ-REC-002).
func Send(tx *store.Tx, w *tenant.World, f *flow.Flow, address, identityID string, m Message, deliver bool) (http.Header, error) {
	headers, over := limit.Hit(tx, "codes:"+m.Template+":"+identity.NormalizeEmail(address), MaxSends, SendWindow,
		"Too many codes were sent to this address. Try again later.")
	if over != nil {
		return nil, over
	}
	f.Code, f.CodeSentAt, f.CodeAddress, f.CodeFailures, f.CodeIdentityID = "", tx.Now, address, 0, identityID
	if deliver {
		f.Code = ids.Digits(w.IDs, 6)
		// Sent at once, like mail leaving a real provider: should the transaction then fail, the
		// code matches nothing.
		if _, err := w.Outbox.Send(tx.Context(), outbox.Message{Channel: "email", To: address, Template: m.Template, Subject: m.Subject,
			Body: fmt.Sprintf(m.Text, f.Code), Code: f.Code, FlowID: f.ID, SentAt: tx.Now}); err != nil {
			return nil, err
		}
	}
	return headers, nil
}

// Recipient is where a code for what the client typed goes (REQ-SEC-002): the address stored
// on the identity it names, never the string the client typed — which may be another address
// that merely looks the same. An unknown address is returned as typed (it receives nothing).
func Recipient(w *tenant.World, typed string, ident identity.Identity, known bool) string {
	if !known || !w.Rules.ASCIIAddresses {
		return typed
	}
	return ident.Traits.Email
}

// Outcome is what a submitted code turned out to be.
type Outcome int

// The outcomes of Check.
const (
	Valid     Outcome = iota
	Wrong             // counted; Check also returns the attempts left (0 after the last)
	Expired           // older than Lifetime
	Exhausted         // MaxAttempts wrong codes were already sent: the flow is unusable
)

// Check judges value against the flow's code, counting a wrong one.
func Check(f *flow.Flow, value string, now time.Time) (Outcome, int) {
	switch {
	case f.CodeFailures >= MaxAttempts:
		return Exhausted, 0
	case f.Code != "" && now.Sub(f.CodeSentAt) > Lifetime:
		return Expired, 0
	case f.Code != "" && subtle.ConstantTimeCompare([]byte(f.Code), []byte(value)) == 1:
		return Valid, 0
	}
	f.CodeFailures++
	return Wrong, MaxAttempts - f.CodeFailures
}

// Errors name what a flow answers for codes that do not pass.
type Errors struct {
	Wrong   api.ErrorCode // _018 recovery, _007 verification, _008 login and sign-up
	Expired api.ErrorCode // _019 recovery, _020 the others
	Invalid flow.Message  // the code field's message after a wrong code
}

// Verify checks value and returns nil for the right code, or the error to answer: a wrong code
// with attempts_remaining, an expired one, or 400 _009 once the attempts are used up (the flow
// is then consumed).
func Verify(f *flow.Flow, value string, now time.Time, e Errors) *apierr.Error {
	outcome, remaining := Check(f, value, now)
	switch outcome {
	case Exhausted:
		f.Consumed = true
		return apierr.New(apierr.FlowExpired, "Too many wrong codes: start again with a new flow.")
	case Expired:
		f.AddFieldMessage("code", ui.ErrCodeExpired)
		return apierr.New(e.Expired, "The code has expired; ask for a new one.")
	case Wrong:
		f.AddFieldMessage("code", e.Invalid)
		err := apierr.New(e.Wrong, "The code is invalid or has already been used.")
		err.Details.AttemptsRemaining = &remaining
		return err
	}
	f.Code = "" // single use
	return nil
}
