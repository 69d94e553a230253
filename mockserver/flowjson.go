package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/avnology/idflows/gen/api"
)

// flowJSON is a flow answered as pre-encoded JSON. encoding/json re-scans the raw JSON of every
// union value it writes — each UI node — which was a quarter of createLoginFlow's CPU; here the
// flow is encoded without its nodes, and the nodes' own bytes are spliced in once.
type flowJSON []byte

var nodesPlaceholder = []byte(`"nodes":null`)

// encodeFlow encodes v, whose UI container is ui, with its nodes spliced in.
func encodeFlow(v any, ui *api.UiContainer) (flowJSON, error) {
	nodes := ui.Nodes
	ui.Nodes = nil
	head, err := json.Marshal(v)
	ui.Nodes = nodes
	if err != nil {
		return nil, err
	}
	// Inside a JSON string the quotes of this sequence would be escaped, so it occurs once.
	i := bytes.Index(head, nodesPlaceholder)
	if i < 0 {
		return nil, fmt.Errorf("flowjson: no nodes in %T", v)
	}
	out := make([]byte, 0, len(head)+len(nodes)*256)
	out = append(out, head[:i]...)
	out = append(out, `"nodes":[`...)
	for k, n := range nodes {
		raw, err := n.MarshalJSON()
		if err != nil {
			return nil, err
		}
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	out = append(out, ']')
	return append(out, head[i+len(nodesPlaceholder):]...), nil
}

func (f flowJSON) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(f)
	return err
}

func (f flowJSON) VisitCreateLoginFlowResponse(w http.ResponseWriter) error        { return f.write(w) }
func (f flowJSON) VisitGetLoginFlowResponse(w http.ResponseWriter) error           { return f.write(w) }
func (f flowJSON) VisitCreateRegistrationFlowResponse(w http.ResponseWriter) error { return f.write(w) }
func (f flowJSON) VisitGetRegistrationFlowResponse(w http.ResponseWriter) error    { return f.write(w) }
func (f flowJSON) VisitCreateSettingsFlowResponse(w http.ResponseWriter) error     { return f.write(w) }
func (f flowJSON) VisitGetSettingsFlowResponse(w http.ResponseWriter) error        { return f.write(w) }
