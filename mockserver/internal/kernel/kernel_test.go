package kernel_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/mockserver/clock"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/deviation"
	"github.com/avnology/idflows/mockserver/internal/flow"
	"github.com/avnology/idflows/mockserver/internal/kernel"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/session"
	"github.com/avnology/idflows/mockserver/internal/store"
	"github.com/avnology/idflows/mockserver/internal/tenant"
)

type fields struct{ Token string }

func (f fields) CSRF() string { return f.Token }

var now = time.Date(2026, 4, 8, 12, 0, 0, 0, time.UTC)

// world holds one login flow, f1, in choose_method with CSRF token "tok" and a message from
// its last answer.
func world(t *testing.T, rules deviation.Rules) *tenant.World {
	w := &tenant.World{Store: store.New(store.DefaultLimits, nil, clock.NewFake(now).Now), Rules: rules}
	require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error {
		f := flow.New("f1", flow.Login, tx.Now, time.Hour)
		f.CSRFToken, f.Messages = "tok", []flow.Message{{ID: "4000006"}}
		tx.PutFlow(f)
		return nil
	}))
	return w
}

func stored(t *testing.T, w *tenant.World) (f flow.Flow) {
	require.NoError(t, w.Store.Update(t.Context(), func(tx *store.Tx) error { f, _ = tx.Flow("f1"); return nil }))
	return f
}

// step is a strategy that does what a test says.
func step(do func(st *kernel.Step) (kernel.Outcome, error)) kernel.Method[fields] {
	return kernel.Method[fields]{Run: func(st *kernel.Step, _ fields) (kernel.Outcome, error) { return do(st) }}
}

func flowType(methods map[string]kernel.Method[fields], after func(*kernel.Step, *kernel.Outcome) error) *kernel.Type[fields, string] {
	return &kernel.Type[fields, string]{
		Flow:    flow.Login,
		Methods: methods,
		Load: func(st *kernel.Step, id string) error {
			f, ok := st.Tx.Flow(id)
			if !ok {
				return apierr.NotFoundError()
			}
			*st.Flow = f
			return nil
		},
		After:  after,
		View:   func(st *kernel.Step) string { return "messages: " + firstMessage(st.Flow) },
		Render: func(f flow.Flow, v string) *api.Flow { return &api.Flow{} },
	}
}

func firstMessage(f *flow.Flow) string {
	if len(f.Messages) == 0 {
		return "none"
	}
	return f.Messages[0].ID
}

