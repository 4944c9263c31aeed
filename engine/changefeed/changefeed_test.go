package changefeed_test

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/changefeed"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/internal/testdb"
)

// deadline bounds every wait for something that should happen.
const deadline = 15 * time.Second

// pollEvery is the pause between two looks at a condition being waited for.
const pollEvery = 10 * time.Millisecond

const schemaSQL = `
CREATE TABLE a (id int PRIMARY KEY, v int);
CREATE TABLE b (id int PRIMARY KEY, v int);
CREATE TABLE barrier (id serial PRIMARY KEY);
`

func qt(name string) metadata.QualifiedTable {
	return metadata.QualifiedTable{Schema: "public", Name: name}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness is a database with a Feed running on it.
type harness struct {
	t       *testing.T
	url     string
	pool    *pgxpool.Pool
	feed    *changefeed.Feed
	barrier <-chan struct{}
}

func newPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// start creates a database from scripts, syncs tracked (and the barrier
// table, watched first, so that Sync installs its trigger), runs the feed
// until the test ends and returns once it listens.
func start(t *testing.T, tracked []metadata.QualifiedTable, scripts ...string) *harness {
	t.Helper()
	url := testdb.New(t, append([]string{schemaSQL}, scripts...)...)
	h := &harness{t: t, url: url, pool: newPool(t, url)}
	h.feed = changefeed.New(h.pool, quiet())
	var cancel func()
	h.barrier, cancel = h.feed.Watch([]metadata.QualifiedTable{qt("barrier")})
	t.Cleanup(cancel)
	if err := h.feed.Sync(context.Background(), append(tracked, qt("barrier"))); err != nil {
		t.Fatal(err)
	}
	drain(h.barrier) // Sync's wake-up for the trigger it made
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.feed.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	// Run wakes every watcher once it listens.
	waitWake(t, h.barrier, "barrier (feed listening)")
	return h
}

// watch watches tables (tracked ones) and returns once the feed has
// installed their triggers, without the install's wake-up.
func (h *harness) watch(tables ...metadata.QualifiedTable) (<-chan struct{}, func()) {
	h.t.Helper()
	ch, cancel := h.feed.Watch(tables)
	for _, t := range tables {
		waitInstalled(h.t, h.feed, t)
	}
	drain(ch)
	return ch, cancel
}

// waitInstalled waits until feed knows the triggers of t to be in place.
func waitInstalled(t testing.TB, feed *changefeed.Feed, table metadata.QualifiedTable) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !changefeed.Installed(feed, table) {
		if time.Now().After(end) {
			t.Fatalf("triggers of %s not installed within %s", table.Display(), deadline)
		}
		time.Sleep(pollEvery)
	}
}

func (h *harness) exec(sql string, args ...any) {
	h.t.Helper()
	if _, err := h.pool.Exec(context.Background(), sql, args...); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
}

func waitWake(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(deadline):
		t.Fatalf("%s: no wake-up within %s", what, deadline)
	}
}

// settle makes sure every notification committed so far has been
// dispatched: it commits a write to the barrier table and waits for its
// wake-up (notifications arrive in commit order on the one LISTEN
// connection, and are dispatched in order).
func (h *harness) settle() {
	h.t.Helper()
	drain(h.barrier)
	h.exec("INSERT INTO barrier DEFAULT VALUES")
	waitWake(h.t, h.barrier, "barrier")
}

// noWake fails when ch was signalled by any notification committed so far.
func (h *harness) noWake(ch <-chan struct{}, what string) {
	h.t.Helper()
	h.settle()
	select {
	case <-ch:
		h.t.Fatalf("%s: woken, want not", what)
	default:
	}
}

func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

func TestEachKindOfWriteWakesOnlyTheWatchersOfItsTable(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a"), qt("b")})
	wa, cancelA := h.watch(qt("a"))
	defer cancelA()
	wa2, cancelA2 := h.watch(qt("a"))
	defer cancelA2()
	wb, cancelB := h.watch(qt("b"))
	defer cancelB()
	wab, cancelAB := h.watch(qt("a"), qt("b"))
	defer cancelAB()

	for _, stmt := range []string{
		"INSERT INTO a VALUES (1, 1)",
		"UPDATE a SET v = 2",
		"DELETE FROM a",
		"TRUNCATE a",
	} {
		h.exec(stmt)
		waitWake(t, wa, stmt+": watcher of a")
		waitWake(t, wa2, stmt+": second watcher of a")
		waitWake(t, wab, stmt+": watcher of a and b")
		h.noWake(wb, stmt+": watcher of b")
	}
	h.exec("INSERT INTO b VALUES (1, 1)")
	waitWake(t, wb, "insert into b: watcher of b")
	waitWake(t, wab, "insert into b: watcher of a and b")
	h.noWake(wa, "insert into b: watcher of a")
}

