package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/avnology/idflows/openapi"
)

func runSpec(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("spec", flag.ContinueOnError)
	fs.SetOutput(stderr)
	control := fs.Bool("control", false, "write the mock's control-plane contract instead")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: idflows spec [--control]\n\nWrites the embedded OpenAPI contract (YAML) to stdout.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	doc := openapi.Flows()
	if *control {
		doc = openapi.Control()
	}
	if _, err := stdout.Write(doc); err != nil {
		fmt.Fprintf(stderr, "idflows spec: %v\n", err)
		return exitFailure
	}
	return exitOK
}
