// Package config parses and validates the engine's configuration: Hasura v2's
// HASURA_GRAPHQL_* environment variables plus Strata's own STRATA_* ones, each
// with a matching command-line flag. Flags win over the environment, the
// environment wins over defaults. Every option is declared once, in Options,
// which also produces the --help text and the README's configuration table.
package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stratagql/strata/engine/server"
)

// Config is the validated configuration of one engine process.
type Config struct {
	DatabaseURL             string
	Host                    string
	Port                    int
	AdminSecrets            []string
	JWTSecrets              []JWTSecret
	AuthHook                string
	AuthHookMode            string
	AuthHookSendRequestBody bool
	UnauthorizedRole        string
	StringifyNumericTypes   bool
	EnableConsole           bool
	DevMode                 bool
	EnabledAPIs             []string
	CORSDomain              string
	DisableCORS             bool
	MaxQueryBytes           int
	MaxQueryTokens          int
	LogLevel                slog.Level
	LogFormat               string
	PGConnections           int
	PGIdleTimeout           time.Duration
	PGConnLifetime          time.Duration
	PGPoolTimeout           time.Duration
	StatementTimeout        time.Duration
	ConnectTimeout          time.Duration
	ShutdownTimeout         time.Duration
	HTTPReadTimeout         time.Duration
	HTTPWriteTimeout        time.Duration
	HTTPIdleTimeout         time.Duration
	MetadataFile            string
	MetadataConfigMap       string
	// Live queries and streaming subscriptions (see package live).
	LiveQueriesRefetchInterval      time.Duration
	LiveQueriesBatchSize            int
	StreamingQueriesRefetchInterval time.Duration
	StreamingQueriesBatchSize       int
	ChangeFeed                      bool
	// GraphQL over WebSocket (package ws).
	WebSocketKeepAlive        time.Duration
	WebSocketInitTimeout      time.Duration
	WebSocketMaxSubscriptions int
	WebSocketMaxMessageBytes  int
	WebSocketSendQueue        int
	WebSocketWriteTimeout     time.Duration

	// CORS is the parsed CORSDomain; nil when CORS is disabled.
	CORS *server.CORSPolicy
	// httpWriteAuto derives HTTPWriteTimeout from StatementTimeout.
	httpWriteAuto bool
}

// Option declares one configuration setting: its environment variable, its
// flag, its default (as the user would type it) and how to apply a value.
type Option struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	apply   func(c *Config, v string) error
}

