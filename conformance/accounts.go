package conformance

import (
	"net/http"
	"net/url"
	"time"
)

// Account is an identity a case created, with what it takes to sign in as it.
type Account struct {
	Email      string
	Password   string
	IdentityID string
	Token      string // the session token of its most recent sign-in
	SessionID  string
}

// newPassword is strong, unique and contains no identifier (REQ-REG-004).
func newPassword() string { return "Cf-" + randomHex(8) + "-Qz9!" }

// Register creates an account through a registration flow as agent a, signed in at aal1.
func (t *T) Register(a *Agent) *Account { return t.RegisterAs(a, uniqueEmail(t.c.ID)) }

// RegisterAs is Register with the given email.
func (t *T) RegisterAs(a *Agent, email string) *Account {
	acc := &Account{Email: email, Password: newPassword()}
	f := a.MustCreateFlow("registration", nil)
	r := a.Submit(f, "password", map[string]any{"traits": map[string]any{"email": acc.Email}, "password": acc.Password})
	if r.Status != http.StatusOK || r.Str("session.token") == "" {
		t.fatalAt(r.Seq, "registering a new account: want 200 with a session and its token, got %s", r)
	}
	acc.Token, acc.SessionID, acc.IdentityID = r.Str("session.token"), r.Str("session.id"), r.Str("session.identity_id")
	return acc
}

// Seed creates an identity through the target's seeding capability (the case is SKIPPED
// without it); a unique email and a strong password are filled in when spec has none.
func (t *T) Seed(spec IdentitySpec) *Account {
	t.Need(NeedSeeder)
	if spec.Email == "" {
		spec.Email = uniqueEmail(t.c.ID)
	}
	if spec.Password == "" {
		spec.Password = newPassword()
	}
	id, err := t.target.Seeder.SeedIdentity(t.ctx, t.scope, spec)
	if err != nil {
		t.suiteError("seeding an identity: %v", err)
	}
	return &Account{Email: spec.Email, Password: spec.Password, IdentityID: id}
}

// VerifiedAccount is a new account whose email is verified: seeded, or signed up and then
// verified with the code the target sends (which needs an inbox).
func (t *T) VerifiedAccount() *Account {
	if t.target.Seeder != nil {
		acc := t.Seed(IdentitySpec{EmailVerified: true})
		t.SignIn(t.API(), acc)
		return acc
	}
	acc := t.Register(t.API())
	_, r := t.withCode(t.API(), "verification", "email", acc.Email)
	t.RequireStatus(r, 200, "verifying the new account's email")
	return acc
}

// DisabledAccount is an account whose right password answers 403 _003: seeded, or the disabled
// account of the target's --accounts (an account cannot be disabled through this API).
func (t *T) DisabledAccount() *Account {
	if t.target.Seeder != nil {
		return t.Seed(IdentitySpec{Disabled: true})
	}
	if d := t.target.Accounts.Disabled; d != nil {
		return &Account{Email: d.Email, Password: d.Password}
	}
	t.Skipf("needs --control (seeding) or a disabled account in --accounts")
	return nil
}

// PasswordLogin creates a login flow as a and submits the account's password.
func (t *T) PasswordLogin(a *Agent, acc *Account, query url.Values) (*Flow, *Response) {
	f := a.MustCreateFlow("login", query)
	return f, a.Submit(f, "password", map[string]any{"identifier": acc.Email, "password": acc.Password})
}

// SignIn signs acc in with its password and keeps the new session token; the case ends unless
// a session comes back at once.
func (t *T) SignIn(a *Agent, acc *Account) *Response {
	_, r := t.PasswordLogin(a, acc, nil)
	if r.Status != http.StatusOK || r.Str("session.token") == "" {
		t.fatalAt(r.Seq, "signing in with a correct password: want 200 with a session, got %s", r)
	}
	acc.Token, acc.SessionID = r.Str("session.token"), r.Str("session.id")
	return r
}

// Codes returns the codes the target sent to address (the case is SKIPPED without an inbox).
func (t *T) Codes(address string) []string {
	t.Need(NeedInbox)
	codes, err := t.target.Inbox.Codes(t.ctx, t.scope, address)
	if err != nil {
		t.suiteError("reading the inbox: %v", err)
	}
	return codes
}

// Advance moves the target's clock (the case is SKIPPED without clock control).
func (t *T) Advance(d time.Duration) {
	t.Need(NeedClock)
	if err := t.target.Clock.Advance(t.ctx, t.scope, d); err != nil {
		t.suiteError("moving the clock: %v", err)
	}
}
