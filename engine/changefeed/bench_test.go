package changefeed_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stratagql/strata/engine/changefeed"
	"github.com/stratagql/strata/engine/live"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/internal/testdb"
)

var _ live.Changes = (*changefeed.Feed)(nil)

// BenchmarkInsertCost measures what the change trigger adds to a one-row
// INSERT committed on its own (a pgbench-like loop), without the trigger,
// on a tracked table nobody watches (no trigger either), with a trigger
// doing nothing (the part of the cost that is not the notification), with
// the change trigger of a watched table and nobody listening, and with it
// and a Feed listening; serially on one connection, and from parallel
// connections (notifying commits are serialised by PostgreSQL). Compare the
// ns/op of the sub-benchmarks:
//
//	go test -run '^$' -bench InsertCost -benchtime 5000x ./engine/changefeed/
func BenchmarkInsertCost(b *testing.B) {
	ctx := context.Background()
	url := testdb.New(b, `CREATE TABLE plain (id bigserial PRIMARY KEY, v int);
		CREATE TABLE noop (id bigserial PRIMARY KEY, v int);
		CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
		CREATE TRIGGER noop AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON noop FOR EACH STATEMENT EXECUTE FUNCTION noop();
		CREATE TABLE unwatched (id bigserial PRIMARY KEY, v int);
		CREATE TABLE watched (id bigserial PRIMARY KEY, v int)`)
	pool := newPool(b, url)
	feed := changefeed.New(pool, quiet())
	w, cancel := feed.Watch([]metadata.QualifiedTable{qt("watched")})
	defer cancel()
	if err := feed.Sync(ctx, []metadata.QualifiedTable{qt("unwatched"), qt("watched")}); err != nil {
		b.Fatal(err)
	}
	if got := triggers(b, pool); len(got) != 1 {
		b.Fatalf("triggers: %v, want one on watched", got)
	}
	drain(w)
	serial := func(table string) func(*testing.B) {
		return func(b *testing.B) {
			conn, err := pgx.Connect(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close(ctx)
			sql := "INSERT INTO " + table + " (v) VALUES ($1)"
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := conn.Exec(ctx, sql, i); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	parallel := func(table string) func(*testing.B) {
		return func(b *testing.B) {
			sql := "INSERT INTO " + table + " (v) VALUES ($1)"
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := pool.Exec(ctx, sql, n.Add(1)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	b.Run("serial/no-trigger", serial("plain"))
	b.Run("serial/tracked-unwatched", serial("unwatched"))
	b.Run("serial/noop-trigger", serial("noop"))
	b.Run("serial/trigger-no-listener", serial("watched"))
	b.Run("parallel/no-trigger", parallel("plain"))
	b.Run("parallel/tracked-unwatched", parallel("unwatched"))
	b.Run("parallel/noop-trigger", parallel("noop"))
	b.Run("parallel/trigger-no-listener", parallel("watched"))

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(runCtx) }()
	defer func() { stop(); <-done }()
	waitWake(b, w, "feed listening")
	b.Run("serial/trigger-listener", serial("watched"))
	b.Run("parallel/trigger-listener", parallel("watched"))
}
