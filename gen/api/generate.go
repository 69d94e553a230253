// Package api holds the Go code generated from openapi/avnology-id-flows.yaml: models, the chi
// strict server interface and the client. Never edit the *.gen.go files; run go generate.
package api

//go:generate go tool oapi-codegen -config models.cfg.yaml ../../openapi/avnology-id-flows.yaml
//go:generate go tool oapi-codegen -config server.cfg.yaml ../../openapi/avnology-id-flows.yaml
//go:generate go tool oapi-codegen -config client.cfg.yaml ../../openapi/avnology-id-flows.yaml
