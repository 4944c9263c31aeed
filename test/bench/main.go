// Command bench is `make bench`: it loads the Chinook dataset once into a
// strata_bench database, starts each target (the built strata engine, the
// floor — a minimal net/http handler that runs exactly the SQL Strata
// generates — and PostGraphile when npm can install it), checks that every
// target answers each benchmark query with the same data, drives each query
// with the loadgen process (a bounded closed loop of keep-alive clients),
// and prints a table with ratios and writes the same figures as JSON.
//
// Configuration is by environment: DATABASE_URL (a PostgreSQL server URL;
// required), BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_CLIENTS (16),
// BENCH_ROUNDS (2), BENCH_TARGETS (strata,floor,postgraphile), BENCH_QUERIES
// (all), STRATA_BIN (bin/strata), BENCH_LOADGEN (else built into
// bin/bench/loadgen) and BENCH_OUT (bin/bench/latest.json). `bench floor` is
// the floor server itself, which the harness starts as its own process.
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
	var err error
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		err = floorMain(ctx, os.Args[2:])
	} else {
		err = benchMain(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