func TestTransactionWakesOnceAtCommit(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a"), qt("b")})
	ctx := context.Background()
	// A raw listener counts the notifications themselves: the watcher's
	// buffer would merge duplicates.
	raw, err := pgx.Connect(ctx, h.url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(ctx)
	if _, err := raw.Exec(ctx, "LISTEN "+changefeed.Channel); err != nil {
		t.Fatal(err)
	}
	wa, cancel := h.watch(qt("a"))
	defer cancel()
	_, cancelB := h.watch(qt("b")) // so that b notifies too
	defer cancelB()

	tx, err := h.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	for _, stmt := range []string{"INSERT INTO a VALUES (1, 1)", "UPDATE a SET v = 2", "INSERT INTO a VALUES (2, 1)", "DELETE FROM a WHERE id = 2", "INSERT INTO b VALUES (1, 1)"} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	h.noWake(wa, "before commit")
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	waitWake(t, wa, "after commit")
	h.noWake(wa, "after the commit's wake-up")

	// The raw listener saw the barrier writes of noWake, a and b once each.
	count := map[string]int{}
	for count[`["public","barrier"]`] < 2 || count[`["public","a"]`] == 0 || count[`["public","b"]`] == 0 {
		wctx, cancel := context.WithTimeout(ctx, deadline)
		n, err := raw.WaitForNotification(wctx)
		cancel()
		if err != nil {
			t.Fatalf("raw listener (got %v): %v", count, err)
		}
		count[n.Payload]++
	}
	if count[`["public","a"]`] != 1 || count[`["public","b"]`] != 1 {
		t.Fatalf("notifications of one transaction: %v, want a and b once each", count)
	}
}

func TestRolledBackTransactionWakesNobody(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a")})
	wa, cancel := h.watch(qt("a"))
	defer cancel()
	ctx := context.Background()
	tx, err := h.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO a VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	h.noWake(wa, "rolled back")
}

func TestCancelStopsDelivery(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a")})
	wa, cancel := h.watch(qt("a"))
	other, cancelOther := h.watch(qt("a"))
	defer cancelOther()
	h.exec("INSERT INTO a VALUES (1, 1)")
	waitWake(t, wa, "before cancel")
	waitWake(t, other, "before cancel (other)")
	cancel()
	cancel() // idempotent
	h.exec("INSERT INTO a VALUES (2, 1)")
	waitWake(t, other, "after cancel (other)")
	h.noWake(wa, "after cancel")
}

// listener returns the process id of the feed's LISTEN connection, once
// there is exactly one other than old.
func (h *harness) listener(old int32) int32 {
	h.t.Helper()
	end := time.Now().Add(deadline)
	for {
		var pids []int32
		rows, _ := h.pool.Query(context.Background(), `SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = $1 AND pid <> $2`, changefeed.ApplicationName, old)
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			h.t.Fatal(err)
		}
		if len(pids) == 1 {
			return pids[0]
		}
		if time.Now().After(end) {
			h.t.Fatalf("listener connections: %v, want one", pids)
		}
		time.Sleep(pollEvery)
	}
}

func TestReconnectWakesEveryWatcherOnceAndFlowsAgain(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a"), qt("b")})
	wa, cancelA := h.watch(qt("a"))
	defer cancelA()
	wb, cancelB := h.watch(qt("b"))
	defer cancelB()

	pid := h.listener(0)
	h.exec("SELECT pg_terminate_backend($1)", pid)
	waitWake(t, wa, "watcher of a after reconnect")
	waitWake(t, wb, "watcher of b after reconnect")
	waitWake(t, h.barrier, "barrier after reconnect")
	h.listener(pid)
	h.noWake(wa, "watcher of a, after the reconnect's wake-up")
	h.exec("INSERT INTO a VALUES (1, 1)")
	waitWake(t, wa, "insert into a after reconnect")
	h.noWake(wb, "watcher of b, insert into a after reconnect")
}

