package codes

import (
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/kernel"
)

// Steps is the code method of every flow type that offers it — login, registration, recovery,
// verification: step 1 sends a code to an address and moves the flow to sent_email (again, for
// a resend); step 2 checks the code. What a correct code does is the flow type's own.
type Steps struct {
	Message Message      // what the email says
	Sent    flow.Message // the flow's message after a send
	Errors
	// Asks is the body field step 1 takes (identifier, email, traits): a code sent before it
	// is a 400 that names it.
	Asks string
}

// Send is step 1: a new code for the flow, emailed to address when deliver is set (see Send).
func (s Steps) Send(st *kernel.Step, address, identityID string, deliver bool) (kernel.Outcome, error) {
	headers, err := Send(st.Tx, st.World, st.Flow, address, identityID, s.Message, deliver)
	if err != nil {
		return kernel.Outcome{}, err
	}
	st.Flow.Active, st.Flow.Messages = "code", []flow.Message{s.Sent}
	return kernel.Outcome{To: flow.SentEmail, RateLimit: headers}, nil
}

// Check is step 2: nil for the flow's code (used up by it), or the error to answer.
func (s Steps) Check(st *kernel.Step, code string) error {
	if st.Flow.State() != flow.SentEmail {
		return apierr.Invalid("Ask for a code first.", apierr.Field("body."+s.Asks, "required before a code"))
	}
	if e := Verify(st.Flow, code, st.Tx.Now, s.Errors); e != nil {
		return e
	}
	return nil
}

// Missing is the 400 of a code submit with neither the address field nor a code.
func (s Steps) Missing() error {
	return apierr.Invalid("Send "+s.Asks+" to get a code, or code to use one.", apierr.Field("body", "one of "+s.Asks+" and code is required"))
}
