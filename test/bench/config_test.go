package main

import (
	"testing"
	"time"

	"github.com/stratagql/strata/test/bench/internal/chinook"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	c, err := loadConfig(env(map[string]string{"DATABASE_URL": "postgres://127.0.0.1/postgres"}), "/r")
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration != 10*time.Second || c.Warmup != 3*time.Second || c.Clients != 16 || c.Rounds != 2 || len(c.Targets) != 3 || len(c.Queries) != len(chinook.Queries) {
		t.Errorf("defaults: %+v", c)
	}
	if c.StrataBin != "/r/bin/strata" || c.Out != "/r/bin/bench/latest.json" {
		t.Errorf("paths: %s %s", c.StrataBin, c.Out)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"DATABASE_URL": "x", "BENCH_DURATION": "5s", "BENCH_WARMUP": "1", "BENCH_CLIENTS": "4",
		"BENCH_TARGETS": "strata, floor", "BENCH_QUERIES": "large,by_pk",
	}), "/r")
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration != 5*time.Second || c.Warmup != time.Second || c.Clients != 4 {
		t.Errorf("overrides: %+v", c)
	}
	if len(c.Targets) != 2 || c.wants(targetPostGraphile) || !c.wants(targetFloor) {
		t.Errorf("targets: %v", c.Targets)
	}
	if len(c.Queries) != 2 || c.Queries[0].Name != "large" {
		t.Errorf("queries: %v", c.Queries)
	}
}

func TestLoadConfigRejects(t *testing.T) {
	for _, m := range []map[string]string{
		{},
		{"DATABASE_URL": "x", "BENCH_DURATION": "forever"},
		{"DATABASE_URL": "x", "BENCH_DURATION": "1h"},
		{"DATABASE_URL": "x", "BENCH_CLIENTS": "0"},
		{"DATABASE_URL": "x", "BENCH_TARGETS": "hasura"},
		{"DATABASE_URL": "x", "BENCH_QUERIES": "nope"},
		{"DATABASE_URL": "x", "BENCH_TARGETS": ","},
		{"DATABASE_URL": "x", "BENCH_ROUNDS": "0"},
		{"DATABASE_URL": "x", "BENCH_DURATION": "1s", "BENCH_ROUNDS": "3"},
	} {
		if _, err := loadConfig(env(m), "/r"); err == nil {
			t.Errorf("loadConfig(%v) accepted", m)
		}
	}
}