// Run, and its installer, return when ctx ends.
func TestRunReturnsOnCancelWithoutGoroutines(t *testing.T) {
	url := testdb.New(t, schemaSQL)
	for _, tc := range []struct {
		name string
		url  string
	}{
		{"listening", url},
		// Nothing listens on port 1: Run is waiting to reconnect.
		{"reconnecting", "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := newPool(t, tc.url)
			warned := make(chan struct{}, 1)
			feed := changefeed.New(pool, slog.New(signalHandler{warned}))
			if tc.name == "listening" {
				// Watching a tracked table gives the installer work.
				if err := feed.Sync(context.Background(), []metadata.QualifiedTable{qt("a")}); err != nil {
					t.Fatal(err)
				}
			}
			w, cancelW := feed.Watch([]metadata.QualifiedTable{qt("a")})
			defer cancelW()
			before := runtime.NumGoroutine()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- feed.Run(ctx) }()
			if tc.name == "listening" {
				waitWake(t, w, "feed listening")
				waitInstalled(t, feed, qt("a"))
			} else {
				waitWake(t, warned, "feed failing to listen")
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(deadline):
				t.Fatal("Run did not return after cancel")
			}
			end := time.Now().Add(deadline)
			for runtime.NumGoroutine() > before {
				if time.Now().After(end) {
					buf := make([]byte, 1<<20)
					t.Fatalf("goroutines: %d after Run, %d before\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				}
				time.Sleep(pollEvery)
			}
		})
	}
}

// signalHandler is a slog.Handler signalling ch (without blocking) on
// every warning.
type signalHandler struct{ ch chan struct{} }

