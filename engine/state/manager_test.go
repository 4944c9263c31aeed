package state_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/engine/state"
	"github.com/stratagql/strata/internal/testdb"
)

const ddl = `CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id serial PRIMARY KEY, title text, author_id int REFERENCES author(id));`

func q(name string) metadata.QualifiedTable {
	return metadata.QualifiedTable{Schema: "public", Name: name}
}

func track(name string) state.ChangeFunc {
	return func(md *metadata.Metadata, _ *catalog.Catalog) error {
		src := md.Source(metadata.DefaultSource)
		src.Tables = append(src.Tables, metadata.Table{Table: q(name)})
		return nil
	}
}

// newPool connects to url; the pool closes when the test ends.
func newPool(t *testing.T, ctx context.Context, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func dbManager(t *testing.T, ctx context.Context, url string) *state.Manager {
	t.Helper()
	pool := newPool(t, ctx, url)
	store, err := metastore.NewPostgres(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := state.New(state.Config{Store: store, DB: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return m
}

func stop(t *testing.T, cancel context.CancelFunc, ms ...*state.Manager) {
	t.Cleanup(func() {
		cancel()
		for _, m := range ms {
			m.Wait()
		}
	})
}

func TestApplyConflictAndInconsistency(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.New(t, ddl)
	m := dbManager(t, ctx, url)
	stop(t, cancel, m)

	first := m.Current()
	if first == nil || first.ResourceVersion != 1 || !first.Consistent() {
		t.Fatalf("start snapshot: %+v", first)
	}
	sub, done := m.Subscribe()
	defer done()

	snap, err := m.Apply(ctx, track("author"), state.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.ResourceVersion != 2 || m.Current() != snap || snap.Generation <= first.Generation {
		t.Fatalf("after apply: %+v", snap)
	}
	select {
	case g := <-sub:
		if g != snap.Generation {
			t.Fatalf("subscriber got generation %d, want %d", g, snap.Generation)
		}
	case <-time.After(time.Second):
		t.Fatal("no swap notification")
	}

	stale := int64(1)
	if _, err := m.Apply(ctx, track("article"), state.ApplyOptions{ResourceVersion: &stale}); !errors.As(err, new(*state.ConflictError)) {
		t.Fatalf("stale resource_version: %v", err)
	}

	var inc *state.InconsistentError
	if _, err := m.Apply(ctx, track("nope"), state.ApplyOptions{}); !errors.As(err, &inc) || len(inc.Objects) != 1 {
		t.Fatalf("tracking a missing table: %v", err)
	}
	if m.Current() != snap {
		t.Fatal("a rejected change replaced the snapshot")
	}
	bad, err := m.Apply(ctx, track("nope"), state.ApplyOptions{AllowInconsistent: true})
	if err != nil || bad.Consistent() || m.InconsistentObjects() != 1 {
		t.Fatalf("allowed inconsistency: %v %+v", err, bad)
	}
	if got := m.Current().Schema.Inconsistencies; len(got) != 1 || got[0].ObjectName() != "table nope in source default" {
		t.Fatalf("schema inconsistencies: %+v", got)
	}

	boom := errors.New("boom")
	if _, err := m.Apply(ctx, func(*metadata.Metadata, *catalog.Catalog) error { return boom }, state.ApplyOptions{}); !errors.Is(err, boom) {
		t.Fatalf("change error not passed through: %v", err)
	}
}

func TestTwoManagersSeeEachOther(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.New(t, ddl)
	a := dbManager(t, ctx, url)
	b := dbManager(t, ctx, url)
	stop(t, cancel, a, b)

	for i, step := range []struct {
		from, to *state.Manager
		table    string
	}{{a, b, "author"}, {b, a, "article"}} {
		start := time.Now()
		snap, err := step.from.Apply(ctx, track(step.table), state.ApplyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for step.to.Current().ResourceVersion != snap.ResourceVersion {
			if time.Since(start) > time.Second {
				t.Fatalf("step %d: other engine still at version %d after 1s", i, step.to.Current().ResourceVersion)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if step.to.Current().Metadata.Source("default").Table(q(step.table)) == nil {
			t.Fatalf("step %d: other engine does not see table %s", i, step.table)
		}
	}
}

func TestFileStoreBadFileKeepsLastGood(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.New(t, ddl)
	pool := newPool(t, ctx, url)
	path := filepath.Join(t.TempDir(), "metadata.yaml")
	write := func(s string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	good := func(table string) string {
		return "version: 3\nsources:\n- name: default\n  kind: postgres\n  tables:\n  - table: {schema: public, name: " + table + "}\n"
	}
	write(good("author"))
	store, err := metastore.NewFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := state.New(state.Config{Store: store, DB: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stop(t, cancel, m)
	if _, err := m.Apply(ctx, track("article"), state.ApplyOptions{}); !errors.Is(err, metastore.ErrReadOnly) {
		t.Fatalf("apply on a file store: %v", err)
	}

	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	write(good("article"))
	waitFor("hot reload", func() bool { return m.Current().Metadata.Source("default").Table(q("article")) != nil })
	last := m.Current()

	write("version: 3\nsources: [{name: default, tables: [{table: 7}]}]\n")
	waitFor("error report", func() bool { return m.LastError() != nil })
	if m.Current() != last {
		t.Fatal("bad file replaced the snapshot")
	}
	write(good("author"))
	waitFor("recovery", func() bool {
		return m.LastError() == nil && m.Current().Metadata.Source("default").Table(q("author")) != nil
	})
}

// countingStore counts the loads of a Postgres store. Its watch passes on
// only versions above after, and tells each one it passed on.
type countingStore struct {
	*metastore.Postgres
	loads  atomic.Int64
	after  int64
	passed chan int64
}

func (s *countingStore) Load(ctx context.Context) (*metadata.Metadata, int64, error) {
	s.loads.Add(1)
	return s.Postgres.Load(ctx)
}

func (s *countingStore) Watch(ctx context.Context, fn func(int64)) error {
	return s.Postgres.Watch(ctx, func(v int64) {
		if v > s.after {
			fn(v)
			s.passed <- v
		}
	})
}

// TestOwnChangeNotificationDoesNotLoad checks that the notification of an
// engine's own change does not make it load the document again, while
// another engine's change still does.
func TestOwnChangeNotificationDoesNotLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url := testdb.New(t, ddl)
	pool := newPool(t, ctx, url)
	pg, err := metastore.NewPostgres(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The watch's report at start names the version loaded at start: it
	// is kept out, so that it cannot arrive together with the
	// notification of the own change (two versions make a load).
	_, v0, err := pg.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Postgres: pg, after: v0, passed: make(chan int64, 16)}
	a, err := state.New(state.Config{Store: store, DB: pool})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b := dbManager(t, ctx, url)
	stop(t, cancel, a, b)
	waitFor := func(m *state.Manager, v int64) {
		t.Helper()
		for start := time.Now(); m.Current().ResourceVersion != v; time.Sleep(10 * time.Millisecond) {
			if time.Since(start) > 2*time.Second {
				t.Fatalf("still at version %d, want %d", m.Current().ResourceVersion, v)
			}
		}
	}
	before := store.loads.Load()
	own, err := a.Apply(ctx, track("author"), state.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-store.passed:
		if v != own.ResourceVersion {
			t.Fatalf("the watch passed on version %d, want %d", v, own.ResourceVersion)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the notification of the own change did not come")
	}
	other, err := b.Apply(ctx, track("article"), state.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(a, other.ResourceVersion)
	// Apply's load and the one for the other engine's change; the own
	// notification, handled before the other change arrived (it takes b a
	// load, a catalogue read and a schema build), loaded nothing.
	if n := store.loads.Load() - before; n != 2 {
		t.Errorf("%d loads, want 2 (Apply's and the other engine's change): the own change's notification loaded", n)
	}
}