// Options is the whole configuration surface of `strata engine`, in the order
// the help text and the README list it.
var Options = []Option{
	{"HASURA_GRAPHQL_DATABASE_URL", "database-url", "", "PostgreSQL URL of the default source (required)",
		func(c *Config, v string) error { c.DatabaseURL = v; return nil }},
	{"HASURA_GRAPHQL_SERVER_HOST", "server-host", "*", "interface to listen on; * means all",
		func(c *Config, v string) error { c.Host = v; return nil }},
	{"HASURA_GRAPHQL_SERVER_PORT", "server-port", "8080", "TCP port to listen on",
		func(c *Config, v string) (err error) { c.Port, err = parsePort(v); return err }},
	{"HASURA_GRAPHQL_ADMIN_SECRET", "admin-secret", "", "admin secret; without one every request is admin (dev mode)",
		func(c *Config, v string) error {
			if v != "" {
				c.AdminSecrets = append(c.AdminSecrets, v)
			}
			return nil
		}},
	{"HASURA_GRAPHQL_ADMIN_SECRETS", "admin-secrets", "", `JSON list of accepted admin secrets, e.g. ["a","b"]`,
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			var list []string
			if err := json.Unmarshal([]byte(v), &list); err != nil {
				return errors.New("must be a JSON list of strings")
			}
			c.AdminSecrets = append(c.AdminSecrets, list...)
			return nil
		}},
	{"HASURA_GRAPHQL_JWT_SECRET", "jwt-secret", "", "JWT configuration as a JSON object",
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			s, err := ParseJWTSecret([]byte(v))
			if err == nil {
				c.JWTSecrets = append(c.JWTSecrets, s)
			}
			return err
		}},
	{"HASURA_GRAPHQL_JWT_SECRETS", "jwt-secrets", "", "several JWT configurations as a JSON list",
		func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			var raws []json.RawMessage
			if err := json.Unmarshal([]byte(v), &raws); err != nil {
				return errors.New("must be a JSON list of JWT configuration objects")
			}
			for i, r := range raws {
				s, err := ParseJWTSecret(r)
				if err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
				c.JWTSecrets = append(c.JWTSecrets, s)
			}
			return nil
		}},
	{"HASURA_GRAPHQL_AUTH_HOOK", "auth-hook", "", "URL of the authentication webhook",
		func(c *Config, v string) error {
			if v != "" {
				if err := checkURL(v, "http", "https"); err != nil {
					return err
				}
			}
			c.AuthHook = v
			return nil
		}},
	{"HASURA_GRAPHQL_AUTH_HOOK_MODE", "auth-hook-mode", "GET", "GET or POST",
		func(c *Config, v string) error {
			v = strings.ToUpper(v)
			if v != "GET" && v != "POST" {
				return errors.New("must be GET or POST")
			}
			c.AuthHookMode = v
			return nil
		}},
	{"HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY", "auth-hook-send-request-body", "true", "POST mode: send the GraphQL request to the hook",
		func(c *Config, v string) (err error) { c.AuthHookSendRequestBody, err = parseBool(v); return err }},
	{"HASURA_GRAPHQL_UNAUTHORIZED_ROLE", "unauthorized-role", "", "role for requests without credentials",
		func(c *Config, v string) error { c.UnauthorizedRole = v; return nil }},
	{"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES", "stringify-numeric-types", "false", "return bigint, numeric and float8 values as strings",
		func(c *Config, v string) (err error) { c.StringifyNumericTypes, err = parseBool(v); return err }},
	{"HASURA_GRAPHQL_ENABLE_CONSOLE", "enable-console", "false", "accepted for compatibility; Strata serves no console",
		func(c *Config, v string) (err error) { c.EnableConsole, err = parseBool(v); return err }},
	{"HASURA_GRAPHQL_DEV_MODE", "dev-mode", "false", "include internal error details (SQL, Postgres messages) in errors",
		func(c *Config, v string) (err error) { c.DevMode, err = parseBool(v); return err }},
	{"HASURA_GRAPHQL_ENABLED_APIS", "enabled-apis", "metadata,graphql,pgdump,config", "comma-separated APIs to serve",
		func(c *Config, v string) error {
			c.EnabledAPIs = nil
			for _, a := range strings.Split(v, ",") {
				a = strings.TrimSpace(a)
				switch a {
				case "metadata", "graphql", "pgdump", "config", "developer", "metrics":
					c.EnabledAPIs = append(c.EnabledAPIs, a)
				case "":
				default:
					return fmt.Errorf("unknown API %q (known: metadata, graphql, pgdump, config, developer, metrics)", a)
				}
			}
			return nil
		}},
	{"HASURA_GRAPHQL_CORS_DOMAIN", "cors-domain", "*", "origins allowed by CORS: * or a comma-separated list such as https://app.example.com, https://*.example.com",
		func(c *Config, v string) (err error) { c.CORSDomain = v; c.CORS, err = server.ParseCORS(v); return err }},
	{"HASURA_GRAPHQL_DISABLE_CORS", "disable-cors", "false", "send no CORS headers at all",
		func(c *Config, v string) (err error) { c.DisableCORS, err = parseBool(v); return err }},
	{"STRATA_MAX_QUERY_BYTES", "max-query-bytes", "1048576", "longest GraphQL query text accepted, in bytes; 0 means no limit",
		func(c *Config, v string) (err error) { c.MaxQueryBytes, err = parseNonNegative(v); return err }},
	{"STRATA_MAX_QUERY_TOKENS", "max-query-tokens", "15000", "most lexical tokens in a GraphQL query accepted; 0 means no limit",
		func(c *Config, v string) (err error) { c.MaxQueryTokens, err = parseNonNegative(v); return err }},
	{"HASURA_GRAPHQL_LOG_LEVEL", "log-level", "info", "debug, info, warn or error",
		func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "debug":
				c.LogLevel = slog.LevelDebug
			case "info":
				c.LogLevel = slog.LevelInfo
			case "warn":
				c.LogLevel = slog.LevelWarn
			case "error":
				c.LogLevel = slog.LevelError
			default:
				return errors.New("must be debug, info, warn or error")
			}
			return nil
		}},
	{"STRATA_LOG_FORMAT", "log-format", "json", "json or text",
		func(c *Config, v string) error {
			if v != "json" && v != "text" {
				return errors.New("must be json or text")
			}
			c.LogFormat = v
			return nil
		}},
	{"HASURA_GRAPHQL_PG_CONNECTIONS", "pg-connections", "50", "maximum connections in the database pool",
		func(c *Config, v string) (err error) { c.PGConnections, err = parsePositive(v); return err }},
	{"HASURA_GRAPHQL_PG_TIMEOUT", "pg-timeout", "180", "seconds an idle pool connection is kept",
		func(c *Config, v string) (err error) { c.PGIdleTimeout, err = parseSeconds(v); return err }},
	{"HASURA_GRAPHQL_PG_CONN_LIFETIME", "conn-lifetime", "600", "seconds before a pool connection is recycled",
		func(c *Config, v string) (err error) { c.PGConnLifetime, err = parseSeconds(v); return err }},
	{"HASURA_GRAPHQL_PG_POOL_TIMEOUT", "pool-timeout", "0", "seconds to wait for a free pool connection; 0 waits for the request's lifetime",
		func(c *Config, v string) (err error) { c.PGPoolTimeout, err = parseSeconds(v); return err }},
	{"STRATA_STATEMENT_TIMEOUT", "statement-timeout", "2m", "longest a GraphQL request's SQL may run before PostgreSQL cancels it; 0 means no limit",
		func(c *Config, v string) (err error) { c.StatementTimeout, err = parseDurationOrZero(v); return err }},
	{"STRATA_DB_CONNECT_TIMEOUT", "db-connect-timeout", "15s", "how long start-up waits for the database to answer",
		func(c *Config, v string) (err error) { c.ConnectTimeout, err = parseDuration(v); return err }},
	{"HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", "graceful-shutdown-timeout", "60", "seconds in-flight requests may take to finish on SIGTERM",
		func(c *Config, v string) (err error) { c.ShutdownTimeout, err = parseSeconds(v); return err }},
	{"STRATA_HTTP_READ_TIMEOUT", "http-read-timeout", "1m", "longest a client may take to send a request, body included; 0 means no limit",
		func(c *Config, v string) (err error) { c.HTTPReadTimeout, err = parseDurationOrZero(v); return err }},
	{"STRATA_HTTP_WRITE_TIMEOUT", "http-write-timeout", "auto", "longest from a request's headers to the end of its response, on every endpoint; auto is the statement timeout plus 1m (no limit without one); 0 means no limit",
		func(c *Config, v string) (err error) {
			c.httpWriteAuto = v == "auto"
			if !c.httpWriteAuto {
				c.HTTPWriteTimeout, err = parseDurationOrZero(v)
			}
			return err
		}},
	{"STRATA_HTTP_IDLE_TIMEOUT", "http-idle-timeout", "2m", "longest a keep-alive connection waits for its next request; 0 means the read timeout",
		func(c *Config, v string) (err error) { c.HTTPIdleTimeout, err = parseDurationOrZero(v); return err }},
	{"STRATA_METADATA_FILE", "metadata-file", "", "serve metadata from this YAML or JSON file (read-only, watched)",
		func(c *Config, v string) error { c.MetadataFile = v; return nil }},
	{"STRATA_METADATA_CONFIGMAP", "metadata-configmap", "", "serve metadata from this NAMESPACE/NAME ConfigMap (read-only, watched)",
		func(c *Config, v string) error {
			if v != "" {
				if ns, name, ok := strings.Cut(v, "/"); !ok || ns == "" || name == "" {
					return errors.New("must be NAMESPACE/NAME")
				}
			}
			c.MetadataConfigMap = v
			return nil
		}},
	{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", "live-queries-multiplexed-refetch-interval", "1000", "milliseconds between refetches of a live query cohort when no change woke it",
		func(c *Config, v string) (err error) { c.LiveQueriesRefetchInterval, err = parseMillis(v); return err }},
	{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", "live-queries-multiplexed-batch-size", "100", "live query subscribers evaluated by one multiplexed statement",
		func(c *Config, v string) (err error) { c.LiveQueriesBatchSize, err = parsePositive(v); return err }},
	{"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", "streaming-queries-multiplexed-refetch-interval", "1000", "milliseconds between refetches of a streaming subscription cohort when no change woke it",
		func(c *Config, v string) (err error) {
			c.StreamingQueriesRefetchInterval, err = parseMillis(v)
			return err
		}},
	{"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE", "streaming-queries-multiplexed-batch-size", "100", "streaming subscribers evaluated by one multiplexed statement",
		func(c *Config, v string) (err error) { c.StreamingQueriesBatchSize, err = parsePositive(v); return err }},
	{"STRATA_CHANGE_FEED", "change-feed", "true", "notify writes through statement-level triggers (function in hdb_catalog), installed on a tracked table when a subscription first reads it and kept until it is untracked, so that subscriptions refetch only when a table they read changed (tables never subscribed to pay nothing); false: no triggers installed (those installed before stay; package changefeed's doc has the SQL dropping them), subscriptions refetch at the refetch interval only",
		func(c *Config, v string) (err error) { c.ChangeFeed, err = parseBool(v); return err }},
	{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE", "websocket-keepalive", "5", "seconds between keep-alive messages on GraphQL WebSockets; 0 sends none",
		func(c *Config, v string) (err error) { c.WebSocketKeepAlive, err = parseSeconds(v); return err }},
	{"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", "websocket-connection-init-timeout", "3", "seconds a new GraphQL WebSocket has to send connection_init before it is closed",
		func(c *Config, v string) error {
			n, err := parsePositive(v)
			c.WebSocketInitTimeout = time.Duration(n) * time.Second
			return err
		}},
	{"STRATA_WEBSOCKET_MAX_SUBSCRIPTIONS", "websocket-max-subscriptions", "1000", "most operations running at once on one GraphQL WebSocket; 0 means no limit",
		func(c *Config, v string) (err error) {
			c.WebSocketMaxSubscriptions, err = parseNonNegative(v)
			return err
		}},
	{"STRATA_WEBSOCKET_MAX_MESSAGE_BYTES", "websocket-max-message-bytes", "16777216", "largest message a GraphQL WebSocket client may send, in bytes",
		func(c *Config, v string) (err error) { c.WebSocketMaxMessageBytes, err = parsePositive(v); return err }},
	{"STRATA_WEBSOCKET_SEND_QUEUE", "websocket-send-queue", "1024", "messages queued for one GraphQL WebSocket client before it is dropped as too slow",
		func(c *Config, v string) (err error) { c.WebSocketSendQueue, err = parsePositive(v); return err }},
	{"STRATA_WEBSOCKET_WRITE_TIMEOUT", "websocket-write-timeout", "30s", "longest one message may take to reach a GraphQL WebSocket client before it is dropped",
		func(c *Config, v string) (err error) { c.WebSocketWriteTimeout, err = parseDuration(v); return err }},
}