func (h signalHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h signalHandler) Handle(context.Context, slog.Record) error {
	select {
	case h.ch <- struct{}{}:
	default:
	}
	return nil
}
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// triggers lists the change triggers as "table:name", with their oids.
func triggers(t testing.TB, pool *pgxpool.Pool) map[string]uint32 {
	t.Helper()
	rows, _ := pool.Query(context.Background(), `SELECT tgrelid::regclass::text || ':' || tgname, oid FROM pg_trigger
		WHERE starts_with(tgname, $1)`, changefeed.TriggerPrefix)
	out := map[string]uint32{}
	for rows.Next() {
		var k string
		var oid uint32
		if err := rows.Scan(&k, &oid); err != nil {
			t.Fatal(err)
		}
		out[k] = oid
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func tablesOf(m map[string]uint32) map[string]int {
	out := map[string]int{}
	for k := range m {
		for i := range k {
			if k[i] == ':' {
				out[k[:i]]++
				break
			}
		}
	}
	return out
}

func TestSyncIsIdempotentAndDropsUntrackedTriggers(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t, schemaSQL)
	pool := newPool(t, url)
	var logged bytes.Buffer
	feed := changefeed.New(pool, slog.New(slog.NewTextHandler(&logged, nil)))
	ab := []metadata.QualifiedTable{qt("a"), qt("b"), qt("missing")}
	wa, cancel := feed.Watch([]metadata.QualifiedTable{qt("a")})
	defer cancel()
	_, cancelB := feed.Watch([]metadata.QualifiedTable{qt("b"), qt("missing")})
	defer cancelB()
	if err := feed.Sync(ctx, ab); err != nil {
		t.Fatal(err)
	}
	waitWake(t, wa, "watcher of a when Sync made its trigger")
	first := triggers(t, pool)
	if got := tablesOf(first); len(got) != 2 || got["a"] != 1 || got["b"] != 1 {
		t.Fatalf("triggers after first Sync: %v", first)
	}
	var fnVersion string
	if err := pool.QueryRow(ctx, `SELECT xmin::text FROM pg_proc WHERE oid = to_regprocedure($1)`, changefeed.Function+"()").Scan(&fnVersion); err != nil {
		t.Fatal(err)
	}
	logged.Reset()
	if err := feed.Sync(ctx, ab); err != nil {
		t.Fatal(err)
	}
	if logged.Len() != 0 {
		t.Fatalf("second Sync did some work:\n%s", logged.String())
	}
	select {
	case <-wa:
		t.Fatal("second Sync woke the watcher of a")
	default:
	}
	second := triggers(t, pool)
	if len(second) != len(first) {
		t.Fatalf("second Sync changed triggers: %v, then %v", first, second)
	}
	for k, oid := range first {
		if second[k] != oid {
			t.Fatalf("second Sync re-created %s: %v, then %v", k, first, second)
		}
	}
	var fnAfter string
	if err := pool.QueryRow(ctx, `SELECT xmin::text FROM pg_proc WHERE oid = to_regprocedure($1)`, changefeed.Function+"()").Scan(&fnAfter); err != nil {
		t.Fatal(err)
	}
	if fnAfter != fnVersion {
		t.Fatalf("second Sync re-created the function (xmin %s, then %s)", fnVersion, fnAfter)
	}

	// A trigger of another program is left alone.
	if _, err := pool.Exec(ctx, `CREATE FUNCTION other() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
		CREATE TRIGGER other AFTER INSERT ON b FOR EACH STATEMENT EXECUTE FUNCTION other()`); err != nil {
		t.Fatal(err)
	}
	if err := feed.Sync(ctx, []metadata.QualifiedTable{qt("a")}); err != nil {
		t.Fatal(err)
	}
	third := triggers(t, pool)
	if got := tablesOf(third); len(got) != 1 || got["a"] != 1 {
		t.Fatalf("triggers after untracking b: %v", third)
	}
	var others int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgname = 'other'`).Scan(&others); err != nil || others != 1 {
		t.Fatalf("the other trigger: %d %v", others, err)
	}
	if err := feed.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := triggers(t, pool); len(got) != 0 {
		t.Fatalf("triggers after untracking all: %v", got)
	}
}

func TestConcurrentSyncs(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t, schemaSQL)
	tables := []metadata.QualifiedTable{qt("a"), qt("b"), qt("barrier")}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		// Separate pools, as separate engines would have.
		feed := changefeed.New(newPool(t, url), quiet())
		_, cancel := feed.Watch(tables)
		defer cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = feed.Sync(ctx, tables)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Syncs: %v", err)
	}
	if got := tablesOf(triggers(t, newPool(t, url))); len(got) != 3 || got["a"] != 1 || got["b"] != 1 || got["barrier"] != 1 {
		t.Fatalf("triggers after concurrent Syncs: %v", got)
	}
}

const viewsSQL = `
CREATE VIEW ab AS SELECT a.id, a.v AS av, b.v AS bv FROM a JOIN b USING (id);
CREATE VIEW ab2 AS SELECT * FROM ab;
CREATE MATERIALIZED VIEW m AS SELECT * FROM a;
CREATE TABLE p (id int, v int) PARTITION BY RANGE (id);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
CREATE TABLE p2a PARTITION OF p2 FOR VALUES FROM (100) TO (200);
CREATE TABLE c (extra int) INHERITS (b);
CREATE SCHEMA "we.ird";
CREATE TABLE "we.ird"."it's a \table" (id int);
`

func TestViewsPartitionsInheritanceAndOddNames(t *testing.T) {
	odd := metadata.QualifiedTable{Schema: "we.ird", Name: `it's a \table`}
	h := start(t, []metadata.QualifiedTable{qt("ab2"), qt("m"), qt("p"), qt("b"), qt("p2a"), qt("c"), odd}, viewsSQL)
	wv, c1 := h.watch(qt("ab2"))
	defer c1()
	wp, c2 := h.watch(qt("p"))
	defer c2()
	wb, c3 := h.watch(qt("b"))
	defer c3()
	wo, c4 := h.watch(odd)
	defer c4()

	h.exec("INSERT INTO a VALUES (1, 1)")
	waitWake(t, wv, "view over a view over a: insert into a")
	h.exec("INSERT INTO b VALUES (1, 1)")
	waitWake(t, wv, "view over a view over b: insert into b")
	waitWake(t, wb, "b: insert into b")
	h.noWake(wp, "p: writes to a and b")

	for _, stmt := range []string{
		"INSERT INTO p VALUES (1, 1), (150, 1)",
		"INSERT INTO p1 VALUES (2, 1)",
		"UPDATE p2 SET v = 3",
		"DELETE FROM p2a",
		"TRUNCATE p1",
	} {
		h.exec(stmt)
		waitWake(t, wp, "partitioned p: "+stmt)
		h.noWake(wv, "view: "+stmt)
	}
	h.exec("INSERT INTO c VALUES (5, 5, 5)")
	waitWake(t, wb, "inheritance parent b: insert into child c")

	// A tracked partition or inheritance child is written through its
	// ancestors too.
	wleaf, c5 := h.watch(qt("p2a"))
	defer c5()
	wc, c6 := h.watch(qt("c"))
	defer c6()
	h.exec("INSERT INTO p VALUES (160, 1)")
	waitWake(t, wleaf, "partition p2a: insert into p")
	h.exec("UPDATE b SET v = v + 1")
	waitWake(t, wc, "inheritance child c: update of b")
	h.exec("INSERT INTO p1 VALUES (3, 1)")
	h.noWake(wleaf, "partition p2a: insert into its sibling p1")

	h.exec(`INSERT INTO "we.ird"."it's a \table" VALUES (1)`)
	waitWake(t, wo, "odd name")

	// The materialized view has no trigger (its installation did not
	// fail: there is nothing to install).
	_, c7 := h.watch(qt("m"))
	defer c7()
	for k := range triggers(t, h.pool) {
		if k[:2] == "m:" {
			t.Fatalf("trigger on the materialized view: %s", k)
		}
	}
}

// A connection that keeps failing soon after it opened is re-opened after
// a growing backoff, not in a loop (each reconnection wakes every watcher).
func TestFlappingConnectionBacksOff(t *testing.T) {
	h := start(t, nil)
	began := time.Now()
	pid := int32(0)
	for range 4 {
		pid = h.listener(pid)
		h.exec("SELECT pg_terminate_backend($1)", pid)
	}
	h.listener(pid)
	// The reconnections waited at least 100, 200, 400 and 800 ms.
	if d := time.Since(began); d < 1500*time.Millisecond {
		t.Fatalf("four reconnections in %s, want backoff", d)
	}
}

// Users who never subscribe pay nothing: Sync installs no trigger (nor the
// function) for tracked tables nobody watches.
func TestSyncAloneInstallsNothing(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t, schemaSQL)
	pool := newPool(t, url)
	feed := changefeed.New(pool, quiet())
	for range 2 {
		if err := feed.Sync(ctx, []metadata.QualifiedTable{qt("a"), qt("b")}); err != nil {
			t.Fatal(err)
		}
	}
	if got := triggers(t, pool); len(got) != 0 {
		t.Fatalf("triggers after Sync alone: %v", got)
	}
	var fn *string
	if err := pool.QueryRow(ctx, `SELECT to_regprocedure($1)::text`, changefeed.Function+"()").Scan(&fn); err != nil || fn != nil {
		t.Fatalf("function after Sync alone: %v %v", fn, err)
	}
}

