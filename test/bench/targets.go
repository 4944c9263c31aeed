package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stratagql/strata/test/bench/data"
	"github.com/stratagql/strata/test/bench/internal/chinook"
)

// adminSecret is the admin secret the harness starts Strata with.
const adminSecret = "strata-bench-secret"

// target is one running server under test.
type target struct {
	name    string
	version string
	base    string // http://127.0.0.1:PORT
	cmd     *exec.Cmd
	exited  chan struct{}
	log     string
	// request builds the request a query sends to this target.
	request func(q chinook.Query) (url, body string, headers map[string]string)
	// data extracts the `data` object of an answer in Strata's shape.
	data func(q chinook.Query, answer []byte) (any, error)
}

// pid is the target's process id.
func (t *target) pid() int { return t.cmd.Process.Pid }

// start runs cmd with its output in logPath and returns once it runs.
func (t *target) start(cmd *exec.Cmd, logPath string) error {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(logPath), err)
	}
	f, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create the %s log: %w", t.name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", t.name, err)
	}
	t.cmd, t.log, t.exited = cmd, logPath, make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(t.exited) }()
	return nil
}

// stop ends the target's process (SIGTERM, then SIGKILL after 10 s).
func (t *target) stop() {
	if t == nil || t.cmd == nil {
		return
	}
	_ = t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(10 * time.Second):
		_ = t.cmd.Process.Kill()
		<-t.exited
	}
}

// waitReady polls ready until it succeeds, the process exits or timeout
// passes.
func (t *target) waitReady(ctx context.Context, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-t.exited:
			return fmt.Errorf("%s exited while starting (log: %s): %s", t.name, t.log, tail(t.log))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s (log: %s): %w", t.name, timeout, t.log, err)
		}
	}
}

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return strings.TrimSpace(string(b))
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cleanEnv is the environment without variables that configure Strata or
// Hasura, so the caller's shell cannot change what is measured.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HASURA_GRAPHQL_") || strings.HasPrefix(kv, "STRATA_") || strings.HasPrefix(kv, "PG") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// post sends body to url and returns the answer's status and body.
func post(ctx context.Context, url, body string, headers map[string]string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("build request to %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("read the answer of %s: %w", url, err)
	}
	return resp.StatusCode, b, nil
}

func get(ctx context.Context, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, fmt.Errorf("build request to %s: %w", url, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("read the answer of %s: %w", url, err)
	}
	return resp.StatusCode, b, nil
}

