package mockserver

import (
	"net/http"
	"strings"

	"github.com/avnology/idflows/mockserver/internal/inspector"

	"github.com/go-chi/chi/v5"

	"github.com/avnology/idflows/gen/api"
	"github.com/avnology/idflows/gen/control"
	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/openapi/contract"
)

// routes is the mock's one router. chi matches each request once; the contract middlewares of
// an operation run after that match and learn the operation from it (by method and path
// template, the same in the contract and in the generated routes), so no request is routed
// twice. A request chi matches nowhere is 404 _904, or 405 _905 on a known path.
func (s *Server) routes() http.Handler {
	// Each wraps the next: the first listed sees the request first and the answer last.
	return chain(s.withPages(s.router()),
		s.deviate,        // transport deviations, applied to the finished answer
		s.requestID,      // X-Request-Id, the log line and the journal entry
		s.recoverer,      // a panic is 500 _900
		s.noStore,        // Cache-Control: no-store
		s.serveProviders, // the built-in social providers, under /_mock/oidc/
		s.cors,           // CORS for configured origins, and preflights
		s.guardControl,   // who may use /_mock/
		s.tenant,         // the request's world and credentials
		s.limitBody,      // the body, read once and bounded
	)
}

// withPages serves the account pages under /ui/, the authorization server under /oauth2/ and
// /.well-known/ (whose OAuth errors are not the flow API's envelope), and the inspector at
// /_mock/ (behind guardControl like the rest of /_mock/), and hands every other request to
// the router.
func (s *Server) withPages(router http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == uiPrefix || strings.HasPrefix(r.URL.Path, uiPrefix+"/") {
			s.pages.ServeHTTP(w, r)
			return
		}
		if servesOAuth2(r.URL.Path) {
			s.serveOAuth2(w, r)
			return
		}
		if inspector.Serves(r.URL.Path) && !s.cfg.Control.Disabled {
			s.inspector.ServeHTTP(w, r)
			return
		}
		router.ServeHTTP(w, r)
	})
}

// router routes every operation of both contracts to its generated handler, behind the
// operation's contract middlewares.
func (s *Server) router() chi.Router {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apierr.New(apierr.NotFound, "No operation matches "+r.Method+" "+r.URL.Path+"."))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apierr.MethodNotAllowed("The method "+r.Method+" is not allowed on this path."))
	})
	badParam := func(w http.ResponseWriter, r *http.Request, err error) {
		s.writeError(w, r, apierr.Invalid("The request is invalid.", apierr.Field("request", err.Error())))
	}
	strictErrors := func(w http.ResponseWriter, r *http.Request, err error) { s.writeError(w, r, err) }
	badBody := func(w http.ResponseWriter, r *http.Request, err error) {
		s.writeError(w, r, apierr.Invalid("The request body is invalid.", apierr.Field("body", err.Error())))
	}
	r.Group(func(g chi.Router) {
		g.Use(s.operation(s.flows), s.browserAnswers, s.validate, s.forceError, s.checkResponses(s.flows))
		api.HandlerWithOptions(
			api.NewStrictHandlerWithOptions(&flowAPI{s}, nil, api.StrictHTTPServerOptions{RequestErrorHandlerFunc: badBody, ResponseErrorHandlerFunc: strictErrors}),
			api.ChiServerOptions{BaseRouter: g, ErrorHandlerFunc: badParam})
	})
	r.Group(func(g chi.Router) {
		g.Use(s.operation(s.control), s.validate, s.checkResponses(s.control))
		control.HandlerWithOptions(
			control.NewStrictHandlerWithOptions(&controlAPI{s}, nil, control.StrictHTTPServerOptions{RequestErrorHandlerFunc: badBody, ResponseErrorHandlerFunc: strictErrors}),
			control.ChiServerOptions{BaseRouter: g, ErrorHandlerFunc: badParam})
	})
	return r
}

// chain wraps h in middlewares, the first outermost.
func chain(h http.Handler, middlewares ...func(http.Handler) http.Handler) http.Handler {
	for i := len(middlewares) - 1; i >= 0; i-- {
		h = middlewares[i](h)
	}
	return h
}

// operation names the operation chi matched, and its path parameters, for the middlewares
// after it and the journal.
func (s *Server) operation(ctr *contract.Contract) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := chi.RouteContext(r.Context())
			if customMethodOnWrongVerb(ctr, rc) {
				s.writeError(w, r, apierr.MethodNotAllowed("The method "+r.Method+" is not allowed on this path."))
				return
			}
			op := ctr.OperationAt(r.Method, rc.RoutePattern())
			if op == nil { // a generated route the compiled contract lacks: the build is broken
				s.writeError(w, r, apierr.InternalError())
				return
			}
			c := callFrom(r.Context())
			c.operation = op
			c.operationID, c.query = op.ID, r.URL.Query()
			c.params = make(map[string]string, len(rc.URLParams.Keys))
			for i, k := range rc.URLParams.Keys {
				c.params[k] = rc.URLParams.Values[i]
			}
			next.ServeHTTP(w, r)
		})
	}
}

// customMethodOnWrongVerb reports a request for a custom method's path ("/v1/flows/login/{flow_id}:submit")
// with another verb: chi's {flow_id} also matches "id:submit", and routes it to the flow's GET.
// It is that path, so the answer is 405, not a 400 about a malformed id.
func customMethodOnWrongVerb(ctr *contract.Contract, rc *chi.Context) bool {
	pattern := rc.RoutePattern()
	for i, key := range rc.URLParams.Keys {
		if _, verb, ok := strings.Cut(rc.URLParams.Values[i], ":"); ok {
			param := "{" + key + "}"
			if ctr.HasPath(strings.Replace(pattern, param, param+":"+verb, 1)) {
				return true
			}
		}
	}
	return false
}
