// Package control holds the Go code generated from openapi/mock-control.yaml, the mock's control
// plane: models, the chi strict server interface and the client. Never edit the *.gen.go files.
package control

//go:generate go tool oapi-codegen -config models.cfg.yaml ../../openapi/mock-control.yaml
//go:generate go tool oapi-codegen -config server.cfg.yaml ../../openapi/mock-control.yaml
//go:generate go tool oapi-codegen -config client.cfg.yaml ../../openapi/mock-control.yaml
