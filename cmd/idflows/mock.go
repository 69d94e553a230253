package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/avnology/idflows/fixtures"
	"github.com/avnology/idflows/mockserver"
)

// mockSettings are the mock's settings; each has a flag, an IDFLOWS_* variable and a key of the
// optional YAML config file. Precedence: flag, then environment, then file, then default.
type mockSettings struct {
	Listen        string   `yaml:"listen"`
	BaseURL       string   `yaml:"base_url"`
	CORSOrigins   []string `yaml:"cors_origins"`
	ReturnTo      []string `yaml:"return_to"`
	SecureCookies bool     `yaml:"secure_cookies"`
	Seed          string   `yaml:"seed"`
	LogFormat     string   `yaml:"log_format"`
	LogLevel      string   `yaml:"log_level"`
	Personas      string   `yaml:"personas"`
	// SessionLifetime and FlowLifetimes are Go durations: "24h", "login=5m,registration=10m".
	SessionLifetime string   `yaml:"session_lifetime"`
	FlowLifetimes   string   `yaml:"flow_lifetimes"`
	WebAuthnRPID    string   `yaml:"webauthn_rp_id"`
	WebAuthnOrigins []string `yaml:"webauthn_origins"`
	// ControlToken guards the control plane; NoControl switches it off (D13).
	ControlToken string `yaml:"control_token"`
	NoControl    bool   `yaml:"no_control"`
	// ShutdownGrace is how long requests in flight may finish after SIGTERM.
	ShutdownGrace string `yaml:"shutdown_grace"`
	// MaxTenants and Max* bound the memory of all tenants together.
	MaxTenants    string `yaml:"max_tenants"`
	MaxFlows      string `yaml:"max_flows"`
	MaxSessions   string `yaml:"max_sessions"`
	MaxIdentities string `yaml:"max_identities"`
	// LoginLimit is login submits per identifier per minute (10, as documented).
	LoginLimit string `yaml:"login_limit"`
	// OIDCBuiltIn names the built-in test providers ("none" for none); OIDCProviders are real
	// ones, "name=issuer,client_id,client_secret" each (a secret of the form $VAR is read from
	// the environment, so it need not be on a command line).
	OIDCBuiltIn   []string `yaml:"oidc_builtin"`
	OIDCProviders []string `yaml:"oidc_providers"`
	UIURL         string   `yaml:"ui_url"`
	// SMTPURL relays every email to a mail catcher such as Mailpit (smtp://host:port).
	SMTPURL string `yaml:"smtp_url"`
	// Store is where tenants live: memory, or redis://host:port/db shared by replicas.
	Store string `yaml:"store"`
	// Deviations is flag-only: a mock that breaks the contract must never come from a shared file.
	Deviations string `yaml:"-"`
}

