// Package flow is the flow kernel: the flow record every flow type shares, its lifetimes, and
// the state machines, declared as data so a service can only move along them.
package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Type is the kind of flow.
type Type string

// Flow types (D3).
const (
	Login        Type = "login"
	Registration Type = "registration"
	Settings     Type = "settings"
	Recovery     Type = "recovery"
	Verification Type = "verification"
)

// State is a flow's state.
type State string

// States (D3).
const (
	ChooseMethod    State = "choose_method"
	ShowForm        State = "show_form"
	SentEmail       State = "sent_email"
	PassedChallenge State = "passed_challenge"
	Success         State = "success"
)

// DefaultLifetimes of each flow type (REQ-FLOW-002); a deployment may configure others.
var DefaultLifetimes = map[Type]time.Duration{
	Login:        30 * time.Minute,
	Registration: 30 * time.Minute,
	Settings:     60 * time.Minute,
	Recovery:     60 * time.Minute,
	Verification: 60 * time.Minute,
}

// Transition is one allowed move of a state machine.
type Transition struct {
	From, To State
	On       string // what moves it, for the rendered diagram
}

// Machine is a flow type's state machine (REQ-FLOW-007).
type Machine struct {
	Initial     State
	Transitions []Transition
}

// Machines declares every flow's state machine. A flow that produced a session is consumed
// (REQ-FLOW-004); that is not a state of the wire enum, so it is the flag Flow.Consumed.
var Machines = map[Type]Machine{
	Login: {Initial: ChooseMethod, Transitions: []Transition{
		{ChooseMethod, ChooseMethod, "first factor accepted, second factor required (requested_aal: aal2)"},
		{ChooseMethod, ChooseMethod, "oidc: sent to the provider, or back from it unmerged"},
		{ChooseMethod, SentEmail, "code: identifier submitted"},
		{SentEmail, SentEmail, "code: resent"},
		{SentEmail, ChooseMethod, "code accepted, second factor required (requested_aal: aal2)"},
	}},
	Registration: {Initial: ShowForm, Transitions: []Transition{
		{ShowForm, ShowForm, "oidc: sent to the provider"},
		{ShowForm, SentEmail, "code: traits submitted"},
		{SentEmail, SentEmail, "code: traits submitted again (a new code, to the address now given)"},
	}},
	Settings: {Initial: ShowForm, Transitions: []Transition{
		{ShowForm, ShowForm, "oidc: sent to the provider to link it"},
		{ShowForm, Success, "a section saved"},
		{Success, Success, "another section saved"},
	}},
	Recovery: {Initial: ShowForm, Transitions: []Transition{
		{ShowForm, SentEmail, "email submitted"},
		{SentEmail, SentEmail, "email submitted again"},
		{SentEmail, PassedChallenge, "correct code"},
	}},
	Verification: {Initial: ShowForm, Transitions: []Transition{
		{ShowForm, SentEmail, "email submitted"},
		{SentEmail, SentEmail, "email submitted again"},
		{SentEmail, PassedChallenge, "correct code"},
	}},
}

// Message is a UI text attached to a flow or one of its fields.
type Message struct {
	ID      string
	Text    string
	Type    string // info, error, success
	Context map[string]any
}

// Flow is the state every flow type shares; type-specific fields are zero where unused.
type Flow struct {
	ID   string
	Type Type
	// state moves only through MoveTo, so along the flow type's machine.
	state     State
	IssuedAt  time.Time
	ExpiresAt time.Time
	ReturnTo  string
	CSRFToken string
	Consumed  bool

	// Login.
	OrganizationID string
	LoginChallenge string
	Active         string // the method that last progressed the flow
	Refresh        bool
	RequestedAAL   string
	// SessionID is the session a refresh or aal2 login flow upgrades (REQ-STEPUP-003).
	SessionID string
	// IdentityID is the settings flow's owner, or the identity whose second factor a login
	// flow awaits.
	IdentityID string
	// FirstFactor is the method that completed the first factor of a pending aal2 step
	// (password or code), and FirstFactorAt when.
	FirstFactor   string
	FirstFactorAt time.Time

	// Settings: a TOTP secret shown but not yet confirmed with a code, lookup codes generated
	// but not yet confirmed, and the codes the current answer shows (never stored: they are
	// shown once, REQ-SET-007).
	PendingTOTP string
	// PendingTOTPQR is the QR image of PendingTOTP's otpauth:// URI as a data: URI, made once
	// per secret and outside the tenant's lock (a PNG costs milliseconds).
	PendingTOTPQR string
	PendingLookup []string
	ShownLookup   []string
	// CodeFailures counts wrong codes submitted to this flow.
	CodeFailures int
	// Code is the one-time code the flow sent, when and to whom (recovery, verification); Code
	// stays empty when the address belongs to no identity, so nothing can match.
	Code        string
	CodeSentAt  time.Time
	CodeAddress string
	// CodeIdentityID is the identity a correct code signs in, recovers or verifies: the one
	// whose stored address the code went to ("" for a sign-up or an unknown address).
	CodeIdentityID string

	// WebAuthnOptions are the options of the flow's pending WebAuthn ceremony, as shown in its
	// webauthn_*_options node; WebAuthnSession is what the relying party keeps to finish it.
	WebAuthnOptions string
	WebAuthnSession []byte
	// NewIdentityID is the id a passkey registration gives the account it creates (the
	// credential's user handle is fixed before the account exists).
	NewIdentityID string

	// OIDC is a social sign-in in progress: the provider the browser was sent to, the secret
	// part of the state it must bring back, and what the answer must prove (the ID token's
	// nonce, the PKCE verifier of the code).
	OIDCProvider, OIDCState, OIDCNonce, OIDCVerifier string

	// Messages are flow-level; FieldMessages and Values re-render the form after an error.
	Messages      []Message
	FieldMessages map[string][]Message
	Values        map[string]string
}

