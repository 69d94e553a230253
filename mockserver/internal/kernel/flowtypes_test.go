package kernel_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/ids"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/auth"
	"github.com/avnology/idflows/mockserver/internal/codeflow"
	"github.com/avnology/idflows/mockserver/internal/codes"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/identity"
	"github.com/avnology/idflows/mockserver/internal/login"
	"github.com/avnology/idflows/mockserver/internal/outbox"
	"github.com/avnology/idflows/mockserver/internal/passkey"
	"github.com/avnology/idflows/mockserver/internal/recovery"
	"github.com/avnology/idflows/mockserver/internal/registration"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/settings"
	"github.com/avnology/idflows/mockserver/internal/social"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/mockserver/internal/ui"
	"github.com/avnology/idflows/mockserver/internal/verification"
	"github.com/avnology/idflows/mockserver/oidcprovider"
)

// submitter submits a JSON command to a flow of one type, as the adapters do after decoding.
type submitter func(ctx context.Context, w *tenant.World, req request.Request, id string, body []byte) error

func decoded[C any](run func(context.Context, *tenant.World, request.Request, string, C) error) submitter {
	return func(ctx context.Context, w *tenant.World, req request.Request, id string, body []byte) error {
		var cmd C
		if err := json.Unmarshal(body, &cmd); err != nil {
			return err
		}
		return run(ctx, w, req, id, cmd)
	}
}

// situation is a flow of a type in one of its states, reached along the machine.
type situation struct {
	name    string
	path    []flow.State
	prepare func(f *flow.Flow, jane identity.Identity)
}

// reachable lists a path to every state of t's machine, from its initial state.
func reachable(t flow.Type) []situation {
	m := flow.Machines[t]
	paths := map[flow.State][]flow.State{m.Initial: nil}
	queue := []flow.State{m.Initial}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, tr := range m.Transitions {
			if _, seen := paths[tr.To]; tr.From == from && !seen {
				paths[tr.To] = append(append([]flow.State{}, paths[from]...), tr.To)
				queue = append(queue, tr.To)
			}
		}
	}
	var out []situation
	for s, p := range paths {
		out = append(out, situation{name: string(s), path: p})
	}
	return out
}

