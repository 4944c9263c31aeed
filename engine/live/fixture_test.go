package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/auth"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/engine/graphql"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
	"github.com/stratagql/strata/engine/schema"
	"github.com/stratagql/strata/internal/testdb"
)

// ddl is the test database: notes owned by users, and tags (a table no
// test subscription reads).
const ddl = `
CREATE TABLE note (
  id    serial PRIMARY KEY,
  owner integer NOT NULL,
  body  text NOT NULL DEFAULT '',
  seq   integer NOT NULL DEFAULT 0
);
CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL);
`

// metadataJSON tracks both tables; the role "user" selects its own notes,
// the columns listed in noteColumns, at most limit rows at once (0: no
// limit).
func metadataJSON(noteColumns string, limit int) string {
	lim := ""
	if limit > 0 {
		lim = fmt.Sprintf(`, "limit": %d`, limit)
	}
	return `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
	  {"table": {"schema": "public", "name": "note"}, "select_permissions": [{"role": "user", "permission": {
	    "columns": ` + noteColumns + `, "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}, "allow_aggregations": true` + lim + `}}]},
	  {"table": {"schema": "public", "name": "tag"}}
	]}]}`
}

const allNoteColumns = `["id", "owner", "body", "seq"]`

// env is a Manager running on its own database.
type env struct {
	t       *testing.T
	pool    *pgxpool.Pool
	cat     *catalog.Catalog
	handler *graphql.Handler
	m       *Manager
	changes *testChanges // nil in polling mode

	mu     sync.Mutex
	schema *schema.Schema
	gen    int64

	stop func() // ends Run and waits for it
}

// newEnv starts a Manager (with a test change feed unless polling) on a
// fresh database.
func newEnv(t *testing.T, polling bool, tweak func(*Manager)) *env {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t, ddl)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cat, err := catalog.Load(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, pool: pool, cat: cat}
	e.setSchema(allNoteColumns, 0)
	e.handler = &graphql.Handler{Schema: e.current, Exec: &execute.Executor{Pool: pool}}
	e.m = &Manager{Handler: e.handler, Pool: pool, RefetchInterval: time.Hour, StreamRefetchInterval: time.Hour}
	if polling {
		e.m.RefetchInterval, e.m.StreamRefetchInterval = 20*time.Millisecond, 20*time.Millisecond
	} else {
		e.changes = newTestChanges()
		e.m.Changes = e.changes
	}
	if tweak != nil {
		tweak(e.m)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.m.Run(runCtx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("Run returned %v", err)
			}
		})
	}
	t.Cleanup(e.stop)
	return e
}

func (e *env) current() (*schema.Schema, int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.schema, e.gen
}

// setSchema builds the schema with the given note columns and row limit
// for "user" (see metadataJSON) and makes it current (a new generation).
func (e *env) setSchema(noteColumns string, limit int) {
	e.t.Helper()
	md, err := metadata.Parse([]byte(metadataJSON(noteColumns, limit)))
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := schema.Build(md, e.cat)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(s.Inconsistencies) > 0 {
		e.t.Fatalf("inconsistencies: %+v", s.Inconsistencies)
	}
	e.mu.Lock()
	e.schema, e.gen = s, e.gen+1
	e.mu.Unlock()
}

// exec runs SQL and, with a change feed, signals the tables it names.
func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	if e.changes != nil {
		for _, table := range []string{"note", "tag"} {
			if strings.Contains(sql, table) {
				e.changes.poke(table)
			}
		}
	}
}

func user(id string) *auth.Session {
	return &auth.Session{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": id}}
}

var admin = &auth.Session{Role: "admin", Admin: true, Vars: map[string]string{"x-hasura-role": "admin"}}

// subscribe starts a subscription that must be valid.
func (e *env) subscribe(sess *auth.Session, query string, vars map[string]any) (*recorder, func()) {
	e.t.Helper()
	r := &recorder{}
	stop, err := e.m.Subscribe(context.Background(), sess, &graphql.Request{Query: query, Variables: vars}, r)
	if err != nil {
		e.t.Fatalf("subscribe %s: %v", query, err)
	}
	return r, func() {
		stop()
		r.stopped.Store(true)
	}
}

// query answers a query for sess as the HTTP endpoint would.
func (e *env) query(sess *auth.Session, query string) string {
	return string(e.handler.Do(context.Background(), &graphql.Request{Query: query}, sess))
}

// recorder is a Sink keeping what it receives.
type recorder struct {
	mu      sync.Mutex
	msgs    []string
	ended   bool
	endErr  *hasuraerr.Error
	stopped atomic.Bool
	late    atomic.Int64 // messages after stop returned
}

func (r *recorder) Next(p json.RawMessage) {
	if r.stopped.Load() {
		r.late.Add(1)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, p); err != nil {
		b.WriteString("invalid JSON: " + string(p))
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, b.String())
	r.mu.Unlock()
}

func (r *recorder) End(err *hasuraerr.Error) {
	r.mu.Lock()
	r.ended, r.endErr = true, err
	r.mu.Unlock()
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func (r *recorder) last() string {
	m := r.messages()
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

func (r *recorder) count() int { return len(r.messages()) }

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testChanges is a change feed the test signals itself.
type testChanges struct {
	mu      sync.Mutex
	watches map[*watch]bool
}

type watch struct {
	tables map[string]bool
	ch     chan struct{}
}

func newTestChanges() *testChanges { return &testChanges{watches: map[*watch]bool{}} }

func (c *testChanges) Watch(tables []metadata.QualifiedTable) (<-chan struct{}, func()) {
	w := &watch{tables: map[string]bool{}, ch: make(chan struct{}, 1)}
	for _, t := range tables {
		w.tables[t.Name] = true
	}
	c.mu.Lock()
	c.watches[w] = true
	c.mu.Unlock()
	return w.ch, func() {
		c.mu.Lock()
		delete(c.watches, w)
		c.mu.Unlock()
	}
}

func (c *testChanges) poke(table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w := range c.watches {
		if w.tables[table] {
			select {
			case w.ch <- struct{}{}:
			default:
			}
		}
	}
}

func (c *testChanges) active() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.watches)
}

// cohorts is how many cohorts the manager has.
func (m *Manager) cohortCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.cohorts)
}
