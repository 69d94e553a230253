package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/avnology/idflows/conformance/report"
	"github.com/avnology/idflows/conformance/watch"
	"github.com/avnology/idflows/internal/origins"
)

// runProxy is `idflows proxy`: put it between an app and a deployment, use the app, and see
// every answer that breaks the contract.
func runProxy(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	upstream := fs.String("upstream", "", "the deployment's base URL (required), e.g. https://staging.example.com")
	listen := fs.String("listen", "127.0.0.1:4434", "address to listen on; point your app at it")
	failOn := fs.String("fail-on", "must", "exit 1 when an answer broke a MUST (must), or also when a request broke the contract (should: the app's own requests)")
	annotate := fs.Bool("annotate", false, "add X-Idflows-Violations to each answer that broke the contract, for a browser's developer tools")
	corsOrigins := fs.String("cors-origins", "", "comma-separated origins the deployment lets read answers with credentials (your app's), or localhost for any on localhost; any other origin let in is reported (REQ-CSRF-005). Unset, CORS is not judged")
	reportDir := fs.String("report-dir", "", "write the session's report.json, junit.xml and report.html here when stopped: a case per operation, the offending exchanges as evidence (secrets redacted)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: idflows proxy --upstream URL [flags]\n\nForwards every request to --upstream unchanged and judges each exchange by the contract, as\nthe conformance suite does: a line per violation as it happens, a summary on Ctrl-C.\nExit 1 when an answer broke the contract (--fail-on should: or a request did), 0 otherwise.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	if *failOn != "must" && *failOn != "should" {
		fmt.Fprintln(stderr, "idflows proxy: --fail-on must be must or should")
		return exitUsage
	}
	u, err := url.Parse(*upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		fmt.Fprintln(stderr, "idflows proxy: --upstream must be an http(s) URL without credentials")
		return exitUsage
	}
	var allows func(string) bool // CORS is judged only when told the deployment's origins
	if *corsOrigins != "" {
		set, err := origins.Parse(strings.Split(*corsOrigins, ",")...)
		if err != nil {
			fmt.Fprintf(stderr, "idflows proxy: --cors-origins: %v\n", err)
			return exitUsage
		}
		allows = set.Allows
	}
	p, err := watch.New(u, stdout, allows)
	if err != nil {
		fmt.Fprintf(stderr, "idflows proxy: %v\n", err)
		return exitFailure
	}
	p.Annotate = *annotate
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "idflows proxy: %v\n", err)
		return exitFailure
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "idflows proxy on http://%s → %s: a line per violation; Ctrl-C for the summary\n", ln.Addr(), u.Redacted())
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "idflows proxy: %v\n", err)
		return exitFailure
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "idflows proxy: shutdown: %v\n", err)
	}
	p.Close()
	sum := p.Summary()
	fmt.Fprintf(stdout, "idflows proxy: %d exchanges, %d not judged (too large, or the mock's /_mock/), %d violations\n", sum.Exchanges, sum.NotJudged, len(sum.Violations))
	byOp := sum.ByOperation()
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		fmt.Fprintf(stdout, "  %-28s %d\n", op, byOp[op])
	}
	if *reportDir != "" {
		if _, err := report.WriteDir(*reportDir, p.Report()); err != nil {
			fmt.Fprintf(stderr, "idflows proxy: report: %v\n", err)
			return exitFailure
		}
	}
	for _, v := range sum.Violations {
		if v.Side == "response" || *failOn == "should" { // what the deployment broke; the app's requests only warn
			return exitFailure
		}
	}
	return exitOK
}
