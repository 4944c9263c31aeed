package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/stratagql/strata/internal/strataproc"
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
	*strataproc.Engine
	log string
}

// startEngine runs strataBin on dbURL with env (besides a clean
// environment), waits for /healthz, applies the Chinook metadata and the
// customer's permission on track.
func startEngine(ctx context.Context, strataBin, dbURL, logPath string, env []string) (*engine, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create the engine log: %w", err)
	}
	defer f.Close() // the child has its own descriptor
	p, err := strataproc.Start(ctx, strataproc.Options{Bin: strataBin, DatabaseURL: dbURL, Env: env, Output: f,
		Args:         []string{"--admin-secret", adminSecret, "--log-level", "warn", "--log-format", "text"},
		ReadyTimeout: 60 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, logPath)
	}
	e := &engine{Engine: p, log: logPath}
	if err := e.setUp(ctx); err != nil {
		e.stop()
		return nil, err
	}
	return e, nil
}

// setUp applies the Chinook metadata and the customer's permission.
func (e *engine) setUp(ctx context.Context) error {
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
	req, err := http.NewRequestWithContext(ctx, method, e.URL+path, strings.NewReader(body))
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

// stop ends the engine (SIGTERM, then SIGKILL after 15 s).
func (e *engine) stop() { _ = e.Stop(15 * time.Second) }
