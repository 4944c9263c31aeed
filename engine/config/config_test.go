package config

import (
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const dbURL = "postgres://u@127.0.0.1:5432/db"

func TestDefaults(t *testing.T) {
	c, err := Parse(nil, env(map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.Host != "*" || c.ListenAddr() != ":8080" {
		t.Errorf("listen defaults: port %d host %q addr %q", c.Port, c.Host, c.ListenAddr())
	}
	if c.LogLevel != slog.LevelInfo || c.LogFormat != "json" || c.AuthHookMode != "GET" || !c.AuthHookSendRequestBody {
		t.Errorf("unexpected defaults: %+v", c)
	}
	if c.PGConnections != 50 || c.PGIdleTimeout != 180*time.Second || c.ShutdownTimeout != 60*time.Second {
		t.Errorf("pool/shutdown defaults: %+v", c)
	}
	if !c.APIEnabled("graphql") || !c.APIEnabled("metadata") || c.APIEnabled("developer") {
		t.Errorf("enabled APIs: %v", c.EnabledAPIs)
	}
	if c.StatementTimeout != 2*time.Minute || c.HTTPWriteTimeout != 3*time.Minute || c.HTTPReadTimeout != time.Minute || c.HTTPIdleTimeout != 2*time.Minute {
		t.Errorf("timeouts: statement %s write %s read %s idle %s", c.StatementTimeout, c.HTTPWriteTimeout, c.HTTPReadTimeout, c.HTTPIdleTimeout)
	}
	if c.MaxQueryBytes != 1<<20 || c.MaxQueryTokens != 15000 {
		t.Errorf("query limits: %d bytes, %d tokens", c.MaxQueryBytes, c.MaxQueryTokens)
	}
	if c.CORS == nil || !c.CORS.Allows("https://any.example") {
		t.Errorf("CORS must allow every origin by default: %+v", c.CORS)
	}
}

// The write timeout follows the statement timeout unless set, and may not
// cut requests the statement timeout allows.
func TestWriteTimeoutFollowsStatementTimeout(t *testing.T) {
	parse := func(m map[string]string) (*Config, error) {
		m["HASURA_GRAPHQL_DATABASE_URL"] = dbURL
		return Parse(nil, env(m), io.Discard)
	}
	c, err := parse(map[string]string{"STRATA_STATEMENT_TIMEOUT": "10s"})
	if err != nil || c.HTTPWriteTimeout != 70*time.Second {
		t.Errorf("auto write timeout: %v %v", c, err)
	}
	c, err = parse(map[string]string{"STRATA_STATEMENT_TIMEOUT": "0"})
	if err != nil || c.StatementTimeout != 0 || c.HTTPWriteTimeout != 0 {
		t.Errorf("no statement timeout, no automatic write timeout: %v %v", c, err)
	}
	c, err = parse(map[string]string{"STRATA_STATEMENT_TIMEOUT": "10s", "STRATA_HTTP_WRITE_TIMEOUT": "15s"})
	if err != nil || c.HTTPWriteTimeout != 15*time.Second {
		t.Errorf("explicit write timeout: %v %v", c, err)
	}
	_, err = parse(map[string]string{"STRATA_STATEMENT_TIMEOUT": "10s", "STRATA_HTTP_WRITE_TIMEOUT": "10s"})
	if err == nil || !strings.Contains(err.Error(), "must be longer than STRATA_STATEMENT_TIMEOUT") {
		t.Errorf("a write timeout within the statement timeout must be refused: %v", err)
	}
}

func TestCORSOptions(t *testing.T) {
	e := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL, "HASURA_GRAPHQL_CORS_DOMAIN": "https://*.example.com, http://localhost:3000"}
	c, err := Parse(nil, env(e), io.Discard)
	if err != nil || !c.CORS.Allows("https://app.example.com") || c.CORS.Allows("https://example.org") {
		t.Fatalf("CORS list: %+v %v", c, err)
	}
	e["HASURA_GRAPHQL_DISABLE_CORS"] = "true"
	if c, err = Parse(nil, env(e), io.Discard); err != nil || c.CORS != nil {
		t.Fatalf("disabled CORS must leave no policy: %+v %v", c, err)
	}
}

func TestPrecedenceFlagOverEnvOverDefault(t *testing.T) {
	e := env(map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL": dbURL,
		"HASURA_GRAPHQL_SERVER_PORT":  "9000",
		"HASURA_GRAPHQL_LOG_LEVEL":    "debug",
		"HASURA_GRAPHQL_SERVER_HOST":  "127.0.0.1",
	})
	c, err := Parse([]string{"--server-port", "9100"}, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9100 {
		t.Errorf("flag should win over env: port %d", c.Port)
	}
	if c.LogLevel != slog.LevelDebug {
		t.Errorf("env should win over default: level %v", c.LogLevel)
	}
	if c.ListenAddr() != "127.0.0.1:9100" {
		t.Errorf("listen addr %q", c.ListenAddr())
	}
	// A flag set to the default value still wins over the environment.
	c, err = Parse([]string{"--log-level=info"}, e, io.Discard)
	if err != nil || c.LogLevel != slog.LevelInfo {
		t.Errorf("explicit flag should win: %v %v", c, err)
	}
}

func TestAdminSecretsAndJWT(t *testing.T) {
	e := env(map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":  dbURL,
		"HASURA_GRAPHQL_ADMIN_SECRET":  "s1",
		"HASURA_GRAPHQL_ADMIN_SECRETS": `["s2","s3"]`,
		"HASURA_GRAPHQL_JWT_SECRET":    `{"type":"HS256","key":"0123456789abcdef0123456789abcdef","audience":["a","b"],"header":{"type":"Cookie","name":"tok"}}`,
	})
	c, err := Parse(nil, e, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.AdminSecrets, ",") != "s1,s2,s3" {
		t.Errorf("admin secrets %v", c.AdminSecrets)
	}
	if len(c.JWTSecrets) != 1 || c.JWTSecrets[0].ClaimsNamespace != "https://hasura.io/jwt/claims" || len(c.JWTSecrets[0].Audience) != 2 {
		t.Errorf("jwt %+v", c.JWTSecrets)
	}
}

func TestBadValuesRejected(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"missing database", map[string]string{}, nil, "HASURA_GRAPHQL_DATABASE_URL (or --database-url) is required"},
		{"bad scheme", map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "mysql://x"}, nil, "invalid HASURA_GRAPHQL_DATABASE_URL"},
		{"port text", nil, []string{"--server-port", "http"}, `invalid --server-port "http": must be a port number`},
		{"port range", map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "70000"}, nil, `invalid HASURA_GRAPHQL_SERVER_PORT "70000"`},
		{"log level", map[string]string{"HASURA_GRAPHQL_LOG_LEVEL": "loud"}, nil, "must be debug, info, warn or error"},
		{"bool", map[string]string{"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "maybe"}, nil, "must be true or false"},
		{"hook mode", map[string]string{"HASURA_GRAPHQL_AUTH_HOOK_MODE": "PUT"}, nil, "must be GET or POST"},
		{"jwt json", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": "{", "HASURA_GRAPHQL_ADMIN_SECRET": "x"}, nil, "not a valid JWT configuration object"},
		{"jwt type", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"none","key":"k"}`}, nil, `"type" must be one of`},
		{"jwt key and url", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"RS256","key":"k","jwk_url":"http://127.0.0.1/jwks"}`}, nil, "exclusive"},
		{"jwt secret redacted", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"bad","key":"topsecret"}`}, nil, "<redacted>"},
		{"jwt without admin", map[string]string{"HASURA_GRAPHQL_JWT_SECRET": `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`}, nil, "HASURA_GRAPHQL_ADMIN_SECRET is required"},
		{"apis", map[string]string{"HASURA_GRAPHQL_ENABLED_APIS": "graphql,console"}, nil, `unknown API "console"`},
		{"configmap", nil, []string{"--metadata-configmap", "justname"}, "must be NAMESPACE/NAME"},
		{"pool", nil, []string{"--pg-connections", "0"}, "must be a positive whole number"},
		{"cors", map[string]string{"HASURA_GRAPHQL_CORS_DOMAIN": "example.com"}, nil, `invalid HASURA_GRAPHQL_CORS_DOMAIN "example.com": "example.com" is not an origin`},
		{"statement timeout", nil, []string{"--statement-timeout", "soon"}, "must be 0 or a positive duration"},
		{"write timeout", map[string]string{"STRATA_HTTP_WRITE_TIMEOUT": "-1s"}, nil, "must be 0 or a positive duration"},
		{"query tokens", map[string]string{"STRATA_MAX_QUERY_TOKENS": "-5"}, nil, "must be a whole number, 0 or more"},
		{"unknown flag", nil, []string{"--nope"}, "flag provided but not defined"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL}
			for k, v := range tc.env {
				m[k] = v
			}
			if tc.name == "missing database" {
				delete(m, "HASURA_GRAPHQL_DATABASE_URL")
			}
			_, err := Parse(tc.args, env(m), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "topsecret") {
				t.Fatalf("secret leaked in %v", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var b strings.Builder
	_, err := Parse([]string{"--help"}, env(nil), &b)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err %v", err)
	}
	for _, o := range Options {
		if !strings.Contains(b.String(), "--"+o.Flag) || !strings.Contains(b.String(), o.Env) {
			t.Errorf("help lacks %s", o.Env)
		}
	}
}

func TestREADMEListsEveryOption(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	MarkdownTable(&b)
	if !strings.Contains(string(readme), b.String()) {
		t.Fatalf("README.md's configuration table is out of date; replace it with:\n%s", b.String())
	}
}

func TestChangeFeedOption(t *testing.T) {
	e := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": dbURL}
	if c, err := Parse(nil, env(e), io.Discard); err != nil || !c.ChangeFeed {
		t.Fatalf("change feed must be on by default: %+v %v", c, err)
	}
	e["STRATA_CHANGE_FEED"] = "false"
	if c, err := Parse(nil, env(e), io.Discard); err != nil || c.ChangeFeed {
		t.Fatalf("STRATA_CHANGE_FEED=false: %+v %v", c, err)
	}
	e["STRATA_CHANGE_FEED"] = "sometimes"
	if _, err := Parse(nil, env(e), io.Discard); err == nil {
		t.Fatal("STRATA_CHANGE_FEED=sometimes accepted")
	}
}

// The WebSocket options: Hasura's keep-alive and init timeout (in seconds)
// and Strata's limits.
func TestWebSocketOptions(t *testing.T) {
	parse := func(m map[string]string) (*Config, error) {
		m["HASURA_GRAPHQL_DATABASE_URL"] = dbURL
		return Parse(nil, env(m), io.Discard)
	}
	c, err := parse(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.WebSocketKeepAlive != 5*time.Second || c.WebSocketInitTimeout != 3*time.Second || c.WebSocketMaxSubscriptions != 1000 ||
		c.WebSocketMaxMessageBytes != 16<<20 || c.WebSocketSendQueue != 1024 || c.WebSocketWriteTimeout != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parse(map[string]string{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "0", "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT": "10", "STRATA_WEBSOCKET_MAX_SUBSCRIPTIONS": "0"})
	if err != nil || c.WebSocketKeepAlive != 0 || c.WebSocketInitTimeout != 10*time.Second || c.WebSocketMaxSubscriptions != 0 {
		t.Errorf("set: %+v %v", c, err)
	}
	for k, v := range map[string]string{"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT": "0", "STRATA_WEBSOCKET_SEND_QUEUE": "0", "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE": "-1"} {
		if _, err := parse(map[string]string{k: v}); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err %v", k, v, err)
		}
	}
}
