// Command subscriptions is `make bench-subscriptions`: it measures live
// queries over WebSocket on the real engine binary, in polling mode (the
// change feed off, every cohort refetched each second: Hasura's behaviour)
// and in change-driven mode (the feed on, a 1 s fallback), in one run.
//
// It loads the Chinook dataset (package test/bench/data), starts bin/strata
// behind a loopback proxy that counts the statements the engine sends to
// PostgreSQL, opens BENCH_SUBSCRIBERS sockets (graphql-transport-ws, one
// live query each: the tracks of one of BENCH_GROUPS albums, as role
// customer with its own user id — the permission on track reads it), waits
// for every first result, then runs BENCH_WRITES write rounds: each commits
// one UPDATE of one album's tracks and times the commit → message latency
// of every subscriber of that album; then BENCH_IDLE with no writes. It
// prints, per mode, the latency percentiles, the statements per second and
// per write, the engine's CPU and RSS, and the idle statements.
//
// Settings (environment): DATABASE_URL (required: a postgres:// server
// URL), STRATA_BIN (bin/strata), BENCH_SUBSCRIBERS (10000), BENCH_GROUPS
// (100), BENCH_WRITES (30 per mode), BENCH_IDLE (3s), BENCH_MODES
// (polling,change-driven), BENCH_LOG_DIR (bin/bench), BENCH_ENGINE_ENV (extra
// engine settings for experiments, space-separated KEY=VALUE; the engine
// otherwise gets none of the caller's HASURA_GRAPHQL_/STRATA_ variables). Everything runs on
// 127.0.0.1, and every phase is bounded in count and time.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := loadConfig(os.Getenv)
	if err == nil {
		var results []*result
		results, err = run(ctx, c, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
		if err == nil {
			printResults(os.Stdout, c, results)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-subscriptions:", err)
		os.Exit(1)
	}
}
