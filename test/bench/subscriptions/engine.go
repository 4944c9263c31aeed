package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stratagql/strata/test/bench/data"
)

// adminSecret is the admin secret the engine runs with.
const adminSecret = "strata-bench-secret"

// trackPermission lets role customer read the tracks it has not bought yet:
// the filter reads X-Hasura-User-Id, so every subscriber's rows depend on
// its own session (a user id that is no customer sees every track).
const trackPermission = `{"type":"pg_create_select_permission","args":{"table":"track","role":"customer",
 "permission":{"columns":["track_id","name","album_id","milliseconds","unit_price"],
  "filter":{"_not":{"invoice_lines":{"invoice":{"customer_id":{"_eq":"X-Hasura-User-Id"}}}}}}}}`

// engine is a running bin/strata engine.
type engine struct {
	base   string // http://127.0.0.1:PORT
	cmd    *exec.Cmd
	exited chan struct{}
	log    string
}

// startEngine runs strataBin on dbURL with env (besides a clean
// environment), waits for /healthz, applies the Chinook metadata and the
// customer's permission on track.
func startEngine(ctx context.Context, strataBin, dbURL, logPath string, env []string) (*engine, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create the engine log: %w", err)
	}
	cmd := exec.Command(strataBin, "engine", "--database-url", dbURL,
		"--server-host", "127.0.0.1", "--server-port", strconv.Itoa(port),
		"--admin-secret", adminSecret, "--log-level", "warn", "--log-format", "text")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HASURA_GRAPHQL_") && !strings.HasPrefix(kv, "STRATA_") && !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", strataBin, err)
	}
	e := &engine{base: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); f.Close(); close(e.exited) }()
	if err := e.setUp(ctx); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

func (e *engine) setUp(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _, err := e.post(ctx, "GET", "/healthz", "")
		if err == nil && code == http.StatusOK {
			break
		}
		select {
		case <-e.exited:
			return fmt.Errorf("the engine exited while starting (log: %s)", e.log)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the engine did not answer /healthz within 60 s (log: %s)", e.log)
		}
	}
	for _, body := range []string{
		`{"type":"replace_metadata","args":` + string(data.Metadata) + `}`,
		trackPermission,
	} {
		code, answer, err := e.post(ctx, "POST", "/v1/metadata", body)
		if err == nil && (code != http.StatusOK || bytes.Contains(answer, []byte(`"code"`))) {
			err = fmt.Errorf("answered %d: %.300s", code, answer)
		}
		if err != nil {
			return fmt.Errorf("metadata %.40s: %w", body, err)
		}
	}
	return nil
}

func (e *engine) post(ctx context.Context, method, path, body string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

func (e *engine) pid() int { return e.cmd.Process.Pid }

// stop ends the engine (SIGTERM, then SIGKILL after 15 s).
func (e *engine) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
	case <-time.After(15 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
	}
}
