// Package openapi embeds the contracts — the Avnology ID flow API, its OAuth 2.1 endpoints and
// the mock's control plane — and loads each once, validated, for the validators that need the
// parsed document.
package openapi

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"net/url"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed avnology-id-flows.yaml
var flowsYAML []byte

//go:embed mock-control.yaml
var controlYAML []byte

//go:embed avnology-id-oauth2.yaml
var oauth2YAML []byte

// Flows returns the Avnology ID flow API contract, byte for byte as written.
func Flows() []byte { return flowsYAML }

// Control returns the mock's control-plane contract, byte for byte as written.
func Control() []byte { return controlYAML }

// OAuth2 returns the contract of the OAuth 2.1 endpoints ("Sign in with Avnology"), byte for
// byte as written.
func OAuth2() []byte { return oauth2YAML }

// FlowsSHA256 is the hex SHA-256 of Flows(): the contract version reports and binaries quote.
func FlowsSHA256() string {
	sum := sha256.Sum256(flowsYAML)
	return hex.EncodeToString(sum[:])
}

// The contracts use the formats email and uri; kin-openapi checks them only once defined.
func init() {
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	openapi3.DefineStringFormatValidator("uri", openapi3.NewCallbackValidator(func(v string) error {
		u, err := url.Parse(v)
		if err != nil || !u.IsAbs() || u.Host == "" {
			return fmt.Errorf("not an absolute URI")
		}
		return nil
	}))
}

var (
	loadFlows   = sync.OnceValues(func() (*openapi3.T, error) { return load("avnology-id-flows.yaml", flowsYAML) })
	loadControl = sync.OnceValues(func() (*openapi3.T, error) { return load("mock-control.yaml", controlYAML) })
	loadOAuth2  = sync.OnceValues(func() (*openapi3.T, error) { return load("avnology-id-oauth2.yaml", oauth2YAML) })
)

// LoadFlows parses and validates the flow API contract once per process. Callers must not
// modify the returned document.
func LoadFlows() (*openapi3.T, error) { return loadFlows() }

// LoadControl parses and validates the control-plane contract once per process.
func LoadControl() (*openapi3.T, error) { return loadControl() }

// LoadOAuth2 parses and validates the OAuth 2.1 contract once per process.
func LoadOAuth2() (*openapi3.T, error) { return loadOAuth2() }

func load(name string, data []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate %s: %w", name, err)
	}
	return doc, nil
}