// New returns a flow of type t in its initial state, living lifetime.
func New(id string, t Type, now time.Time, lifetime time.Duration) Flow {
	return Flow{ID: id, Type: t, state: Machines[t].Initial, IssuedAt: now, ExpiresAt: now.Add(lifetime)}
}

// State is the flow's state.
func (f Flow) State() State { return f.state }

// Usable reports whether the flow can still be submitted at now (REQ-FLOW-003, REQ-FLOW-004).
func (f *Flow) Usable(now time.Time) bool { return !f.Consumed && now.Before(f.ExpiresAt) }

// ErrTransition is what MoveTo's error is (errors.Is) for a move the machine does not allow:
// the method submitted is not offered in the flow's state (REQ-FLOW-009).
var ErrTransition = errors.New("flow: transition not allowed")

// MoveTo moves the flow to state to — a self-loop too — if its machine declares the move.
func (f *Flow) MoveTo(to State) error {
	if !Allowed(f.Type, f.state, to) {
		return fmt.Errorf("%w: a %s flow cannot move from %s to %s", ErrTransition, f.Type, f.state, to)
	}
	f.state = to
	return nil
}

// Allowed reports whether a flow of type t may move from one state to another.
func Allowed(t Type, from, to State) bool {
	for _, tr := range Machines[t].Transitions {
		if tr.From == from && tr.To == to {
			return true
		}
	}
	return false
}

// Walk moves a new flow along the given states, each move through MoveTo: how a test puts a
// flow in a state, which only declared moves can reach.
func (f *Flow) Walk(states ...State) error {
	for _, s := range states {
		if err := f.MoveTo(s); err != nil {
			return err
		}
	}
	return nil
}

// ClearMessages drops the messages of the last submit before the next one is answered.
func (f *Flow) ClearMessages() {
	f.Messages = nil
	f.FieldMessages = nil
}

// AddFieldMessage attaches m to the node named field.
func (f *Flow) AddFieldMessage(field string, m Message) {
	fm := make(map[string][]Message, len(f.FieldMessages)+1)
	for k, v := range f.FieldMessages {
		fm[k] = v
	}
	fm[field] = append(slices.Clone(fm[field]), m)
	f.FieldMessages = fm
}

// SetValue remembers what the user typed into field, to show it again.
func (f *Flow) SetValue(field, value string) {
	v := make(map[string]string, len(f.Values)+1)
	for k, x := range f.Values {
		v[k] = x
	}
	v[field] = value
	f.Values = v
}

// Mermaid renders a flow type's state machine as a Mermaid state diagram.
func Mermaid(t Type) string {
	m := Machines[t]
	var b strings.Builder
	fmt.Fprintf(&b, "stateDiagram-v2\n    [*] --> %s\n", m.Initial)
	for _, tr := range m.Transitions {
		fmt.Fprintf(&b, "    %s --> %s: %s\n", tr.From, tr.To, tr.On)
	}
	return b.String()
}

// Fresh returns a new flow with the same type and request parameters as f.
func Fresh(f Flow, id string, now time.Time) Flow {
	n := New(id, f.Type, now, f.ExpiresAt.Sub(f.IssuedAt))
	n.ReturnTo, n.CSRFToken, n.OrganizationID, n.LoginChallenge = f.ReturnTo, f.CSRFToken, f.OrganizationID, f.LoginChallenge
	n.RequestedAAL, n.Refresh, n.SessionID, n.IdentityID = f.RequestedAAL, f.Refresh, f.SessionID, f.IdentityID
	if f.Type == Login && f.SessionID == "" {
		n.RequestedAAL, n.IdentityID = "aal1", ""
	}
	return n
}
