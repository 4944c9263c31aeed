package metastore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/metastore"
	"github.com/stratagql/strata/internal/testdb"
)

func pool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func TestPostgresConcurrentInitLoadSave(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	p := pool(t, url)

	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = metastore.NewPostgres(ctx, p, nil)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent init: %v", err)
		}
	}
	s, err := metastore.NewPostgres(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	md, v, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 || string(md.JSON()) != string(metadata.Empty().JSON()) {
		t.Fatalf("fresh store: version %d, metadata %s", v, md.JSON())
	}
	md.Sources[0].Tables = append(md.Sources[0].Tables, metadata.Table{Table: metadata.QualifiedTable{Schema: "public", Name: "author"}})
	v2, err := s.Save(ctx, md, v)
	if err != nil || v2 != 2 {
		t.Fatalf("save: %d %v", v2, err)
	}
	if _, err := s.Save(ctx, md, v); !errors.Is(err, metastore.ErrConflict) {
		t.Fatalf("stale save: want ErrConflict, got %v", err)
	}
	got, v3, err := s.Load(ctx)
	if err != nil || v3 != 2 || string(got.JSON()) != string(md.JSON()) {
		t.Fatalf("reload: %d %v %s", v3, err, got.JSON())
	}
}

// noPoll is a poll interval no test lasts: a change a LISTEN test sees came
// through LISTEN/NOTIFY.
const noPoll = time.Hour

// watch runs s.Watch until the test ends, and returns the versions it
// reports.
func watch(t *testing.T, s metastore.Store) <-chan int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	seen := make(chan int64, 64)
	done := make(chan error, 1)
	go func() { done <- s.Watch(ctx, func(v int64) { seen <- v }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("watch returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("watch did not stop with its context")
		}
	})
	return seen
}

// listeners returns the process ids of the backends of the test's database
// that listen on the metadata channel.
func listeners(t *testing.T, p *pgxpool.Pool) []int32 {
	t.Helper()
	rows, err := p.Query(context.Background(), `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query = 'LISTEN '||$1::text`, metastore.Channel)
	if err != nil {
		t.Fatal(err)
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitListening waits until one backend other than old listens, and
// returns its process id.
func waitListening(t *testing.T, p *pgxpool.Pool, old int32) int32 {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if pids := listeners(t, p); len(pids) == 1 && pids[0] != old {
			return pids[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new LISTEN backend (listening: %v)", listeners(t, p))
		}
	}
}

// saveNew saves the stored metadata again and returns the new version.
func saveNew(t *testing.T, s metastore.Store) int64 {
	t.Helper()
	ctx := context.Background()
	md, v, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nv, err := s.Save(ctx, md, v)
	if err != nil {
		t.Fatal(err)
	}
	return nv
}

// TestPostgresWatchSeesOtherWriter: a change by another store reaches the
// watch through LISTEN/NOTIFY (the poll is out of the way).
func TestPostgresWatchSeesOtherWriter(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	pa := pool(t, url)
	a, err := metastore.NewPostgres(ctx, pa, nil, metastore.WithPollInterval(noPoll))
	if err != nil {
		t.Fatal(err)
	}
	b, err := metastore.NewPostgres(ctx, pool(t, url), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := watch(t, a)
	waitListening(t, pa, 0)
	for range 2 {
		start := time.Now()
		waitSeen(t, seen, saveNew(t, b))
		if d := time.Since(start); d > time.Second {
			t.Fatalf("change seen after %s", d)
		}
	}
}

// TestPostgresWatchPollsForLostNotifications: a change whose notification
// never comes (here: written without one) is seen by the poll.
func TestPostgresWatchPollsForLostNotifications(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	p := pool(t, url)
	s, err := metastore.NewPostgres(ctx, p, nil, metastore.WithPollInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	seen := watch(t, s)
	waitListening(t, p, 0)
	waitSeen(t, seen, 1)
	var v int64
	if err := p.QueryRow(ctx, `UPDATE hdb_catalog.hdb_metadata SET resource_version = resource_version + 1
		WHERE id = 1 RETURNING resource_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	waitSeen(t, seen, v)
}

func TestMemoryStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := metastore.NewMemory(nil, false)
	md, v, err := m.Load(ctx)
	if err != nil || v != 1 {
		t.Fatal(v, err)
	}
	if _, err := m.Save(ctx, md, 7); !errors.Is(err, metastore.ErrConflict) {
		t.Fatalf("want conflict, got %v", err)
	}
	seen := watch(t, m)
	waitSeen(t, seen, 1) // the report at start: the watch is running
	if v2, err := m.Save(ctx, md, 1); err != nil || v2 != 2 {
		t.Fatal(v2, err)
	}
	waitSeen(t, seen, 2)
	ro := metastore.NewMemory(nil, true)
	if _, err := ro.Save(ctx, md, 1); !errors.Is(err, metastore.ErrReadOnly) || !metastore.ReadOnly(ro) {
		t.Fatalf("read-only memory store saved: %v", err)
	}
}

// TestPostgresWatchReconnects: when the LISTEN connection dies, the watch
// listens again and changes keep coming through LISTEN/NOTIFY.
func TestPostgresWatchReconnects(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	p := pool(t, url)
	s, err := metastore.NewPostgres(ctx, p, nil, metastore.WithPollInterval(noPoll))
	if err != nil {
		t.Fatal(err)
	}
	seen := watch(t, s)
	old := waitListening(t, p, 0)
	var killed bool
	if err := p.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, old).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminate the listening backend: %v %v", killed, err)
	}
	waitListening(t, p, old)
	for range 2 {
		waitSeen(t, seen, saveNew(t, s))
	}
}

// waitSeen waits until the watch reports want (earlier versions, such as
// the one reported at start, are skipped).
func waitSeen(t *testing.T, seen <-chan int64, want int64) {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case got := <-seen:
			if got == want {
				return
			}
			if got > want {
				t.Fatalf("watch reported %d, want %d", got, want)
			}
		case <-timeout:
			t.Fatalf("watch did not report version %d", want)
		}
	}
}