// Parse builds a Config from command-line arguments and the environment
// (getenv is os.Getenv outside tests). out receives --help output.
// flag.ErrHelp is returned when help was requested.
func Parse(args []string, getenv func(string) string, out io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("strata engine", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { Usage(out) }
	values := make([]*string, len(Options))
	for i, o := range Options {
		values[i] = fs.String(o.Flag, "", o.Usage)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	c := &Config{}
	for i, o := range Options {
		v, source := o.Default, "default of "+o.Env
		if e := getenv(o.Env); e != "" {
			v, source = e, o.Env
		}
		if set[o.Flag] {
			v, source = *values[i], "--"+o.Flag
		}
		if err := o.apply(c, v); err != nil {
			return nil, fmt.Errorf("invalid %s %q: %w", source, redact(o, v), err)
		}
	}
	if c.DatabaseURL == "" {
		return nil, errors.New("HASURA_GRAPHQL_DATABASE_URL (or --database-url) is required")
	}
	if err := checkURL(c.DatabaseURL, "postgres", "postgresql"); err != nil {
		return nil, fmt.Errorf("invalid HASURA_GRAPHQL_DATABASE_URL: %w", err)
	}
	if c.MetadataFile != "" && c.MetadataConfigMap != "" {
		return nil, errors.New("--metadata-file and --metadata-configmap are exclusive")
	}
	if err := c.derive(); err != nil {
		return nil, err
	}
	if len(c.JWTSecrets) > 0 && c.AuthHook != "" {
		return nil, errors.New("HASURA_GRAPHQL_JWT_SECRET and HASURA_GRAPHQL_AUTH_HOOK cannot be used together")
	}
	if (len(c.JWTSecrets) > 0 || c.AuthHook != "") && len(c.AdminSecrets) == 0 {
		return nil, errors.New("HASURA_GRAPHQL_ADMIN_SECRET is required when JWT or an auth hook is configured")
	}
	return c, nil
}

// writeTimeoutMargin is what the automatic write timeout adds to the
// statement timeout: authentication, the wait for a pool connection and
// sending the response.
const writeTimeoutMargin = time.Minute

// derive computes the settings that depend on several options and checks
// that they agree.
func (c *Config) derive() error {
	if c.DisableCORS {
		c.CORS = nil
	}
	if c.httpWriteAuto && c.StatementTimeout > 0 {
		c.HTTPWriteTimeout = c.StatementTimeout + writeTimeoutMargin
	}
	if c.HTTPWriteTimeout > 0 && c.StatementTimeout > 0 && c.HTTPWriteTimeout <= c.StatementTimeout {
		return fmt.Errorf("STRATA_HTTP_WRITE_TIMEOUT (%s) must be longer than STRATA_STATEMENT_TIMEOUT (%s), or requests shorter than the statement timeout would be cut", c.HTTPWriteTimeout, c.StatementTimeout)
	}
	return nil
}

// ListenAddr is the host:port the HTTP server binds, "*" meaning all interfaces.
func (c *Config) ListenAddr() string {
	host := c.Host
	if host == "*" {
		host = ""
	}
	return fmtHostPort(host, c.Port)
}

// APIEnabled reports whether the named API (metadata, graphql, ...) is served.
func (c *Config) APIEnabled(name string) bool {
	for _, a := range c.EnabledAPIs {
		if a == name {
			return true
		}
	}
	return false
}

// Usage writes the help text of `strata engine`.
func Usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: strata engine [flags]\n\nServes the Hasura-compatible GraphQL API. Flags win over environment variables.\n\n")
	for _, o := range Options {
		def := o.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(w, "  --%s  (env %s, default %s)\n      %s\n", o.Flag, o.Env, def, o.Usage)
	}
}

// MarkdownTable renders Options as the README's configuration table.
func MarkdownTable(w io.Writer) {
	fmt.Fprintln(w, "| Environment variable | Flag | Default | Meaning |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, o := range Options {
		def := "`" + o.Default + "`"
		if o.Default == "" {
			def = "—"
		}
		fmt.Fprintf(w, "| `%s` | `--%s` | %s | %s |\n", o.Env, o.Flag, def, strings.ReplaceAll(o.Usage, "|", "\\|"))
	}
}

func redact(o Option, v string) string {
	if strings.Contains(o.Env, "SECRET") || strings.Contains(o.Env, "DATABASE_URL") {
		return "<redacted>"
	}
	return v
}

func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.New("must be a port number between 1 and 65535")
	}
	return n, nil
}

func parsePositive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errors.New("must be a positive whole number")
	}
	return n, nil
}

func parseNonNegative(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errors.New("must be a whole number, 0 or more")
	}
	return n, nil
}

func parseSeconds(v string) (time.Duration, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errors.New("must be a whole number of seconds, 0 or more")
	}
	return time.Duration(n) * time.Second, nil
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, errors.New("must be a positive duration such as 15s or 2m")
	}
	return d, nil
}

func parseDurationOrZero(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("must be 0 or a positive duration such as 30s or 2m")
	}
	return d, nil
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "t", "1", "yes", "y":
		return true, nil
	case "false", "f", "0", "no", "n":
		return false, nil
	}
	return false, errors.New("must be true or false")
}

func checkURL(v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a valid URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	return fmt.Errorf("URL scheme must be %s", strings.Join(schemes, " or "))
}

func fmtHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// parseMillis parses a positive number of milliseconds.
func parseMillis(v string) (time.Duration, error) {
	n, err := parsePositive(v)
	return time.Duration(n) * time.Millisecond, err
}