func runMock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mock", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", os.Getenv("IDFLOWS_CONFIG"), "YAML config file (env IDFLOWS_CONFIG)")
	listen := fs.String("listen", "", "address to listen on (env IDFLOWS_LISTEN; default 127.0.0.1:4433)")
	baseURL := fs.String("base-url", "", "public base URL used in ui.action (env IDFLOWS_BASE_URL; default http://<listen>)")
	cors := fs.String("cors-origins", "", "comma-separated browser origins allowed with credentials, or localhost for any origin on localhost (env IDFLOWS_CORS_ORIGINS)")
	returnTo := fs.String("return-to", "", "comma-separated extra return_to origins (env IDFLOWS_RETURN_TO)")
	secure := fs.String("secure-cookies", "", "add Secure to cookies: true|false (env IDFLOWS_SECURE_COOKIES)")
	seed := fs.String("seed", "", "seed for deterministic ids, tokens and codes (env IDFLOWS_SEED)")
	logFormat := fs.String("log-format", "", "text|json (env IDFLOWS_LOG_FORMAT; default text)")
	logLevel := fs.String("log-level", "", "debug|info|warn|error (env IDFLOWS_LOG_LEVEL; default info)")
	personas := fs.String("personas", "", "personas YAML file instead of the embedded ones (env IDFLOWS_PERSONAS)")
	sessionLifetime := fs.String("session-lifetime", "", "session lifetime, e.g. 24h (env IDFLOWS_SESSION_LIFETIME)")
	flowLifetimes := fs.String("flow-lifetimes", "", "flow lifetimes, e.g. login=5m,registration=10m (env IDFLOWS_FLOW_LIFETIMES)")
	rpID := fs.String("webauthn-rp-id", "", "WebAuthn relying-party id (env IDFLOWS_WEBAUTHN_RP_ID; default the base URL's host, localhost for an IP)")
	rpOrigins := fs.String("webauthn-origins", "", "comma-separated origins of the pages that run passkey ceremonies (env IDFLOWS_WEBAUTHN_ORIGINS; default base URL, its localhost twin, CORS origins)")
	controlToken := fs.String("control-token", "", "require this token in X-Mock-Token on the control plane (env IDFLOWS_CONTROL_TOKEN); needed to listen beyond loopback")
	noControl := fs.Bool("no-control", false, "switch the control plane under /_mock/ off (env IDFLOWS_NO_CONTROL)")
	grace := fs.String("shutdown-grace", "", "how long requests in flight may finish after SIGTERM (env IDFLOWS_SHUTDOWN_GRACE; default 15s)")
	maxTenants := fs.String("max-tenants", "", "most X-Mock-Tenant worlds at once (env IDFLOWS_MAX_TENANTS; default 1024)")
	maxFlows := fs.String("max-flows", "", "most flows of all tenants together (env IDFLOWS_MAX_FLOWS; default 500000)")
	maxSessions := fs.String("max-sessions", "", "most sessions of all tenants together (env IDFLOWS_MAX_SESSIONS; default 500000)")
	maxIdentities := fs.String("max-identities", "", "most identities of all tenants together (env IDFLOWS_MAX_IDENTITIES; default 100000)")
	loginLimit := fs.String("login-limit", "", "login submits per identifier per minute (env IDFLOWS_LOGIN_LIMIT; default 10, as documented — raise it for load tests)")
	oidcBuiltIn := fs.String("oidc-builtin", "", "comma-separated built-in test providers served under /_mock/oidc/ (env IDFLOWS_OIDC_BUILTIN; default google,github; none for none)")
	oidcProviders := fs.String("oidc-provider", "", "real social providers, name=issuer,client_id,client_secret separated by ; (a secret $VAR is read from the environment; env IDFLOWS_OIDC_PROVIDERS)")
	uiURL := fs.String("ui-url", "", "the frontend a browser continues a flow in, <ui-url>/login?flow=<id> (env IDFLOWS_UI_URL; default <base-url>/ui)")
	smtpURL := fs.String("smtp-url", "", "also send every email to this SMTP server, e.g. Mailpit at smtp://localhost:1025 (env IDFLOWS_SMTP_URL)")
	storeURL := fs.String("store", "", "where tenants live: memory (default), or redis://host:port/db to share them between replicas behind a load balancer (env IDFLOWS_STORE)")
	deviate := fs.String("deviate", "", "break the contract on purpose, to test a conformance suite: comma-separated "+strings.Join(deviationNames(), ","))
	oldDeviate := fs.String("fault", "", "the old name of --deviate")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: idflows mock [flags]\n\nRuns the stateful mock of the Avnology ID flow API with its control plane under /_mock/.")
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	set := mockSettings{Listen: "127.0.0.1:4433", LogFormat: "text", LogLevel: "info"}
	if *configFile != "" {
		if err := readConfig(*configFile, &set); err != nil {
			fmt.Fprintf(stderr, "idflows mock: %v\n", err)
			return exitUsage
		}
	}
	pick := func(dst *string, flagValue, env string) {
		if v := os.Getenv(env); v != "" {
			*dst = v
		}
		if flagValue != "" {
			*dst = flagValue
		}
	}
	list := func(dst *[]string, flagValue, env string) {
		var v string
		pick(&v, flagValue, env)
		if v != "" {
			*dst = splitList(v)
		}
	}
	pick(&set.Listen, *listen, "IDFLOWS_LISTEN")
	pick(&set.BaseURL, *baseURL, "IDFLOWS_BASE_URL")
	list(&set.CORSOrigins, *cors, "IDFLOWS_CORS_ORIGINS")
	list(&set.ReturnTo, *returnTo, "IDFLOWS_RETURN_TO")
	pick(&set.Seed, *seed, "IDFLOWS_SEED")
	pick(&set.LogFormat, *logFormat, "IDFLOWS_LOG_FORMAT")
	pick(&set.LogLevel, *logLevel, "IDFLOWS_LOG_LEVEL")
	pick(&set.Personas, *personas, "IDFLOWS_PERSONAS")
	pick(&set.SessionLifetime, *sessionLifetime, "IDFLOWS_SESSION_LIFETIME")
	pick(&set.FlowLifetimes, *flowLifetimes, "IDFLOWS_FLOW_LIFETIMES")
	pick(&set.WebAuthnRPID, *rpID, "IDFLOWS_WEBAUTHN_RP_ID")
	list(&set.WebAuthnOrigins, *rpOrigins, "IDFLOWS_WEBAUTHN_ORIGINS")
	pick(&set.ControlToken, *controlToken, "IDFLOWS_CONTROL_TOKEN")
	pick(&set.ShutdownGrace, *grace, "IDFLOWS_SHUTDOWN_GRACE")
	pick(&set.MaxTenants, *maxTenants, "IDFLOWS_MAX_TENANTS")
	pick(&set.MaxFlows, *maxFlows, "IDFLOWS_MAX_FLOWS")
	pick(&set.MaxSessions, *maxSessions, "IDFLOWS_MAX_SESSIONS")
	pick(&set.MaxIdentities, *maxIdentities, "IDFLOWS_MAX_IDENTITIES")
	pick(&set.LoginLimit, *loginLimit, "IDFLOWS_LOGIN_LIMIT")
	list(&set.OIDCBuiltIn, *oidcBuiltIn, "IDFLOWS_OIDC_BUILTIN")
	var providers string
	pick(&providers, *oidcProviders, "IDFLOWS_OIDC_PROVIDERS")
	if providers != "" {
		set.OIDCProviders = strings.Split(providers, ";")
	}
	pick(&set.UIURL, *uiURL, "IDFLOWS_UI_URL")
	pick(&set.SMTPURL, *smtpURL, "IDFLOWS_SMTP_URL")
	pick(&set.Store, *storeURL, "IDFLOWS_STORE")
	noControlValue := os.Getenv("IDFLOWS_NO_CONTROL")
	if *noControl {
		noControlValue = "true"
	}
	if noControlValue != "" {
		b, err := strconv.ParseBool(noControlValue)
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: --no-control: %v\n", err)
			return exitUsage
		}
		set.NoControl = b
	}
	var secureValue string
	pick(&secureValue, *secure, "IDFLOWS_SECURE_COOKIES")
	if secureValue != "" {
		b, err := strconv.ParseBool(secureValue)
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: --secure-cookies: %v\n", err)
			return exitUsage
		}
		set.SecureCookies = b
	}
	set.Deviations = *deviate
	if *oldDeviate != "" {
		fmt.Fprintln(stderr, "idflows mock: --fault is now --deviate (faults are what /_mock/faults arms)")
		set.Deviations = strings.Trim(set.Deviations+","+*oldDeviate, ",")
	}
	return serveMock(ctx, set, stdout, stderr)
}

