package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stratagql/strata/test/bench/internal/chinook"
)

// Target names.
const (
	targetStrata       = "strata"
	targetFloor        = "floor"
	targetPostGraphile = "postgraphile"
)

var allTargets = []string{targetStrata, targetFloor, targetPostGraphile}

// config is the harness's configuration, from the environment.
type config struct {
	ServerURL string // a PostgreSQL URL on the server that gets strata_bench
	Root      string // the repository root
	Duration  time.Duration
	Warmup    time.Duration
	Clients   int
	// Rounds splits each query's measured time per target into interleaved
	// rounds (BENCH_ROUNDS).
	Rounds    int
	Targets   []string
	Queries   []chinook.Query
	StrataBin string
	Loadgen   string
	Out       string
	// PeersDir holds the npm-installed peers (bin/peers).
	PeersDir string
}

// loadConfig reads the configuration; getenv is os.Getenv in production.
func loadConfig(getenv func(string) string, root string) (*config, error) {
	c := &config{
		ServerURL: getenv("DATABASE_URL"),
		Root:      root,
		Duration:  10 * time.Second,
		Warmup:    3 * time.Second,
		Clients:   16,
		Rounds:    2,
		Targets:   allTargets,
		Queries:   chinook.Queries,
		StrataBin: filepath.Join(root, "bin", "strata"),
		Loadgen:   getenv("BENCH_LOADGEN"),
		Out:       filepath.Join(root, "bin", "bench", "latest.json"),
		PeersDir:  filepath.Join(root, "bin", "peers"),
	}
	if c.ServerURL == "" {
		return nil, fmt.Errorf("DATABASE_URL is not set: point it at a PostgreSQL server (make bench uses hack/ensure-postgres.sh)")
	}
	var err error
	if c.Duration, err = envDuration(getenv, "BENCH_DURATION", c.Duration, time.Second, 10*time.Minute); err != nil {
		return nil, err
	}
	if c.Warmup, err = envDuration(getenv, "BENCH_WARMUP", c.Warmup, 0, 5*time.Minute); err != nil {
		return nil, err
	}
	if v := getenv("BENCH_CLIENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 512 {
			return nil, fmt.Errorf("BENCH_CLIENTS=%q: want a number of clients from 1 to 512", v)
		}
		c.Clients = n
	}
	if v := getenv("BENCH_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10 {
			return nil, fmt.Errorf("BENCH_ROUNDS=%q: want a number of rounds from 1 to 10", v)
		}
		c.Rounds = n
	}
	if c.Duration/time.Duration(c.Rounds) < 500*time.Millisecond {
		return nil, fmt.Errorf("BENCH_DURATION %s split into %d rounds leaves under 0.5 s a round", c.Duration, c.Rounds)
	}
	if v := getenv("BENCH_TARGETS"); v != "" {
		c.Targets = nil
		for _, t := range splitList(v) {
			if !slices.Contains(allTargets, t) {
				return nil, fmt.Errorf("BENCH_TARGETS: unknown target %q (known: %s)", t, strings.Join(allTargets, ", "))
			}
			c.Targets = append(c.Targets, t)
		}
	}
	if v := getenv("BENCH_QUERIES"); v != "" {
		c.Queries = nil
		for _, name := range splitList(v) {
			i := slices.IndexFunc(chinook.Queries, func(q chinook.Query) bool { return q.Name == name })
			if i < 0 {
				var known []string
				for _, q := range chinook.Queries {
					known = append(known, q.Name)
				}
				return nil, fmt.Errorf("BENCH_QUERIES: unknown query %q (known: %s)", name, strings.Join(known, ", "))
			}
			c.Queries = append(c.Queries, chinook.Queries[i])
		}
	}
	if len(c.Targets) == 0 || len(c.Queries) == 0 {
		return nil, fmt.Errorf("BENCH_TARGETS and BENCH_QUERIES must each name at least one")
	}
	if v := getenv("STRATA_BIN"); v != "" {
		c.StrataBin = v
	}
	if v := getenv("BENCH_OUT"); v != "" {
		c.Out = v
	}
	return c, nil
}

func (c *config) wants(target string) bool { return slices.Contains(c.Targets, target) }

func envDuration(getenv func(string) string, name string, def, lo, hi time.Duration) (time.Duration, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, nerr := strconv.Atoi(v); nerr == nil { // bare seconds
			d, err = time.Duration(n)*time.Second, nil
		}
	}
	if err != nil || d < lo || d > hi {
		return 0, fmt.Errorf("%s=%q: want a duration from %s to %s, e.g. 10s", name, v, lo, hi)
	}
	return d, nil
}

func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// repoRoot finds the repository root: the nearest directory upwards from the
// working directory that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run the harness from the repository", dir)
		}
	}
}
