package mockserver

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/avnology/idflows/mockserver/internal/apierr"
)

// Browser mode: a plain HTML form posts a submit form-encoded with Accept: text/html, and the
// browser must be sent somewhere, not shown JSON. The flows answer as always; browserAnswers
// turns the answer into a 303 — to return_to (or the UI) after a sign-in, to a social
// provider's redirect, and to the UI URL with ?flow=<id> for a next step or an error the flow
// shows (D8's CSRF cookie rules hold as for any submit).

const formContent = "application/x-www-form-urlencoded"

// wantsHTML reports whether the client is a browser navigating (a form post), not a script.
func wantsHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := mime.ParseMediaType(strings.TrimSpace(part))
		switch mt {
		case "application/json":
			return false
		case "text/html":
			return true
		}
	}
	return false
}

// browserAnswers answers submits of browsers with 303s.
func (s *Server) browserAnswers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callFrom(r.Context())
		kind, isSubmit := submitKind(c.operation.ID)
		if !isSubmit || !wantsHTML(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: w.Header().Clone(), status: http.StatusOK} // with what the outer layers set
		next.ServeHTTP(rec, r)
		loc := s.browserLocation(kind, rec.status, rec.body.Bytes())
		if loc == "" { // nothing to show a browser but the error itself
			copyHeader(w.Header(), rec.header)
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body.Bytes())
			return
		}
		copyHeader(w.Header(), rec.header)
		w.Header().Del("Content-Type")
		w.Header().Del("Content-Length")
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusSeeOther)
	})
}

// submitKind is the flow type a submit operation acts on.
func submitKind(operationID string) (string, bool) {
	rest, ok := strings.CutPrefix(operationID, "submit")
	kind, isFlow := strings.CutSuffix(rest, "Flow")
	return strings.ToLower(kind), ok && isFlow
}

// browserLocation is where a browser goes after a submit's JSON answer, "" for an error no
// flow shows (it is answered as it is).
func (s *Server) browserLocation(kind string, status int, body []byte) string {
	var doc struct {
		Session      json.RawMessage       `json:"session"`
		ReturnTo     string                `json:"return_to"`
		Redirect     *struct{ URL string } `json:"redirect"`
		ContinueFlow *flowRef              `json:"continue_flow"`
		Error        *struct {
			Details struct {
				UseFlowID string `json:"use_flow_id"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &doc) != nil {
		return ""
	}
	ui := func(kind, id string) string { return s.cfg.UIURL + "/" + kind + "?flow=" + url.QueryEscape(id) }
	switch {
	case status == http.StatusOK && doc.Redirect != nil:
		return doc.Redirect.URL
	case status == http.StatusOK && doc.ReturnTo != "":
		return doc.ReturnTo
	case status == http.StatusOK && len(doc.Session) > 0:
		return s.cfg.UIURL + "/"
	case doc.ContinueFlow != nil: // a next step, or an error the flow shows
		return ui(doc.ContinueFlow.Type, doc.ContinueFlow.ID)
	case doc.Error != nil && doc.Error.Details.UseFlowID != "":
		return ui(kind, doc.Error.Details.UseFlowID)
	}
	return ""
}

type flowRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

// formAsJSON reads a form-encoded submit as its JSON twin: {method, body} with the dotted
// names nested (traits.email → traits.email) and booleans typed as the form's schema says.
func formAsJSON(body []byte, schema *openapi3.Schema) ([]byte, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, apierr.Invalid("The form body is invalid.", apierr.Field("body", err.Error()))
	}
	fields := map[string]any{}
	for name, vs := range values {
		if name == "method" || len(vs) == 0 {
			continue
		}
		var v any = vs[len(vs)-1]
		if p := schema.Properties[name]; p != nil && p.Value != nil && p.Value.Type.Is(openapi3.TypeBoolean) {
			b, err := strconv.ParseBool(vs[len(vs)-1])
			if err != nil {
				return nil, apierr.Invalid("The form body is invalid.", apierr.Field("body."+name, "not a boolean"))
			}
			v = b
		}
		target, path := fields, strings.Split(name, ".")
		for _, part := range path[:len(path)-1] {
			next, _ := target[part].(map[string]any)
			if next == nil {
				next = map[string]any{}
				target[part] = next
			}
			target = next
		}
		target[path[len(path)-1]] = v
	}
	return json.Marshal(map[string]any{"method": values.Get("method"), "body": fields})
}