// waitTriggers waits until the change triggers, by table, are want.
func waitTriggers(t *testing.T, pool *pgxpool.Pool, want map[string]int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		got := tablesOf(triggers(t, pool))
		if len(got) == len(want) && all(want, func(k string, n int) bool { return got[k] == n }) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("triggers by table: %v, want %v", got, want)
		}
		time.Sleep(pollEvery)
	}
}

func all(m map[string]int, ok func(string, int) bool) bool {
	for k, v := range m {
		if !ok(k, v) {
			return false
		}
	}
	return true
}

func TestWatchInstallsTriggersLazilyAndWakesOnce(t *testing.T) {
	h := start(t, []metadata.QualifiedTable{qt("a"), qt("b"), qt("ab")}, `CREATE VIEW ab AS SELECT a.id FROM a JOIN b USING (id); CREATE TABLE x (id int)`)
	waitTriggers(t, h.pool, map[string]int{"barrier": 1})

	// Watch does no I/O: the installer makes a's trigger, then wakes the
	// watcher once (writes made before went unnoticed). x is not tracked.
	wa, cancelA := h.feed.Watch([]metadata.QualifiedTable{qt("x"), qt("a")})
	defer cancelA()
	waitTriggers(t, h.pool, map[string]int{"barrier": 1, "a": 1})
	waitWake(t, wa, "watcher of a once its trigger is installed")
	h.noWake(wa, "watcher of a after the install's wake-up")
	h.exec("INSERT INTO a VALUES (1, 1)")
	waitWake(t, wa, "insert into a")
	h.exec("INSERT INTO a VALUES (2, 1)")
	waitWake(t, wa, "second insert into a")

	// A watched view gets triggers on the tables it reads.
	wv, cancelV := h.feed.Watch([]metadata.QualifiedTable{qt("ab")})
	defer cancelV()
	waitTriggers(t, h.pool, map[string]int{"barrier": 1, "a": 2, "b": 1})
	waitWake(t, wv, "watcher of the view once its triggers are installed")
	h.exec("INSERT INTO b VALUES (1, 1)")
	waitWake(t, wv, "view: insert into b")
	h.noWake(wa, "watcher of a: insert into b")

	// A trigger stays when nobody watches any more; untracking drops it.
	cancelA()
	cancelV()
	if err := h.feed.Sync(context.Background(), []metadata.QualifiedTable{qt("a"), qt("b"), qt("barrier")}); err != nil {
		t.Fatal(err)
	}
	waitTriggers(t, h.pool, map[string]int{"barrier": 1, "a": 1})
	if err := h.feed.Sync(context.Background(), []metadata.QualifiedTable{qt("b"), qt("barrier")}); err != nil {
		t.Fatal(err)
	}
	waitTriggers(t, h.pool, map[string]int{"barrier": 1})
}