func serveMock(ctx context.Context, set mockSettings, stdout, stderr io.Writer) int {
	logger, err := newLogger(set.LogFormat, set.LogLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitUsage
	}
	cfg := mockserver.DefaultConfig()
	defaults := fixtures.DefaultFixtures()
	cfg.Personas, cfg.Organizations = defaults.Personas, defaults.Organizations
	cfg.CORSOrigins, cfg.SecureCookies = set.CORSOrigins, set.SecureCookies
	cfg.ReturnTo = append(cfg.ReturnTo, set.ReturnTo...)
	cfg.WebAuthn = mockserver.WebAuthn{RPID: set.WebAuthnRPID, Origins: set.WebAuthnOrigins}
	cfg.UIURL, cfg.SMTPURL, cfg.Store = set.UIURL, set.SMTPURL, set.Store
	if err := cfg.Check(); err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitUsage
	}
	if cfg.OIDC, err = oidcSettings(set); err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitUsage
	}
	if err := lifetimes(set, &cfg); err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitUsage
	}
	if set.Personas != "" {
		f, err := os.Open(set.Personas)
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: %v\n", err)
			return exitUsage
		}
		var all fixtures.Fixtures
		all, err = fixtures.ParseAll(f)
		cfg.Personas, cfg.Organizations = all.Personas, all.Organizations
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: %s: %v\n", set.Personas, err)
			return exitUsage
		}
	}
	opts := []mockserver.Option{mockserver.WithLogger(logger)}
	if set.Seed != "" {
		n, err := strconv.ParseUint(set.Seed, 10, 64)
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: --seed must be an unsigned integer\n")
			return exitUsage
		}
		opts = append(opts, mockserver.WithSeed(n))
	}
	if set.Deviations != "" {
		list, err := mockserver.ParseDeviations(set.Deviations)
		if err != nil {
			fmt.Fprintf(stderr, "idflows mock: --deviate: %v\n", err)
			return exitUsage
		}
		opts = append(opts, mockserver.WithDeviation(list...))
		fmt.Fprintf(stderr, "idflows mock: WARNING: deviations from the contract (%s); this mock breaks it on purpose\n", set.Deviations)
	}
	grace, err := capacity(set, &cfg)
	if err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitUsage
	}
	cfg.Control = mockserver.Control{Disabled: set.NoControl, Token: set.ControlToken, Hosts: []string{set.Listen}}
	cfg.Version = version
	exposed := !loopbackAddress(set.Listen)
	if exposed && set.ControlToken == "" && !set.NoControl {
		fmt.Fprintf(stderr, "idflows mock: refusing to listen on %s beyond loopback with an open control plane: "+
			"set --control-token (or IDFLOWS_CONTROL_TOKEN) to guard it, or --no-control to switch it off\n", set.Listen)
		return exitUsage
	}
	ln, err := net.Listen("tcp", set.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitFailure
	}
	url, twin := publicURL(ln)
	cfg.BaseURL = url
	if set.BaseURL != "" {
		cfg.BaseURL = set.BaseURL
	}
	cfg.Control.Hosts = append(cfg.Control.Hosts, ln.Addr().String())
	if exposed {
		plane := "control plane guarded by X-Mock-Token"
		if set.NoControl {
			plane = "control plane off"
		}
		fmt.Fprintf(stderr, "idflows mock: WARNING: listening beyond loopback on %s (%s); the mock is for tests, not for the network\n", ln.Addr(), plane)
	}
	srv, err := mockserver.New(cfg, opts...)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitFailure
	}
	defer srv.Close()
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      45 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- httpSrv.Serve(ln) }()
	if twin != nil {
		go func() { errc <- httpSrv.Serve(twin) }()
	}
	printReady(stdout, url, cfg.Personas)

	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "idflows mock: %v\n", err)
		return exitFailure
	case <-ctx.Done():
	}
	// Requests in flight finish within the grace period; new connections are refused at once.
	shutdown, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := httpSrv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "idflows mock: shutdown: requests still running after %s: %v\n", grace, err)
		return exitFailure
	}
	fmt.Fprintln(stdout, "idflows mock stopped")
	return exitOK
}