func TestKernel(t *testing.T) {
	ses := session.Session{ID: "ses_1"}
	moveTo := func(s flow.State) kernel.Method[fields] {
		return step(func(*kernel.Step) (kernel.Outcome, error) { return kernel.Outcome{To: s}, nil })
	}
	failWith := func(e *apierr.Error) kernel.Method[fields] {
		return step(func(st *kernel.Step) (kernel.Outcome, error) {
			st.Flow.CodeFailures++
			return kernel.Outcome{}, e
		})
	}
	never := kernel.Method[fields]{
		Run:     func(*kernel.Step, fields) (kernel.Outcome, error) { panic("not offered: never run") },
		Offered: func(*flow.Flow) bool { return false },
	}
	methods := map[string]kernel.Method[fields]{
		"send":    moveTo(flow.SentEmail),
		"again":   moveTo(flow.ChooseMethod), // a declared self-loop of the login machine
		"jump":    moveTo(flow.Success),      // not a login state
		"signin":  step(func(*kernel.Step) (kernel.Outcome, error) { return kernel.Outcome{Session: &ses}, nil }),
		"nothing": step(func(*kernel.Step) (kernel.Outcome, error) { return kernel.Outcome{}, nil }),
		"wrong":   failWith(apierr.New(apierr.InvalidCode, "wrong")),
		"expired": failWith(apierr.ExpiredFlow("login", "f1", "f2")),
		"step-up": failWith(apierr.New(apierr.StepUpRequired, "step up")),
		"exhausted": step(func(st *kernel.Step) (kernel.Outcome, error) {
			st.Flow.Consumed = true
			return kernel.Outcome{}, apierr.New(apierr.AccountLocked, "locked")
		}),
		"crash": step(func(*kernel.Step) (kernel.Outcome, error) { return kernel.Outcome{}, errors.New("disk on fire") }),
		"secrets": step(func(st *kernel.Step) (kernel.Outcome, error) {
			st.Flow.ShownLookup = []string{"abcd1234"}
			return kernel.Outcome{To: flow.ChooseMethod}, nil
		}),
		"hidden": never,
	}
	strict := deviation.RulesOf(nil)
	for _, tc := range []struct {
		name, method, token string
		rules               deviation.Rules
		code                api.ErrorCode // the error's code, "" for success or a plain error
		plainErr            bool
		continueFlow        bool
		state               flow.State
		consumed            bool
		failures            int
	}{
		{name: "a declared move", method: "send", token: "tok", state: flow.SentEmail},
		{name: "a self-loop is a move of the machine too", method: "again", token: "tok", state: flow.ChooseMethod},
		{name: "an undeclared move is refused and the state kept", method: "jump", token: "tok", plainErr: true, state: flow.ChooseMethod},
		{name: "a session consumes the flow", method: "signin", token: "tok", state: flow.ChooseMethod, consumed: true},
		{name: "a success that says nothing is a bug, not a silent 200", method: "nothing", token: "tok", plainErr: true, state: flow.ChooseMethod},
		{name: "a method the flow type does not offer", method: "oidc", token: "tok", code: apierr.MethodNotEnabled, continueFlow: true, state: flow.ChooseMethod},
		{name: "a method not offered in this state never runs", method: "hidden", token: "tok", code: apierr.MethodNotEnabled, continueFlow: true, state: flow.ChooseMethod},
		{name: "a wrong CSRF token stops the submit before the method", method: "wrong", token: "forged", code: apierr.CSRFViolation, state: flow.ChooseMethod},
		{name: "the csrf-not-enforced deviation relaxes the check, and only it", method: "wrong", token: "forged", rules: deviation.RulesOf(deviation.Set{deviation.CSRFNotEnforced: true}),
			code: apierr.InvalidCode, continueFlow: true, state: flow.ChooseMethod, failures: 1},
		{name: "a failed method's counting is stored, and the form shown again", method: "wrong", token: "tok", code: apierr.InvalidCode, continueFlow: true, state: flow.ChooseMethod, failures: 1},
		{name: "400 _009 points to a fresh flow instead", method: "expired", token: "tok", code: apierr.FlowExpired, state: flow.ChooseMethod, failures: 1},
		{name: "403 _102 points to a login instead", method: "step-up", token: "tok", code: apierr.StepUpRequired, state: flow.ChooseMethod, failures: 1},
		{name: "a flow the method consumed is not shown again", method: "exhausted", token: "tok", code: apierr.AccountLocked, state: flow.ChooseMethod, consumed: true},
		{name: "an internal error is passed on as it is", method: "crash", token: "tok", plainErr: true, state: flow.ChooseMethod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules := tc.rules
			if rules == (deviation.Rules{}) {
				rules = strict
			}
			w := world(t, rules)
			_, err := kernel.Run(t.Context(), flowType(methods, nil), w, request.Request{}, "f1", kernel.Command[fields]{Method: tc.method, Body: fields{tc.token}})
			var e *apierr.Error
			switch {
			case tc.code != "":
				require.ErrorAs(t, err, &e)
				assert.Equal(t, tc.code, e.Code)
				assert.Equal(t, tc.continueFlow, e.ContinueFlow != nil, "continue_flow")
			case tc.plainErr:
				require.Error(t, err)
				assert.False(t, errors.As(err, &e), "a bug is not dressed up as a client error: %v", err)
			default:
				require.NoError(t, err)
			}
			f := stored(t, w)
			assert.Equal(t, tc.state, f.State())
			assert.Equal(t, tc.consumed, f.Consumed)
			assert.Equal(t, tc.failures, f.CodeFailures)
		})
	}

	t.Run("the last answer's messages are cleared before the method acts", func(t *testing.T) {
		w := world(t, strict)
		d, err := kernel.Run(t.Context(), flowType(methods, nil), w, request.Request{}, "f1", kernel.Command[fields]{Method: "send", Body: fields{"tok"}})
		require.NoError(t, err)
		assert.Equal(t, "messages: none", d.View, "the view is taken after the method")
		assert.Empty(t, stored(t, w).Messages)
	})
	t.Run("one-time secrets are in the answer and never stored", func(t *testing.T) {
		w := world(t, strict)
		d, err := kernel.Run(t.Context(), flowType(methods, nil), w, request.Request{}, "f1", kernel.Command[fields]{Method: "secrets", Body: fields{"tok"}})
		require.NoError(t, err)
		assert.Equal(t, []string{"abcd1234"}, d.Flow.ShownLookup)
		assert.Empty(t, stored(t, w).ShownLookup)
	})
	t.Run("After follows every success, and only success", func(t *testing.T) {
		w := world(t, strict)
		afters := 0
		after := func(st *kernel.Step, o *kernel.Outcome) error { afters++; o.To = flow.SentEmail; return nil }
		typ := flowType(map[string]kernel.Method[fields]{"save": moveTo(""), "wrong": methods["wrong"]}, after)
		_, err := kernel.Run(t.Context(), typ, w, request.Request{}, "f1", kernel.Command[fields]{Method: "wrong", Body: fields{"tok"}})
		require.Error(t, err)
		assert.Equal(t, 0, afters)
		_, err = kernel.Run(t.Context(), typ, w, request.Request{}, "f1", kernel.Command[fields]{Method: "save", Body: fields{"tok"}})
		require.NoError(t, err)
		assert.Equal(t, 1, afters)
		assert.Equal(t, flow.SentEmail, stored(t, w).State(), "After may name where the flow goes")
	})
	t.Run("a flow the load refuses is answered as the load says", func(t *testing.T) {
		w := world(t, strict)
		_, err := kernel.Run(t.Context(), flowType(methods, nil), w, request.Request{}, "nope", kernel.Command[fields]{Method: "send", Body: fields{"tok"}})
		var e *apierr.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, apierr.NotFound, e.Code)
		assert.Nil(t, e.ContinueFlow)
	})
}
