package mockserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/avnology/idflows/mockserver/internal/apierr"
	"github.com/avnology/idflows/mockserver/internal/request"
	"github.com/avnology/idflows/mockserver/internal/tenant"
	"github.com/avnology/idflows/openapi/contract"
)

// call is one request as the layers of the mock share it.
type call struct {
	requestID   string
	operationID string
	world       *tenant.World
	req         request.Request
	header      http.Header // the response's headers, for cookies set by handlers
	errorCode   string      // the error code answered, for the journal
	body        []byte      // the request body, read once and bounded by limitBody
	// The operation chi matched, with its path parameters, and the request as validated (what
	// a response is checked against).
	operation *contract.Operation
	params    map[string]string
	query     url.Values
	// form is the schema of a form-encoded request body (browser mode), nil for JSON.
	form      *openapi3.Schema
	validated *openapi3filter.RequestValidationInput
}

type callKey struct{}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callFrom returns the request's call; the middleware always installs one.
func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	if c == nil {
		return &call{header: http.Header{}}
	}
	return c
}

// cookie makes one of the mock's cookies, living maxAge. Max-Age rather than Expires: the mock's
// clock may be set far from the browser's, which would drop an Expires cookie at once.
func (s *Server) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.cfg.SecureCookies,
	}
	if ck.MaxAge <= 0 {
		ck.MaxAge = -1 // delete
	}
	return ck
}

// setCookie adds a Set-Cookie header to the response.
func (c *call) setCookie(ck *http.Cookie) { c.header.Add("Set-Cookie", ck.String()) }

// decodeOnce decodes the request body — read once, bounded and validated against the contract
// by the middleware — into a flow's command. It is the one decode of a submit the flows see:
// they get commands, never the generated request unions. A form-encoded body (browser mode) is
// read as its JSON twin.
func decodeOnce(c *call, cmd any) error {
	body := c.body
	if c.form != nil {
		var err error
		if body, err = formAsJSON(c.body, c.form); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(body, cmd); err != nil {
		return apierr.Invalid("The request body is invalid.", apierr.Field("body", err.Error()))
	}
	return nil
}
