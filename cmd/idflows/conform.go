package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/avnology/idflows/conformance"
	"github.com/avnology/idflows/conformance/report"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// headerFlags collects repeated --header "Name: value" flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }
func (h headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("conform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", os.Getenv("IDFLOWS_CONFORM_CONFIG"), "YAML file of settings, one key per flag name (env IDFLOWS_CONFORM_CONFIG); flags win")
	target := fs.String("target", os.Getenv("IDFLOWS_TARGET"), "base URL of the deployment under test (env IDFLOWS_TARGET)")
	profiles := fs.String("profile", "", "comma-separated profiles to run: "+strings.Join(conformance.Profiles(), ",")+" (default all)")
	runExpr := fs.String("run", "", "only cases whose id matches this regular expression")
	inbox := fs.String("inbox", "", "where sent codes are read: mock (the mock's outbox) or mailpit=URL")
	control := fs.String("control", "", "base URL of an idflows mock control plane (/_mock): clock, seeding, per-case isolation")
	controlToken := fs.String("control-token", "", "the mock's control token, sent as X-Mock-Token (env IDFLOWS_CONTROL_TOKEN; never printed)")
	parallel := fs.Int("parallel", 4, "cases run at once")
	timeout := fs.Duration("timeout", 10*time.Second, "timeout of each HTTP exchange")
	caseTimeout := fs.Duration("case-timeout", 30*time.Second, "timeout of each case")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate")
	waiversFile := fs.String("waivers", "", "YAML file of expected failures (case id and reason)")
	accountsFile := fs.String("accounts", "", "YAML file of accounts provisioned on the target, for what the API cannot make (a disabled account); see fixtures/accounts.yaml")
	reportDir := fs.String("report-dir", "", "write report.json, junit.xml and report.html here")
	junitFile := fs.String("junit", "", "write a JUnit XML report to this file")
	jsonFile := fs.String("json", "", "write the JSON report to this file")
	htmlFile := fs.String("html", "", "write the HTML report to this file")
	list := fs.Bool("list", false, "list the selected cases and exit")
	verbose := fs.Bool("verbose", false, "print a line for every case as it finishes (by default only for cases that did not pass)")
	allowSkips := fs.Bool("allow-skips", false, "cases skipped for a missing capability do not keep the run from PASS (their profiles are still not certified)")
	rpID := fs.String("webauthn-rp-id", "", "the WebAuthn relying-party id the target verifies passkeys for (enables passkey cases)")
	rpOrigin := fs.String("webauthn-origin", "", "the origin the target expects in passkey ceremonies (with --webauthn-rp-id)")
	oidcProvider := fs.String("oidc-provider", "", "a social provider the target offers, e.g. google (enables social sign-in cases)")
	oauthClient := fs.String("oauth2-client-id", "", "a client registered on the target for the suite to play in the oauth2 profile (--control registers one); its secret, if confidential, in env IDFLOWS_OAUTH2_CLIENT_SECRET")
	oauthRedirect := fs.String("oauth2-redirect-uri", "", "a redirect URI that client registered, exactly (never followed: nothing needs to listen there)")
	headers := headerFlags{}
	fs.Var(headers, "header", "extra request header \"Name: value\" (repeatable)")
	image := fs.String("image", "", "certify a container image instead of a --target: start it with Docker (testcontainers-go), run the suite, keep its log as container.log in --report-dir, remove it")
	imagePort := fs.Int("image-port", 4433, "the port the image serves the API on")
	imageTimeout := fs.Duration("image-timeout", time.Minute, "how long the image may take to answer HTTP")
	var imageEnv, imageArgs listFlag
	fs.Var(&imageEnv, "image-env", "K=V added to the image's environment (repeatable)")
	fs.Var(&imageArgs, "image-arg", "an argument appended to the image's command (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: idflows conform --target URL [flags]\n\nDrives the target through the flows and judges every answer against the contract.\n"+
			"Exit 0 PASS: every selected case passed, was waived or only warns, and one passed at least;\n"+
			"1 FAIL: a MUST failed; 2 ERROR: a usage error, or the target, control plane or inbox does not answer\n"+
			"(before the run or during it); 3 INCOMPLETE: nothing failed, but cases need review or were skipped.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	usageErr := func(format string, args ...any) int {
		fmt.Fprintf(stderr, "idflows conform: "+format+"\n", args...)
		return exitUsage
	}
	if *configFile != "" {
		if err := applyConfigFile(fs, *configFile, map[string]string{"target": "IDFLOWS_TARGET", "control-token": "IDFLOWS_CONTROL_TOKEN"}); err != nil {
			return usageErr("--config: %v", err)
		}
	}

	opts := conformance.Options{Parallel: *parallel, CaseTimeout: *caseTimeout, AllowSkips: *allowSkips}
	if *profiles != "" {
		opts.Profiles = strings.Split(*profiles, ",")
	}
	if *runExpr != "" {
		re, err := regexp.Compile(*runExpr)
		if err != nil {
			return usageErr("--run: %v", err)
		}
		opts.Run = re
	}
	if *parallel < 1 || *parallel > 64 {
		return usageErr("--parallel must be between 1 and 64")
	}
	plan, err := conformance.Plan(opts)
	if err != nil {
		return usageErr("%v", err)
	}
	if len(plan) == 0 {
		return usageErr("no case matches --profile %q --run %q", *profiles, *runExpr)
	}
	if *list {
		for _, c := range plan {
			fmt.Fprintf(stdout, "%-9s %-58s %s\n", c.Profile, c.ID, c.Title)
		}
		return exitOK
	}
	if *image != "" {
		if *target != "" || *control != "" {
			return usageErr("--image starts its own target: no --target or --control with it")
		}
		img := conformance.Image{Name: *image, Port: *imagePort, Args: imageArgs, ReadyTimeout: *imageTimeout, Env: map[string]string{}}
		for _, kv := range imageEnv {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usageErr("--image-env wants K=V, got %q", kv)
			}
			img.Env[k] = v
		}
		fmt.Fprintf(stderr, "idflows conform: starting %s\n", *image)
		tclog.SetDefault(tclog.NewNoopLogger()) // testcontainers' own banner; failures say what they need
		started, err := conformance.StartImage(ctx, img)
		if err != nil {
			fmt.Fprintf(stderr, "idflows conform: %v\n", err)
			return exitUsage // 2 ERROR: the target does not answer
		}
		defer func() {
			stopCtx := context.WithoutCancel(ctx)
			if *reportDir != "" {
				if logs, err := started.Logs(stopCtx); err == nil {
					_ = os.MkdirAll(*reportDir, 0o755)
					_ = os.WriteFile(filepath.Join(*reportDir, "container.log"), logs, 0o644)
				}
			}
			_ = started.Stop(stopCtx)
		}()
		*target = started.URL
		if started.Mock { // an idflows mock: its control plane, its outbox, its relying party
			*control, *controlToken = started.URL, started.ControlToken
			if *inbox == "" {
				*inbox = "mock"
			}
			if *rpID == "" {
				*rpID, *rpOrigin = "localhost", started.URL
			}
		}
	}
	if *target == "" {
		return usageErr("--target (or --image) is required")
	}
	if *waiversFile != "" {
		if opts.Waivers, err = conformance.LoadWaivers(*waiversFile); err != nil {
			return usageErr("%v", err)
		}
	}

	t := conformance.Target{BaseURL: *target, Timeout: *timeout, Header: http.Header(headers), InsecureSkipVerify: *insecure, OIDCProvider: *oidcProvider}
	if *accountsFile != "" {
		if t.Accounts, err = conformance.LoadAccounts(*accountsFile); err != nil {
			return usageErr("--accounts: %v", err)
		}
	}
	if (*rpID == "") != (*rpOrigin == "") {
		return usageErr("--webauthn-rp-id and --webauthn-origin go together")
	}
	if *rpID != "" {
		t.WebAuthn = &conformance.RelyingParty{ID: *rpID, Origin: *rpOrigin}
	}
	if (*oauthClient == "") != (*oauthRedirect == "") {
		return usageErr("--oauth2-client-id and --oauth2-redirect-uri go together")
	}
	if *oauthClient != "" {
		t.OAuth2 = conformance.OAuth2App{ClientID: *oauthClient, ClientSecret: os.Getenv("IDFLOWS_OAUTH2_CLIENT_SECRET"), RedirectURI: *oauthRedirect}
	}
	if *control != "" || *inbox == "mock" {
		base := *control
		if base == "" {
			base = *target
		}
		token := *controlToken
		if token == "" {
			token = os.Getenv("IDFLOWS_CONTROL_TOKEN")
		}
		m, err := conformance.NewMockControl(base, &http.Client{Timeout: *timeout}, token)
		if err != nil {
			return usageErr("--control: %v", err)
		}
		if *control != "" {
			m.Use(&t) // the clock, seeding, isolation, and the built-in social providers
		}
		t.Inbox = nil
		if *inbox == "mock" {
			t.Inbox = m
		}
	}
	switch {
	case *inbox == "" || *inbox == "mock":
	case strings.HasPrefix(*inbox, "mailpit="):
		t.Inbox = conformance.Mailpit{BaseURL: strings.TrimPrefix(*inbox, "mailpit="), Client: &http.Client{Timeout: *timeout}}
	default:
		return usageErr("--inbox must be mock or mailpit=URL, got %q", *inbox)
	}

	conformance.Version = version
	done := 0
	opts.Progress = func(c report.Case) {
		done++
		if *verbose || c.Status != report.Passed || c.StaleWaiver {
			fmt.Fprintf(stdout, "[%*d/%d] %s\n", len(fmt.Sprint(len(plan))), done, len(plan), report.Line(c))
		}
	}
	fmt.Fprintf(stdout, "idflows conform: %d cases against %s\n", len(plan), *target)
	rep, err := conformance.Check(ctx, t, opts)
	var pre *conformance.PreflightError
	switch {
	case errors.As(err, &pre):
		flag := map[string]string{"target": "--target", "control": "--control", "inbox": "--inbox"}[pre.Part]
		fmt.Fprintf(stderr, "idflows conform: ERROR: %s does not answer as it must: %s\n", flag, report.Sanitize(pre.Problem))
		if pre.Hint != "" {
			fmt.Fprintf(stderr, "  hint: %s\n", pre.Hint)
		}
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "idflows conform: %v\n", err)
		return exitUsage
	}
	if err := report.Human(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "idflows conform: %v\n", err)
	}
	outputs := map[string]report.Writer{}
	if *reportDir != "" {
		if err := os.MkdirAll(*reportDir, 0o755); err != nil {
			fmt.Fprintf(stderr, "idflows conform: %v\n", err)
			return exitFailure
		}
		for name, write := range report.DirFormats {
			outputs[filepath.Join(*reportDir, name)] = write
		}
	}
	for file, write := range map[string]report.Writer{*jsonFile: report.JSON, *junitFile: report.JUnit, *htmlFile: report.HTML} {
		if file != "" {
			outputs[file] = write
		}
	}
	for file, write := range outputs {
		if err := report.WriteFile(file, rep, write); err != nil {
			fmt.Fprintf(stderr, "idflows conform: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "wrote %s\n", file)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "idflows conform: interrupted; the cases not run are SKIPPED")
	}
	return rep.Summary.Outcome.ExitCode()
}