// TestFlowTypesOverStatesAndMethods submits every method of the contract, with bodies that
// take each of its branches, to every flow type in every state its machine reaches (and a login
// awaiting its second factor). Whatever the combination, the answer is a success or a client
// error of the envelope — never a bug —, the flow only moves along its machine, and every
// method a flow type offers is reached in some state.
func TestFlowTypesOverStatesAndMethods(t *testing.T) {
	hasher := identity.Hasher{MemoryKiB: 64, Iterations: 1, Salt: ids.NewSeeded(1).Read}
	hashers := func(ids.Source) identity.Hasher { return hasher }
	render := ui.Renderer{BaseURL: "http://localhost:4433"}
	rp, err := passkey.New("localhost", "test", []string{render.BaseURL})
	require.NoError(t, err)
	google, err := oidcprovider.New(oidcprovider.Config{Issuer: "http://localhost:4433/_mock/oidc/google",
		Clients: []oidcprovider.Client{{ID: "mock", Secret: "s", RedirectURIs: []string{"http://localhost:4433/v1/flows/oidc/callback/google"}}}})
	require.NoError(t, err)
	socials := social.Providers{"google": social.New(social.Config{Name: "google", Issuer: google.Issuer(), ClientID: "mock", ClientSecret: "s",
		RedirectURL: "http://localhost:4433/v1/flows/oidc/callback/google", HTTPClient: social.InProcess(google)})}
	lg := &login.Service{Render: render, Policy: login.DefaultPolicy, FlowLifetime: time.Hour, SessionLifetime: time.Hour, DummyHash: hasher.Hash("dummy"), Passkeys: rp, Social: socials}
	rg := &registration.Service{Render: render, Hasher: hashers, FlowLifetime: time.Hour, SessionLifetime: time.Hour, Passkeys: rp, Social: socials}
	se := &settings.Service{Render: render, Hasher: hashers, FlowLifetime: time.Hour, BaseURL: render.BaseURL, Issuer: "test", Passkeys: rp, Social: socials}
	steps := codes.Steps{Sent: ui.InfoRecoverySent, Asks: "email", Errors: codes.Errors{Wrong: apierr.InvalidRecoveryCode, Expired: apierr.RecoveryCodeExpired, Invalid: ui.ErrRecoveryCode},
		Message: codes.Message{Template: "recovery_code", Subject: "s", Text: "%s"}}
	rec := recovery.New(&codeflow.Engine{Type: flow.Recovery, Steps: steps, FlowLifetime: time.Hour}, se)
	ver := verification.New(&codeflow.Engine{Type: flow.Verification, Steps: steps, FlowLifetime: time.Hour})

	const password = "correct horse battery staple 42"
	awaiting := situation{name: "choose_method awaiting aal2", prepare: func(f *flow.Flow, jane identity.Identity) {
		f.RequestedAAL, f.IdentityID, f.FirstFactor, f.FirstFactorAt = "aal2", jane.ID, "password", now
	}}
	for _, ft := range []struct {
		typ     flow.Type
		submit  submitter
		offered []string
		bodies  []string // method and body of each submit, as JSON
		extra   []situation
	}{
		{flow.Login, decoded(func(ctx context.Context, w *tenant.World, req request.Request, id string, cmd login.Command) error {
			_, err := lg.Submit(ctx, w, req, id, cmd)
			return err
		}), []string{"password", "code", "totp", "lookup_secret", "webauthn", "oidc"}, []string{
			`{"method":"password","body":{"identifier":"jane@acme.com","password":"` + password + `"}}`,
			`{"method":"password","body":{"identifier":"jane@acme.com","password":"wrong"}}`,
			`{"method":"password","body":{"identifier":"nobody@acme.com","password":"wrong"}}`,
			`{"method":"code","body":{"identifier":"jane@acme.com"}}`,
			`{"method":"code","body":{"code":"000000"}}`,
			`{"method":"code","body":{}}`,
			`{"method":"totp","body":{"totp_code":"000000"}}`,
			`{"method":"lookup_secret","body":{"lookup_secret":"nope1234"}}`,
			`{"method":"webauthn","body":{"webauthn_login":"{}"}}`,
			`{"method":"oidc","body":{"provider":"google"}}`,
			`{"method":"oidc","body":{"provider":"myspace"}}`,
		}, []situation{awaiting}},
		{flow.Registration, decoded(func(ctx context.Context, w *tenant.World, req request.Request, id string, cmd registration.Command) error {
			_, err := rg.Submit(ctx, w, req, id, cmd)
			return err
		}), []string{"password", "code", "webauthn", "oidc"}, []string{
			`{"method":"password","body":{"traits":{"email":"new@acme.com"},"password":"` + password + `"}}`,
			`{"method":"password","body":{"traits":{"email":"jane@acme.com"},"password":"` + password + `"}}`,
			`{"method":"password","body":{"traits":{"email":"new@acme.com"},"password":"short"}}`,
			`{"method":"code","body":{"traits":{"email":"new@acme.com"}}}`,
			`{"method":"code","body":{"code":"000000"}}`,
			`{"method":"code","body":{}}`,
			`{"method":"webauthn","body":{"traits":{"email":"new@acme.com"},"webauthn_register":"{}"}}`,
			`{"method":"oidc","body":{"provider":"google"}}`,
		}, nil},
		{flow.Settings, decoded(func(ctx context.Context, w *tenant.World, req request.Request, id string, cmd settings.Command) error {
			_, err := se.Submit(ctx, w, req, id, cmd)
			return err
		}), []string{"profile", "password", "totp", "lookup_secret", "webauthn", "oidc"}, []string{
			`{"method":"profile","body":{"traits":{"email":"jane@acme.com","name":{"first":"Jane"}}}}`,
			`{"method":"profile","body":{"traits":{"email":"jane.new@acme.com"}}}`,
			`{"method":"password","body":{"password":"another long passphrase 42"}}`,
			`{"method":"password","body":{"password":"short"}}`,
			`{"method":"totp","body":{"totp_code":"000000"}}`,
			`{"method":"totp","body":{"totp_unlink":true}}`,
			`{"method":"lookup_secret","body":{"lookup_secret_regenerate":true}}`,
			`{"method":"lookup_secret","body":{"lookup_secret_confirm":true}}`,
			`{"method":"lookup_secret","body":{"lookup_secret_reveal":true}}`,
			`{"method":"lookup_secret","body":{"lookup_secret_disable":true}}`,
			`{"method":"webauthn","body":{"webauthn_remove":"cred_AAAA"}}`,
			`{"method":"oidc","body":{"link":"google"}}`,
			`{"method":"oidc","body":{"unlink":"google"}}`,
			`{"method":"oidc","body":{}}`,
		}, nil},
		{flow.Recovery, decoded(func(ctx context.Context, w *tenant.World, req request.Request, id string, cmd codeflow.Command) error {
			_, err := rec.Submit(ctx, w, req, id, cmd)
			return err
		}), []string{"code"}, []string{
			`{"method":"code","body":{"email":"jane@acme.com"}}`,
			`{"method":"code","body":{"email":"nobody@acme.com"}}`,
			`{"method":"code","body":{"code":"000000"}}`,
			`{"method":"code","body":{}}`,
		}, nil},
		{flow.Verification, decoded(func(ctx context.Context, w *tenant.World, req request.Request, id string, cmd codeflow.Command) error {
			_, err := ver.Submit(ctx, w, req, id, cmd)
			return err
		}), []string{"code"}, []string{
			`{"method":"code","body":{"email":"jane@acme.com"}}`,
			`{"method":"code","body":{"code":"000000"}}`,
			`{"method":"code","body":{}}`,
		}, nil},
	} {
		reached := map[string]bool{}
		for _, sit := range append(reachable(ft.typ), ft.extra...) {
			for _, body := range ft.bodies {
				t.Run(fmt.Sprintf("%s/%s/%s", ft.typ, sit.name, body), func(t *testing.T) {
					w, req, jane := flowWorld(t, hasher, password)
					f := flow.New("f1", ft.typ, now, time.Hour)
					f.CSRFToken = "tok"
					require.NoError(t, f.Walk(sit.path...))
					switch ft.typ { // the ceremonies the flow's creation starts
					case flow.Login:
						require.NoError(t, rp.StartLogin(w.IDs, &f, nil))
					case flow.Registration:
						f.NewIdentityID = "usr_new"
						require.NoError(t, rp.StartRegistration(w.IDs, &f, identity.Identity{ID: f.NewIdentityID}))
					case flow.Settings:
						f.IdentityID = jane.ID
						require.NoError(t, rp.StartRegistration(w.IDs, &f, jane))
					}
					if sit.prepare != nil {
						sit.prepare(&f, jane)
					}
					start := f.State()
					require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error { tx.PutFlow(f); return nil }))

					err := ft.submit(t.Context(), w, req, "f1", withCSRF(t, body, f.CSRFToken))
					var e *apierr.Error
					if err != nil {
						require.True(t, errors.As(err, &e), "not a client error but %v", err)
						assert.True(t, e.Status >= 400 && e.Status < 500, "status %d for %v", e.Status, e)
					}
					var method struct{ Method string }
					require.NoError(t, json.Unmarshal([]byte(body), &method))
					if e == nil || e.Code != apierr.MethodNotEnabled {
						reached[method.Method] = true
					}
					var after flow.Flow
					require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error { after, _ = tx.Flow("f1"); return nil }))
					assert.True(t, after.State() == start || flow.Allowed(ft.typ, start, after.State()),
						"moved from %s to %s, which the machine does not declare", start, after.State())
				})
			}
		}
		for _, m := range ft.offered {
			assert.True(t, reached[m], "no state of a %s flow reached its %s method", ft.typ, m)
		}
	}
}

