package graphql

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stratagql/strata/engine/compile"
	"github.com/stratagql/strata/engine/execute"
	"github.com/stratagql/strata/internal/testdb"
)

func TestQueryLimits(t *testing.T) {
	h := newHandler(compile.Options{})
	h.MaxQueryBytes, h.MaxQueryTokens = 60, 12
	cases := []struct{ name, query, want string }{
		{"within both", `{ genre_by_pk(id: 1) { name } }`, `{"data":{"genre_by_pk":{"name":"Jazz"}}}`},
		{"too long", `{ genre_by_pk(id: 1) { name } }                                  `,
			`{"errors":[{"message":"the query is 65 bytes long, more than the limit of 60","extensions":{"code":"validation-failed","path":"$.query"}}]}`},
		{"too many tokens", `{ genre_by_pk(id: 1) { id name __typename } }`,
			`{"errors":[{"message":"the query has more tokens than the limit of 12","extensions":{"code":"validation-failed","path":"$.query"}}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := compact(t, gql(t, h, tc.query, nil)); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestOversizeBody(t *testing.T) {
	h := newHandler(compile.Options{})
	body := `{"query": "{ genre { id } }", "pad": "` + strings.Repeat("x", 16<<20) + `"}`
	for _, tc := range []struct {
		path string
		h    http.Handler
		want string
	}{
		{"/v1/graphql", h, `{"errors":[{"message":"request body too large: the limit is 16777216 bytes","extensions":{"code":"bad-request","path":"$"}}]}`},
		{"/v1/graphql/explain", h.Explain(), `{"path":"$","error":"request body too large: the limit is 16777216 bytes","code":"bad-request"}`},
	} {
		rec := httptest.NewRecorder()
		tc.h.ServeHTTP(rec, httptest.NewRequest("POST", tc.path, strings.NewReader(body)))
		if rec.Code != http.StatusRequestEntityTooLarge || rec.Body.String() != tc.want {
			t.Errorf("%s: %d %s\nwant 413 %s", tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

// slowSQL is a database whose reads and writes take 30 seconds.
const slowSQL = `
CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO item VALUES (1, 'a');
CREATE VIEW slow_item AS SELECT i.id, i.name FROM item i, LATERAL (SELECT pg_sleep(30)) s;
CREATE TABLE slow_write (id serial PRIMARY KEY, v int);
CREATE FUNCTION sleep_first() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
CREATE TRIGGER slow_write_sleep BEFORE INSERT ON slow_write FOR EACH ROW EXECUTE FUNCTION sleep_first();
`

const slowMetadata = `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [
  {"table": {"schema": "public", "name": "item"}},
  {"table": {"schema": "public", "name": "slow_item"}},
  {"table": {"schema": "public", "name": "slow_write"}}]}]}`

// slowEnv is a handler on the slow database with a pool of maxConns.
func slowEnv(t *testing.T, maxConns int32) (*pgxpool.Pool, *Handler) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testdb.New(t, slowSQL))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = maxConns
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, (&mutationEnv{pool: pool}).handlerFor(t, slowMetadata)
}

// timed answers query on h within a 10-second deadline and returns the
// response and how long it took.
func timed(t *testing.T, h *Handler, query string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	out := string(h.Do(ctx, &Request{Query: query}, adminSession()))
	return out, time.Since(start)
}

func adminSession() *Session {
	return &Session{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}, Admin: true}
}

// The statement timeout cancels a request's SQL in PostgreSQL and answers
// with PostgreSQL's reason, for queries and mutations.
func TestStatementTimeout(t *testing.T) {
	_, h := slowEnv(t, 4)
	h.Exec.StatementTimeout = 300 * time.Millisecond
	for q, path := range map[string]string{
		`{ slow_item { id } }`: "$",
		`mutation { insert_slow_write_one(object: {v: 1}) { id } }`: "$.selectionSet.insert_slow_write_one.args.object",
	} {
		got, took := timed(t, h, q)
		want := `{"errors":[{"message":"canceling statement due to statement timeout","extensions":{"code":"unexpected","path":"` + path + `"}}]}`
		if got != want || took > 5*time.Second {
			t.Errorf("%s: after %s got %s\nwant %s", q, took, got, want)
		}
	}
	// The timeout is the request's: the connection goes back to the pool
	// without it, and a fast query still answers.
	if got, _ := timed(t, h, `{ item { name } }`); compact(t, got) != `{"data":{"item":[{"name":"a"}]}}` {
		t.Errorf("fast query after a timeout: %s", got)
	}
}

// HASURA_GRAPHQL_PG_POOL_TIMEOUT: a request that finds no free connection
// in time fails quickly instead of waiting.
func TestPoolAcquireTimeout(t *testing.T) {
	pool, h := slowEnv(t, 1)
	h.Exec = &execute.Executor{Pool: pool, AcquireTimeout: 200 * time.Millisecond}
	held, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got, took := timed(t, h, `{ item { name } }`)
	want := `{"errors":[{"message":"no database connection became free within 200ms","extensions":{"code":"unexpected","path":"$"}}]}`
	if got != want || took > 5*time.Second {
		t.Errorf("exhausted pool: after %s got %s\nwant %s", took, got, want)
	}
	held.Release()
	if got, _ := timed(t, h, `{ item { name } }`); compact(t, got) != `{"data":{"item":[{"name":"a"}]}}` {
		t.Errorf("after the connection was released: %s", got)
	}
}
