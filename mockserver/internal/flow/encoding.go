package flow

import (
	"encoding/json"
	"fmt"
	"slices"
)

// stored is a flow as kept outside the process: its fields and its state.
type stored struct {
	plain
	State State
}

type plain Flow // Flow's fields without its methods, so encoding does not recurse

// MarshalJSON encodes the flow with its state, for a store shared by replicas.
func (f Flow) MarshalJSON() ([]byte, error) { return json.Marshal(stored{plain(f), f.state}) }

// UnmarshalJSON decodes a flow encoded by MarshalJSON, refusing a type or state its machine
// does not know: a flow is never read into a state MoveTo could not have reached.
func (f *Flow) UnmarshalJSON(b []byte) error {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	m, ok := Machines[s.Type]
	if !ok {
		return fmt.Errorf("flow: unknown type %q", s.Type)
	}
	if s.State != m.Initial && !slices.ContainsFunc(m.Transitions, func(t Transition) bool { return t.To == s.State }) {
		return fmt.Errorf("flow: a %s flow has no state %q", s.Type, s.State)
	}
	*f = Flow(s.plain)
	f.state = s.State
	return nil
}