// withCSRF puts the flow's CSRF token into a submit's body.
func withCSRF(t *testing.T, submit, token string) []byte {
	var cmd struct {
		Method string         `json:"method"`
		Body   map[string]any `json:"body"`
	}
	require.NoError(t, json.Unmarshal([]byte(submit), &cmd))
	cmd.Body["csrf_token"] = token
	out, err := json.Marshal(cmd)
	require.NoError(t, err)
	return out
}

// flowWorld is a world holding jane (a password, TOTP and lookup secrets) signed in with a
// fresh aal2 session, and the request that carries it.
func flowWorld(t *testing.T, hasher identity.Hasher, password string) (*tenant.World, request.Request, identity.Identity) {
	w := &tenant.World{Store: store.New(store.DefaultLimits, nil, clock.NewFake(now).Now), Rules: deviation.RulesOf(nil),
		IDs: ids.NewSeeded(7), Outbox: &outbox.Outbox{Max: 100}}
	jane := identity.Identity{ID: "usr_jane", Traits: identity.Traits{Email: "jane@acme.com"}, State: identity.StateActive,
		PasswordHash: hasher.Hash(password), TOTPSecret: "JBSWY3DPEHPK3PXP", LookupSecrets: []string{"abcd1234"}, EmailVerified: true}
	var req request.Request
	require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error {
		if err := tx.PutIdentity(jane); err != nil {
			return err
		}
		ses := auth.Issue(tx, w.IDs, jane, auth.Method("password", session.AAL1, tx.Now), req, time.Hour, false)
		ses.Authenticate(auth.Method("totp", session.AAL2, tx.Now))
		tx.PutSession(ses)
		req.SessionCookie = ses.Token
		return nil
	}))
	return w, req, jane
}