// Two engines on one database, each watching its own table: neither's
// Sync undoes the other's triggers.
func TestEnginesKeepEachOthersTriggers(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t, schemaSQL)
	pool := newPool(t, url)
	tracked := []metadata.QualifiedTable{qt("a"), qt("b")}
	one, two := changefeed.New(newPool(t, url), quiet()), changefeed.New(newPool(t, url), quiet())
	_, cancelA := one.Watch([]metadata.QualifiedTable{qt("a")})
	defer cancelA()
	_, cancelB := two.Watch([]metadata.QualifiedTable{qt("b")})
	defer cancelB()
	if err := one.Sync(ctx, tracked); err != nil {
		t.Fatal(err)
	}
	waitTriggers(t, pool, map[string]int{"a": 1})
	if err := two.Sync(ctx, tracked); err != nil {
		t.Fatal(err)
	}
	waitTriggers(t, pool, map[string]int{"a": 1, "b": 1})
	before := triggers(t, pool)
	for _, feed := range []*changefeed.Feed{one, two, one} {
		if err := feed.Sync(ctx, tracked); err != nil {
			t.Fatal(err)
		}
		after := triggers(t, pool)
		if !maps.Equal(before, after) {
			t.Fatalf("a Sync re-created or dropped triggers: %v, then %v", before, after)
		}
	}
}

// The SQL the package documentation gives to remove the triggers works.
func TestDocumentedRemovalSQL(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t, schemaSQL+`CREATE SCHEMA "we.ird"; CREATE TABLE "we.ird"."it's" (id int);`)
	pool := newPool(t, url)
	feed := changefeed.New(pool, quiet())
	tracked := []metadata.QualifiedTable{qt("a"), qt("b"), {Schema: "we.ird", Name: "it's"}}
	_, cancel := feed.Watch(tracked)
	defer cancel()
	if err := feed.Sync(ctx, tracked); err != nil {
		t.Fatal(err)
	}
	waitTriggers(t, pool, map[string]int{"a": 1, "b": 1, `"we.ird"."it's"`: 1})

	file, err := parser.ParseFile(token.NewFileSet(), "changefeed.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	// The SQL is the indented block starting with DO.
	var sql []string
	for _, line := range strings.Split(file.Doc.Text(), "\n") {
		if strings.HasPrefix(line, "\tDO $$") || len(sql) > 0 && strings.HasPrefix(line, "\t") {
			sql = append(sql, line[1:])
		} else if len(sql) > 0 {
			break
		}
	}
	if len(sql) == 0 {
		t.Fatalf("package doc has no removal SQL:\n%s", file.Doc.Text())
	}
	if _, err := pool.Exec(ctx, strings.Join(sql, "\n")); err != nil {
		t.Fatalf("documented SQL:\n%s\n%v", strings.Join(sql, "\n"), err)
	}
	if got := triggers(t, pool); len(got) != 0 {
		t.Fatalf("triggers after the documented SQL: %v", got)
	}
	var fn *string
	if err := pool.QueryRow(ctx, `SELECT to_regprocedure($1)::text`, changefeed.Function+"()").Scan(&fn); err != nil || fn != nil {
		t.Fatalf("function after the documented SQL: %v %v", fn, err)
	}
}