// graphQLBody encodes a GraphQL request body.
func graphQLBody(query string, vars map[string]any) string {
	m := map[string]any{"query": query}
	if len(vars) > 0 {
		m["variables"] = vars
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// graphQLData returns an answer's `data` object, or an error naming the
// answer's GraphQL errors.
func graphQLData(answer []byte) (map[string]any, error) {
	v, err := decodeJSON(answer)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		return nil, fmt.Errorf("answer is not a JSON object: %s", clip(answer))
	}
	if errs, ok := m["errors"]; ok {
		return nil, fmt.Errorf("answer has errors: %s", describe(errs))
	}
	data, _ := m["data"].(map[string]any)
	if data == nil {
		return nil, fmt.Errorf("answer has no data: %s", clip(answer))
	}
	return data, nil
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// startStrata starts the built engine on strata_bench and applies the
// Chinook metadata.
func startStrata(ctx context.Context, c *config, dbURL string) (*target, error) {
	if _, err := os.Stat(c.StrataBin); err != nil {
		return nil, fmt.Errorf("strata binary %s: %w (run make build)", c.StrataBin, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &target{name: targetStrata, base: "http://127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command(c.StrataBin, "engine", "--database-url", dbURL,
		"--server-host", "127.0.0.1", "--server-port", strconv.Itoa(port),
		"--admin-secret", adminSecret, "--log-level", "warn", "--log-format", "text")
	cmd.Env = cleanEnv()
	if err := t.start(cmd, filepath.Join(filepath.Dir(c.Out), "strata.log")); err != nil {
		return nil, err
	}
	if err := t.waitReady(ctx, 60*time.Second, func() error {
		code, _, err := get(ctx, t.base+"/healthz")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz answered %d", code)
		}
		return err
	}); err != nil {
		t.stop()
		return nil, err
	}
	admin := map[string]string{"X-Hasura-Admin-Secret": adminSecret}
	body := `{"type":"replace_metadata","args":` + string(data.Metadata) + `}`
	code, answer, err := post(ctx, t.base+"/v1/metadata", body, admin)
	if err == nil && (code != http.StatusOK || !bytes.Contains(answer, []byte(`"success"`))) {
		err = fmt.Errorf("replace_metadata answered %d: %s", code, clip(answer))
	}
	if err != nil {
		t.stop()
		return nil, fmt.Errorf("apply test/bench/data/metadata.json: %w", err)
	}
	if code, b, err := get(ctx, t.base+"/v1/version"); err == nil && code == http.StatusOK {
		var v struct{ Version string }
		if json.Unmarshal(b, &v) == nil {
			t.version = v.Version
		}
	}
	t.request = func(q chinook.Query) (string, string, map[string]string) {
		h := map[string]string{"X-Hasura-Admin-Secret": adminSecret}
		if q.Role != "" {
			h["X-Hasura-Role"] = q.Role
			h["X-Hasura-User-Id"] = q.UserID
		}
		return t.base + "/v1/graphql", graphQLBody(q.Strata, q.Variables), h
	}
	t.data = func(_ chinook.Query, answer []byte) (any, error) {
		d, err := graphQLData(answer)
		if err != nil {
			return nil, err
		}
		return any(d), nil
	}
	return t, nil
}

// explained is one root field as /v1/graphql/explain reports it.
type explained struct {
	Field     string            `json:"field"`
	SQL       string            `json:"sql"`
	Arguments []json.RawMessage `json:"arguments"`
}

// explain asks Strata for the SQL it runs for q (as q's role).
func explain(ctx context.Context, strata *target, q chinook.Query) ([]explained, error) {
	req := map[string]any{"query": map[string]any{"query": q.Strata, "variables": q.Variables}}
	if q.Role != "" {
		req["user"] = map[string]string{"x-hasura-role": q.Role, "x-hasura-user-id": q.UserID}
	}
	b, _ := json.Marshal(req)
	code, answer, err := post(ctx, strata.base+"/v1/graphql/explain", string(b), map[string]string{"X-Hasura-Admin-Secret": adminSecret})
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("explain %s answered %d: %s", q.Name, code, clip(answer))
	}
	var out []explained
	if err := json.Unmarshal(answer, &out); err != nil {
		return nil, fmt.Errorf("decode the explain answer for %s: %w", q.Name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("explain %s returned no SQL field", q.Name)
	}
	return out, nil
}

// startFloor writes the floor's spec (each query's SQL from Strata's
// explain) and starts this program as the floor server.
func startFloor(ctx context.Context, c *config, dbURL string, spec floorSpec) (*target, error) {
	dir := filepath.Dir(c.Out)
	specPath := filepath.Join(dir, "floor-spec.json")
	b, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the floor spec: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.WriteFile(specPath, b, 0o644); err != nil {
		return nil, fmt.Errorf("write the floor spec: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to start the floor: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &target{name: targetFloor, base: "http://127.0.0.1:" + strconv.Itoa(port), version: floorVersion()}
	cmd := exec.Command(self, "floor", "-database-url", dbURL, "-spec", specPath, "-listen", "127.0.0.1:"+strconv.Itoa(port))
	cmd.Env = cleanEnv()
	if err := t.start(cmd, filepath.Join(dir, "floor.log")); err != nil {
		return nil, err
	}
	if err := t.waitReady(ctx, 30*time.Second, func() error {
		code, _, err := get(ctx, t.base+"/healthz")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/healthz answered %d", code)
		}
		return err
	}); err != nil {
		t.stop()
		return nil, err
	}
	t.request = func(q chinook.Query) (string, string, map[string]string) {
		return t.base + "/q/" + q.Name, graphQLBody(q.Strata, q.Variables), nil
	}
	t.data = func(_ chinook.Query, answer []byte) (any, error) {
		d, err := graphQLData(answer)
		if err != nil {
			return nil, err
		}
		return any(d), nil
	}
	return t, nil
}

// errSkip marks a target that cannot run here; its message is the reason.
var errSkip = errors.New("skipped")
