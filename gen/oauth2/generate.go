// Package oauth2 holds the Go models generated from openapi/avnology-id-oauth2.yaml, the OAuth
// 2.1 endpoints ("Sign in with Avnology"). Only models: the endpoints answer RFC 6749's errors
// and redirects, which the mock serves by hand rather than through a strict server. Never edit
// the *.gen.go files.
package oauth2

//go:generate go tool oapi-codegen -config models.cfg.yaml ../../openapi/avnology-id-oauth2.yaml
