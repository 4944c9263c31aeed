package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs the benchmark small (20 subscribers over 10 albums, 3
// writes, change-driven) against the real binary and PostgreSQL: every
// affected subscriber gets its message, no other does, and cohort
// statements are counted. It needs STRATA_BIN (a built bin/strata) and
// DATABASE_URL, which `make test-clients` (in .ci/run) sets; `make test`
// skips it.
func TestSmoke(t *testing.T) {
	if os.Getenv("STRATA_BIN") == "" || os.Getenv("DATABASE_URL") == "" {
		t.Skip("STRATA_BIN and DATABASE_URL run the benchmark smoke test")
	}
	c, err := loadConfig(os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c.Subscribers, c.Groups, c.Writes, c.Idle, c.Pause = 20, 10, 3, 0, 50*time.Millisecond
	c.Modes, c.LogDir = []string{"change-driven"}, t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rs, err := run(ctx, c, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if r.Missing != 0 || r.Spurious != 0 || r.Errors != 0 {
		t.Fatalf("missed %d, spurious %d, errors %d (%s)", r.Missing, r.Spurious, r.Errors, r.FirstError)
	}
	if len(r.Latencies) < c.Writes || r.CohortStmts < int64(c.Writes) {
		t.Fatalf("%d latencies and %d cohort statements for %d writes", len(r.Latencies), r.CohortStmts, c.Writes)
	}
	var out strings.Builder
	printResults(&out, c, rs)
	t.Log(out.String())
}
