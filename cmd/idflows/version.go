package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/avnology/idflows/openapi"
)

// Set at link time by the Makefile: -X main.version=… -X main.commit=….
var (
	version = "dev"
	commit  = ""
)

// buildCommit is the commit the binary was built from: the linker's, else the toolchain's VCS
// stamp, else "unknown".
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(stdout, "idflows %s\ncommit %s\ncontract sha256 %s\n", version, buildCommit(), openapi.FlowsSHA256())
	return exitOK
}