// publicURL is the URL to print and build links on. On loopback it is http://localhost:PORT —
// the host a browser app on localhost shares cookies with (an app on localhost:5173 calling
// 127.0.0.1 is cross-site, and its session cookie is dropped). Since some browsers and Node try
// localhost's IPv6 address first, a mock on 127.0.0.1 also answers on [::1] at the same port
// when it can (twin; nil otherwise).
func publicURL(ln net.Listener) (url string, twin net.Listener) {
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "http://" + ln.Addr().String(), nil
	}
	if ip.To4() != nil {
		twin, _ = net.Listen("tcp", net.JoinHostPort("::1", port)) // no IPv6 loopback: IPv4 only
	}
	return "http://localhost:" + port, twin
}

func printReady(w io.Writer, url string, personas []fixtures.Persona) {
	fmt.Fprintf(w, "idflows mock ready on %s (account pages %s/ui/, inspector and control plane %s/_mock/)\n", url, url, url)
	for _, p := range personas {
		login := p.Email
		if p.Username != "" {
			login += " or " + p.Username
		}
		password := p.Password
		if password == "" {
			password = "(none)"
		}
		fmt.Fprintf(w, "  persona %-40s password %-18s %s\n", login, password, p.Purpose)
	}
}

func readConfig(path string, set *mockSettings) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(set); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, not %q", format)
}

