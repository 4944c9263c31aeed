// Package testdb gives tests their own throwaway PostgreSQL database on the
// server named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// `make test` sets DATABASE_URL from hack/ensure-postgres.sh.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerURL is the URL of the maintenance database tests connect to first.
func ServerURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres"
}

var unsafe = regexp.MustCompile(`[^a-z0-9_]+`)

// Create makes a new empty database whose name starts with prefix and
// returns its URL and a function that drops it.
func Create(ctx context.Context, prefix string) (string, func(), error) {
	base := ServerURL()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to test server %s: %w (set DATABASE_URL or run hack/ensure-postgres.sh)", redact(base), err)
	}
	defer conn.Close(ctx)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := "strata_test_" + unsafe.ReplaceAllString(strings.ToLower(prefix), "_")
	if len(name) > 50 {
		name = name[:50]
	}
	name += "_" + hex.EncodeToString(suffix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("create test database %s: %w", name, err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return u.String(), drop, nil
}

// New creates a database for one test, loads the given SQL scripts into it
// and drops it when the test ends.
func New(tb testing.TB, scripts ...string) string {
	tb.Helper()
	ctx := context.Background()
	u, drop, err := Create(ctx, tb.Name())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(drop)
	if len(scripts) > 0 {
		if err := Exec(ctx, u, scripts...); err != nil {
			tb.Fatal(err)
		}
	}
	return u
}

// Exec runs SQL scripts (several statements each) against the database at u.
func Exec(ctx context.Context, u string, scripts ...string) error {
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range scripts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("load test SQL: %w", err)
		}
	}
	return nil
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<invalid URL>"
	}
	return u.Redacted()
}
