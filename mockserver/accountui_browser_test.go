package mockserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/internal/browsertest"
	"github.com/avnology/idflows/mockserver/mockservertest"
)

// The account pages as a person uses them, in headless Chromium, with plain HTML forms: sign up,
// verify the address with the emailed code, enrol an authenticator app from the settings page,
// sign out, sign in again with the password and the app's code, and see the session at aal2.
func TestAccountPagesInABrowser(t *testing.T) {
	srv := mockservertest.NewServer(t)
	ctx, cancel := context.WithTimeout(browsertest.Browser(t), 90*time.Second)
	defer cancel()
	const email, password = "pages@example.com", "correct-horse-battery"
	ui := srv.URL + "/ui"
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text[string](sel))
		require.NoError(t, err, sel)
		return s
	}

	// Sign up: the page creates the flow, the form posts to ui.action, the API answers 303.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(ui+"/registration"),
		chromedp.WaitVisible(`section[data-flow-type="registration"]`),
		chromedp.SendKeys(`input[name="traits.email"]`, email),
		chromedp.SendKeys(`input[name="password"]`, password),
		chromedp.Click(`button[name="method"][value="password"]`),
		chromedp.WaitVisible(`section[data-signed-in="true"]`),
	), "signing up")
	assert.Contains(t, text(`#email`), "not verified")

	// Verify the address with the code the outbox received.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(`a[href="/ui/verification"]`),
		chromedp.WaitVisible(`section[data-flow-type="verification"]`),
		chromedp.SendKeys(`input[name="email"]`, email),
		chromedp.Click(`button[name="method"]`),
		chromedp.WaitVisible(`section[data-flow-state="sent_email"] input[name="code"]`),
	), "asking for a code")
	code := srv.LastCode(email)
	require.Len(t, code, 6)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(`input[name="code"]`, code),
		chromedp.Click(`button[name="method"]`),
		chromedp.WaitVisible(`section[data-flow-state="passed_challenge"]`),
	), "sending the code")
	assert.Contains(t, text(`.message.success`), "verified")

	// Enrol an authenticator app: the QR code and the secret are on the page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(ui+"/settings"),
		chromedp.WaitVisible(`form[data-group="totp"] img`),
	), "opening the settings")
	secret := strings.TrimSpace(text(`form[data-group="totp"] .text code`))
	enrol, err := totp.GenerateCode(secret, srv.Clock().Now())
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(`form[data-group="totp"] input[name="totp_code"]`, enrol),
		chromedp.Click(`form[data-group="totp"] button[name="method"]`),
		chromedp.WaitVisible(`section[data-flow-type="settings"] .message.success`),
	), "enrolling the app")

	// Sign out, then in again: the password, then the app's next code.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(ui+"/"),
		chromedp.Click(`#logout`),
		chromedp.WaitVisible(`section[data-flow-type="login"]`),
		chromedp.SendKeys(`input[name="identifier"]`, email),
		chromedp.SendKeys(`input[name="password"]`, "not-the-password"),
		chromedp.Click(`button[name="method"][value="password"]`),
		chromedp.WaitVisible(`section[data-flow-type="login"] .message.error`),
	), "a wrong password")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(`input[name="password"]`, password),
		chromedp.Click(`button[name="method"][value="password"]`),
		chromedp.WaitVisible(`input[name="totp_code"]`),
	), "the password, then the second factor")
	srv.Clock().Advance(30 * time.Second) // the enrolment's code was spent
	second, err := totp.GenerateCode(secret, srv.Clock().Now())
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(`input[name="totp_code"]`, second),
		chromedp.Click(`button[name="method"][value="totp"]`),
		chromedp.WaitVisible(`section[data-signed-in="true"]`),
	), "the app's code")
	assert.Equal(t, "aal2", text(`#aal`))
	assert.Contains(t, text(`#email`), "verified")
}

// Passkeys on the account pages: the flow's own script runs the ceremony (a virtual
// authenticator here) and submits the plain form, which signs the person up.
func TestAccountPagesPasskeyInABrowser(t *testing.T) {
	srv := mockservertest.NewServer(t, mockservertest.WithLocalhost())
	ctx, cancel := context.WithTimeout(browsertest.Browser(t), 60*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/ui/registration"), chromedp.WaitVisible(`section[data-flow-type="registration"]`)))
	_, err := browsertest.AddAuthenticator(ctx, browsertest.Passkey)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(`input[name="traits.email"]`, "passkey-page@example.com"),
		chromedp.Click(`button[data-ceremony="avnlWebAuthnRegistration"]`),
		chromedp.WaitVisible(`section[data-signed-in="true"]`),
	), "signing up with a passkey")
	account, err := chromedp.Run(ctx, chromedp.Text[string](`section[data-signed-in="true"] dl`))
	require.NoError(t, err)
	assert.Contains(t, account, "passkey-page@example.com")
	assert.Contains(t, account, "webauthn")
}