// lifetimes reads the session and flow lifetimes into cfg.
func lifetimes(set mockSettings, cfg *mockserver.Config) error {
	if set.SessionLifetime != "" {
		d, err := time.ParseDuration(set.SessionLifetime)
		if err != nil || d <= 0 {
			return fmt.Errorf("--session-lifetime %q: want a positive duration such as 24h", set.SessionLifetime)
		}
		cfg.SessionLifetime = d
	}
	if set.FlowLifetimes == "" {
		return nil
	}
	cfg.FlowLifetimes = map[string]time.Duration{}
	for _, pair := range splitList(set.FlowLifetimes) {
		name, value, ok := strings.Cut(pair, "=")
		d, err := time.ParseDuration(value)
		if !ok || err != nil || d <= 0 {
			return fmt.Errorf("--flow-lifetimes %q: want type=duration pairs such as login=5m", pair)
		}
		switch name {
		case "login", "registration", "settings", "recovery", "verification":
			cfg.FlowLifetimes[name] = d
		default:
			return fmt.Errorf("--flow-lifetimes: unknown flow type %q", name)
		}
	}
	return nil
}

// capacity reads the memory bounds into cfg and returns the shutdown grace period.
func capacity(set mockSettings, cfg *mockserver.Config) (time.Duration, error) {
	grace := 15 * time.Second
	if set.ShutdownGrace != "" {
		d, err := time.ParseDuration(set.ShutdownGrace)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("--shutdown-grace %q: want a duration such as 15s", set.ShutdownGrace)
		}
		grace = d
	}
	for _, b := range []struct {
		flag, value string
		dst         *int64
	}{
		{"--max-flows", set.MaxFlows, &cfg.Capacity.Flows},
		{"--max-sessions", set.MaxSessions, &cfg.Capacity.Sessions},
		{"--max-identities", set.MaxIdentities, &cfg.Capacity.Identities},
	} {
		if b.value == "" {
			continue
		}
		n, err := strconv.ParseInt(b.value, 10, 64)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%s %q: want a positive whole number", b.flag, b.value)
		}
		*b.dst = n
	}
	if set.LoginLimit != "" {
		n, err := strconv.Atoi(set.LoginLimit)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("--login-limit %q: want a positive whole number", set.LoginLimit)
		}
		cfg.LoginLimit = n
	}
	if set.MaxTenants != "" {
		n, err := strconv.Atoi(set.MaxTenants)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("--max-tenants %q: want a positive whole number", set.MaxTenants)
		}
		cfg.MaxTenants = n
	}
	return grace, nil
}

// loopbackAddress reports whether a listen address stays on this machine: a loopback IP or
// localhost. An empty host ("":4433) listens on every interface.
func loopbackAddress(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func deviationNames() []string {
	var out []string
	for d := range mockserver.Deviations() {
		out = append(out, string(d))
	}
	sort.Strings(out)
	return out
}

// oidcSettings reads the social providers: the built-in ones by name, and real ones as
// name=issuer,client_id,client_secret (a secret $VAR comes from the environment).
func oidcSettings(set mockSettings) (mockserver.OIDC, error) {
	out := mockserver.DefaultConfig().OIDC
	if len(set.OIDCBuiltIn) > 0 {
		out.BuiltIn = []string{}
		for _, name := range set.OIDCBuiltIn {
			if name != "none" {
				out.BuiltIn = append(out.BuiltIn, name)
			}
		}
	}
	for _, spec := range set.OIDCProviders {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		name, rest, ok := strings.Cut(spec, "=")
		parts := strings.Split(rest, ",")
		if !ok || len(parts) != 3 || parts[0] == "" || parts[1] == "" {
			return out, fmt.Errorf("--oidc-provider %q: want name=issuer,client_id,client_secret", name)
		}
		secret := parts[2]
		if v, isVar := strings.CutPrefix(secret, "$"); isVar {
			if secret = os.Getenv(v); secret == "" {
				return out, fmt.Errorf("--oidc-provider %s: the environment variable %s is empty", name, v)
			}
		}
		out.External = append(out.External, mockserver.OIDCProvider{Name: strings.TrimSpace(name), Issuer: parts[0], ClientID: parts[1], ClientSecret: secret})
	}
	return out, nil
}
