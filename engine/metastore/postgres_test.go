package metastore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

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

func TestPostgresWatchSeesOtherWriter(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testdb.New(t)
	a, err := metastore.NewPostgres(ctx, pool(t, url), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metastore.NewPostgres(ctx, pool(t, url), nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan int64, 16)
	done := make(chan error, 1)
	go func() { done <- a.Watch(ctx, func(v int64) { seen <- v }) }()
	time.Sleep(200 * time.Millisecond) // let LISTEN start; the poll covers it anyway

	md, v, err := b.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	nv, err := b.Save(ctx, md, v)
	if err != nil {
		t.Fatal(err)
	}
	waitSeen(t, seen, nv)
	if d := time.Since(start); d > time.Second {
		t.Fatalf("change seen after %s", d)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("watch returned %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("watch did not stop with its context")
	}
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
	seen := make(chan int64, 4)
	go func() { _ = m.Watch(ctx, func(v int64) { seen <- v }) }()
	time.Sleep(50 * time.Millisecond)
	if v2, err := m.Save(ctx, md, 1); err != nil || v2 != 2 {
		t.Fatal(v2, err)
	}
	waitSeen(t, seen, 2)
	ro := metastore.NewMemory(nil, true)
	if _, err := ro.Save(ctx, md, 1); !errors.Is(err, metastore.ErrReadOnly) || !metastore.ReadOnly(ro) {
		t.Fatalf("read-only memory store saved: %v", err)
	}
}

func TestPostgresWatchReconnects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testdb.New(t)
	p := pool(t, url)
	s, err := metastore.NewPostgres(ctx, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan int64, 16)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Watch(ctx, func(v int64) { seen <- v }) }()
	defer func() { cancel(); <-done }()
	time.Sleep(300 * time.Millisecond)
	// kill the LISTEN connection
	var killed int
	if err := p.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening backends, want 1", killed)
	}
	time.Sleep(100 * time.Millisecond)
	for i := 1; i <= 2; i++ {
		md, v, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		nv, err := s.Save(ctx, md, v)
		if err != nil {
			t.Fatal(err)
		}
		waitSeen(t, seen, nv)
		time.Sleep(700 * time.Millisecond) // the second save arrives over the new LISTEN
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
